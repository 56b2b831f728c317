// The presets (smoke, quick, standard): each one's data, GAN arms, classifier arms, seeds and
// scoring settings, which a study TOML then overrides key by key (study_config_toml.cpp).
#include <string>
#include <vector>

#include "core/error.h"
#include "core/text.h"
#include "experiment/study_config.h"

namespace skingan::experiment {
namespace {

// Every GAN a study can train (train-gan --arch).
const std::vector<std::string> kGanArchs = {"dcgan",  "acgan",  "cgan",
                                            "resnet", "progan", "fastgan"};

// The preset's classifier arms, written with "{gan}" for each GAN arm: the non-GAN baselines
// (including the strong simple answers to imbalance), then the GAN arms.
std::vector<std::string> arm_templates(const std::string& preset) {
  if (preset == "quick") {
    // "none" left out to fit the hour; balanced sampling with and without synthetic images asks
    // whether a GAN adds anything to the best simple arm.
    return {"classic", "classic+class-weights", "classic+balanced-sampler", "classic+{gan}",
            "classic+balanced-sampler+{gan}"};
  }
  if (preset == "standard") {
    // The best simple answers to imbalance, then the GAN's images entered the ways that keep
    // them from becoming a class feature (train-classifier's mixing policies).
    return {"classic",
            "classic+class-weights",
            "classic+balanced-sampler",
            "classic+balanced-sampler+{gan}+ratio0.25",
            "classic+balanced-sampler+{gan}+minority+cap1x",
            "classic+balanced-sampler+{gan}+conf0.5+ratio0.25",
            "classic+balanced-sampler+{gan}+ratio0.25+finetune3"};
  }
  return {"none", "classic", "classic+class-weights", "classic+balanced-sampler", "classic+{gan}"};
}

}  // namespace

std::vector<std::string> gan_arm_names() { return kGanArchs; }

// Preset values of one GAN arm: per-class DCGAN trains one GAN per class, so its step budget per
// GAN is smaller to keep the arm's cost near the conditional GANs'.
GanArmConfig preset_gan_arm(const std::string& preset, const std::string& name) {
  GanArmConfig g;
  g.name = name;
  if (preset == "smoke") {
    g.steps = name == "dcgan" ? 100 : 400;
    g.batch_size = 32;
    g.channels = 16;
  } else if (preset == "quick") {
    g.steps = name == "dcgan" ? 300 : 1500;
    g.balance_to = "800";
  } else {  // standard
    // The CPU budget: the ResNet GAN's 6,000 steps at width 32 and 2 D updates per step take
    // about 70 minutes on 2 quiet cores (1.5 steps/s in the CPU study; 0.35 steps/s on a machine
    // shared with builds; its best KID came at 3,500 of 5,051 CPU steps,
    // docs/scores_ham10000.md); on a GPU set gan.steps higher (docs/study.gpu.toml).
    g.steps = name == "dcgan" ? 1500 : 6000;
    g.balance_to = "max";
  }
  return g;
}

std::vector<ClassifierArm> default_arms(const std::string& preset,
                                        const std::vector<GanArmConfig>& gans) {
  std::vector<std::string> names;
  for (const auto& g : gans) names.push_back(g.name);
  std::vector<ClassifierArm> arms;
  for (const auto& spec : arm_templates(preset)) {
    const size_t at = spec.find("{gan}");
    if (at == std::string::npos) {
      arms.push_back(parse_classifier_arm(spec, names));
      continue;
    }
    for (const auto& g : names)
      arms.push_back(parse_classifier_arm(std::string(spec).replace(at, 5, g), names));
  }
  return arms;
}

std::vector<std::string> preset_names() { return {"smoke", "quick", "standard"}; }

StudyConfig preset_config(const std::string& preset) {
  if (!contains(preset_names(), preset)) {
    throw ConfigError(describe_problem("preset", "'" + preset + "'",
                                       "one of: " + join(preset_names()),
                                       "smoke takes about a minute on the demo data, quick about "
                                       "an hour on HAM10000 at 64 px, standard longer."));
  }
  StudyConfig c;
  c.preset = preset;
  c.name = preset + " study";
  if (preset == "smoke") {
    c.data.size = 32;
    for (const char* name : {"dcgan", "cgan"}) c.gans.push_back(preset_gan_arm(preset, name));
    c.classifier.width = 16;
    c.classifier.epochs = 6;
    c.classifier.batch_size = 32;
    c.classifier.seeds = {1, 2};
    c.evaluate.bootstrap = 200;
    c.score.feature_epochs = 3;
    c.score.feature_width = 16;
    c.score.eval_every = 200;
  } else if (preset == "quick") {
    c.gans.push_back(preset_gan_arm(preset, "cgan"));
    c.classifier.epochs = 6;
    c.classifier.seeds = {1, 2};
    c.score.eval_every = 250;
  } else {
    // The generator with the best scores against the real floor (docs/scores_ham10000.md).
    c.gans.push_back(preset_gan_arm(preset, "resnet"));
    c.classifier.epochs = 15;
    c.classifier.seeds = {1, 2, 3};
    c.score.feature_epochs = 10;
    c.score.eval_every = 500;
    c.score.cas = true;
    c.score.cas_epochs = 5;
  }
  c.classifier.arms = default_arms(preset, c.gans);
  return c;
}

}  // namespace skingan::experiment
