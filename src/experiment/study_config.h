// The study configuration behind `skingan experiment`: which data, which GANs, which classifier
// arms and which seeds. Read from TOML (docs/study.example.toml documents every key) on top of a
// preset (smoke | quick | standard); every value is checked before any stage runs. Presets,
// arms, validation and JSON: study_config.cpp; reading TOML: study_config_toml.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace skingan::experiment {

struct DataConfig {
  std::string source;  // raw data set folder (HAM10000 layout, ISIC CSV or class folders)
  std::string format = "auto";
  int size = 64;
  std::string crop = "center";
  bool hair_removal = true;
  bool color_constancy = true;
  std::vector<double> split = {0.7, 0.15, 0.15};
  std::uint64_t split_seed = 42;
  std::vector<std::string> classes;  // empty: every class
  bool allow_outside_links = false;  // prepare --allow-outside-links (data and cohorts)
};

// One GAN arm. Names: "dcgan" (one DCGAN per class, Frid-Adar et al. 2018), "acgan", "cgan",
// "resnet" (SNGAN/BigGAN-style conditional ResNet), "progan" (progressive growing), "fastgan"
// (skip-layer excitation and a self-supervised discriminator, Liu et al. 2021).
struct GanArmConfig {
  std::string name;
  int64_t steps = 1500;  // per GAN: with dcgan, per class
  int64_t batch_size = 64;
  int64_t channels = 32;  // ngf = ndf
  std::uint64_t seed = 1;
  std::string balance_to = "max";  // "max" or a count per class
  double filter_keep = 1.0;        // < 1: keep the best-scored fraction (discriminator filter)
  double truncation = 0;           // 0: off
};

// One classifier arm, written "augment[+class-weights][+balanced-sampler][+<gan arm>[+policy...]]".
// The policy parts (GAN arms only) say how the GAN's images enter training, as
// train-classifier's --synthetic-* options do: ratioR, minority, finetuneK, confT, topF,
// weightW, capN or capFx (e.g. "classic+balanced-sampler+cgan+ratio0.25+finetune2").
struct ClassifierArm {
  std::string name;     // as written in the configuration
  std::string augment;  // none | classic
  bool class_weights = false;
  bool balanced_sampler = false;
  std::string gan;                   // empty: real data only
  double synthetic_ratio = -1;       // ratioR: expected synthetic share of each batch
  bool minority = false;             // minority: only classes below the mean real count
  int64_t finetune_real_epochs = 0;  // finetuneK: the last K epochs on real images only
  double min_confidence = 0;         // confT: keep images the feature classifier gives >= T
  double keep_top = 1;               // topF: keep the most confident fraction of each class
  double synthetic_weight = 1;       // weightW: loss weight of a synthetic image
  std::string cap;                   // capN | capFx: synthetic images per class at most
  // The train-classifier options of the policy parts (empty for none); filters add
  // --synthetic-filter-model, which the study plan supplies.
  std::vector<std::string> policy_args() const;
  bool filters() const { return min_confidence > 0 || keep_top < 1; }
};

struct ClassifierConfig {
  std::string model = "resnet18";
  int64_t width = 32;
  int64_t epochs = 8;
  int64_t batch_size = 64;
  std::string optimizer = "adamw";
  double lr = 0;  // 0: the optimizer's default
  int64_t synthetic_cap = -1;
  std::vector<ClassifierArm> arms;
  std::vector<std::uint64_t> seeds = {1, 2};
};

struct EvaluateConfig {
  int bootstrap = 1000;
  bool tta = false;
};

// Generator quality (`skingan score`): one feature classifier per study, trained on the real
// training split, measures every GAN arm's synthetic set against the real floor.
struct ScoreConfig {
  bool enabled = true;
  int64_t feature_epochs = 6;
  int64_t feature_width = 32;
  int64_t eval_every = 0;  // GAN training: score the EMA generator every N steps (0: off)
  bool cas = false;        // CAS trains two classifiers per GAN arm
  int64_t cas_epochs = 3;
};

// An external test cohort (`[[test_sets]]`): prepared with the study's data settings, and every
// arm and seed is evaluated on all of its images, beside the development test split.
struct TestSetConfig {
  std::string name;    // letters, digits, '-' and '_': names its stages and report rows
  std::string source;  // raw data folder (HAM10000 layout, ISIC CSV or class folders)
  std::string format = "auto";
  std::string label_map;  // "sk=bkl,mel=mel,nv=nv": cohort label = model class (empty: as is)
};

struct StudyConfig {
  std::string preset;
  std::string name;
  DataConfig data;
  std::vector<TestSetConfig> test_sets;
  std::vector<GanArmConfig> gans;
  ClassifierConfig classifier;
  EvaluateConfig evaluate;
  ScoreConfig score;
};

// "smoke" (about a minute on the demo data), "quick" (real data at 64 px within about an hour
// on 2 cores), "standard" (the ResNet GAN and the mixing policies, 3 seeds; about 8 hours on 2
// cores, resumable across sessions). ConfigError for another name. In study_presets.cpp.
StudyConfig preset_config(const std::string& preset);
std::vector<std::string> preset_names();

// The GAN arm names: dcgan, acgan, cgan, resnet, progan (train-gan --arch, with its defaults).
std::vector<std::string> gan_arm_names();

// One GAN arm as `preset` (one of preset_names()) sets it; `name` one of gan_arm_names().
GanArmConfig preset_gan_arm(const std::string& preset, const std::string& name);

// The preset's classifier arms for these GAN arms (non-GAN baselines, then the GAN arms).
std::vector<ClassifierArm> default_arms(const std::string& preset,
                                        const std::vector<GanArmConfig>& gans);

// Parses "classic+class-weights+cgan"; ConfigError naming the token when refused (unknown token,
// a GAN not among `gan_names`, a repeated part, no augmentation first).
ClassifierArm parse_classifier_arm(const std::string& spec,
                                   const std::vector<std::string>& gan_names);

// Reads TOML text on top of a preset: `preset` in the file wins over `default_preset`. Every
// unknown key, wrong type and refused value is a ConfigError with "<origin>:<line>:<column>",
// the key, what was found, what was expected and what to do. `origin` names the text in messages.
StudyConfig parse_study_config(const std::string& toml_text, const std::string& origin,
                               const std::string& default_preset);
StudyConfig load_study_config(const std::filesystem::path& path, const std::string& default_preset);

// One test cohort on its own: a usable name, a source, a well-formed label map.
void check_test_set(const TestSetConfig& set);

// Checks the whole configuration (also after command-line overrides); ConfigError when refused.
void validate(const StudyConfig& config);

nlohmann::json to_json(const StudyConfig& config);

}  // namespace skingan::experiment
