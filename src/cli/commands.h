// The subcommands. Each has an Args struct filled by CLI11, a function that registers its
// options, a conversion to the library's options struct (where the values get checked) and a
// run function. Tests feed argv vectors through the same functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/runtime.h"
#include "data/demo_data.h"
#include "data/prepare.h"
#include "eval/evaluate.h"
#include "eval/generator_score.h"
#include "generate/synthetic_set.h"
#include "generate/torchscript_export.h"
#include "train/classifier_run.h"
#include "train/gan_run.h"

namespace skingan::cli {

struct MakeDemoDataArgs {
  std::string output;
  std::uint64_t seed = 7;
  int lesions = 120;
  int max_views = 3;
  double hair_fraction = 0.3;
  bool force = false;
};
CLI::App* add_make_demo_data_command(CLI::App& app, MakeDemoDataArgs& args);
data::DemoDataOptions to_demo_data_options(const MakeDemoDataArgs& args);
int run_make_demo_data(const MakeDemoDataArgs& args, const Runtime& runtime);

struct PrepareArgs {
  std::string source;
  std::string output;
  std::string format = "auto";
  std::string metadata;
  std::vector<std::string> images;
  std::vector<std::string> classes;
  int size = 64;
  std::string crop = "center";
  bool no_hair_removal = false;
  bool no_color_constancy = false;
  std::string split = "0.7,0.15,0.15";
  std::uint64_t seed = 42;
  std::string split_file;
  bool skip_bad = false;
  bool allow_outside_links = false;
  bool force = false;
};
CLI::App* add_prepare_command(CLI::App& app, PrepareArgs& args);
data::PrepareOptions to_prepare_options(const PrepareArgs& args, const Runtime& runtime);
int run_prepare(const PrepareArgs& args, const Runtime& runtime);

struct InfoArgs {
  std::string set;
  std::string sheets;  // default: "<set>_sheets" beside the set
  int per_class = 48;
  bool no_sheets = false;
  bool json = false;
};
CLI::App* add_info_command(CLI::App& app, InfoArgs& args);
int run_info(const InfoArgs& args, const Runtime& runtime);

struct TrainGanArgs {
  std::string set;
  std::string output;
  std::string arch;
  int64_t epochs = 0;
  int64_t steps = 0;
  int64_t batch_size = 64;
  int64_t g_channels = 64, d_channels = 64, latent_dim = 100;
  std::string loss;
  double lr_g = 0, lr_d = 0, beta1 = 0, beta2 = 0;
  double label_smoothing = 0, r1 = 0, ema = 0;
  bool spectral_norm = false, no_spectral_norm = false, minibatch_stddev = false;
  std::string diffaugment;
  double ada_target = 0;
  int64_t ada_kimg = 100;
  bool ada_per_class = false;
  std::string ada_heuristic;
  std::string upsample;
  double phase_kimg = 10;
  int64_t r1_every = 1;
  int64_t d_steps = 1;
  double gp = 10.0;
  double spectral_loss = 0.0;
  double lecam = 0.0;
  double balance_power = 0.0;
  bool per_class = false;
  std::vector<std::string> classes;
  std::uint64_t seed = 1;
  int64_t log_every = 10, sample_every = 250, checkpoint_every = 250;
  int64_t eval_every = 0, eval_images = 250;
  std::string eval_features;
  bool resume = false, force = false;
  CLI::App* command = nullptr;  // to tell given options from defaults
};
CLI::App* add_train_gan_command(CLI::App& app, TrainGanArgs& args);
train::GanRunOptions to_gan_run_options(const TrainGanArgs& args, const Runtime& runtime);
int run_train_gan(const TrainGanArgs& args, const Runtime& runtime);

struct GenerateArgs {
  std::string run;
  std::string output;
  int64_t per_class = -1;  // -1: not given
  std::string balance_to;  // N or "max"
  std::vector<std::string> classes;
  std::uint64_t seed = 0;
  double truncation = 0;
  bool use_ema = true;
  std::string bn_statistics = "standing";
  int64_t checkpoint = -1;
  std::string filter = "none";
  double keep = 1.0;
  std::string real;
  std::string preview;
  bool force = false;
};

CLI::App* add_generate_command(CLI::App& app, GenerateArgs& args);
generate::GenerateOptions to_generate_options(const GenerateArgs& args, const Runtime& runtime);
int run_generate(const GenerateArgs& args, const Runtime& runtime);

struct ExportGeneratorArgs {
  std::string run;
  std::string output;
  int64_t checkpoint = -1;
  bool use_ema = true;
  std::string bn_statistics = "standing";
  bool force = false;
};

CLI::App* add_export_generator_command(CLI::App& app, ExportGeneratorArgs& args);
int run_export_generator(const ExportGeneratorArgs& args, const Runtime& runtime);

struct TrainClassifierArgs {
  std::vector<std::string> train;
  std::string output;
  std::string model = "resnet18";
  int64_t width = 64;
  int64_t epochs = 15;
  int64_t batch_size = 64;
  std::string optimizer = "adamw";
  double lr = 0, weight_decay = -1, warmup_epochs = 1, label_smoothing = 0.1;
  std::string augment = "classic";
  bool class_weights = false, balanced_sampler = false;
  std::string synthetic_cap;  // "N" or "Fx" (train::parse_synthetic_cap); empty: no cap
  std::vector<std::string> synthetic_classes;
  std::string synthetic_filter_model;
  double synthetic_min_confidence = 0, synthetic_keep_top = 1;
  double synthetic_ratio = -1, synthetic_weight = 1;
  int64_t finetune_real_epochs = 0;
  std::string backbone;
  std::string precision = "auto";
  std::uint64_t seed = 1;
  int stop_after = 0;             // > 0: train at most this many epochs in this call, then pause
  bool local_batch_norm = false;  // data parallel: BatchNorm statistics per rank
  bool resume = false, force = false;
};

CLI::App* add_train_classifier_command(CLI::App& app, TrainClassifierArgs& args);
train::ClassifierRunOptions to_classifier_run_options(const TrainClassifierArgs& args,
                                                      const Runtime& runtime);
int run_train_classifier(const TrainClassifierArgs& args, const Runtime& runtime);

struct EvaluateArgs {
  std::string model, data, output;
  std::string split = "test";
  std::string label_map;
  bool restrict_to_mapped = false;
  bool tta = false;
  int bootstrap = 1000;
  std::uint64_t seed = 1;
  bool force = false;
};

CLI::App* add_evaluate_command(CLI::App& app, EvaluateArgs& args);
int run_evaluate(const EvaluateArgs& args, const Runtime& runtime);

struct ScoreArgs {
  std::string synthetic, real, output;
  std::string split = "val";
  std::string features, classifier;
  std::vector<std::string> classes;
  int64_t max_per_class = 0;
  int kid_subsets = 100;
  int64_t kid_subset_size = 1000;
  bool no_cas = false, skip_small_classes = false;
  int64_t cas_epochs = 5, cas_width = 32;
  std::uint64_t seed = 1;
  bool force = false;
};

CLI::App* add_score_command(CLI::App& app, ScoreArgs& args);
eval::ScoreOptions to_score_options(const ScoreArgs& args, const Runtime& runtime);
int run_score(const ScoreArgs& args, const Runtime& runtime);

struct CompareArgs {
  std::string a, b;
  int bootstrap = 1000;
  std::uint64_t seed = 1;
  bool json = false;
};

CLI::App* add_compare_command(CLI::App& app, CompareArgs& args);
int run_compare(const CompareArgs& args, const Runtime& runtime);

struct ExperimentArgs {
  std::string config, preset, data, output;
  bool force = false, report_only = false;
  std::string stage;           // run only this stage (what an emitted Snakefile's rules run)
  std::string emit_snakefile;  // write the study as a Snakemake workflow instead of running it
};

CLI::App* add_experiment_command(CLI::App& app, ExperimentArgs& args);
int run_experiment(const ExperimentArgs& args, const Runtime& runtime);

struct DemoArgs {
  std::string output = "demo-out";
  bool force = false;
};

CLI::App* add_demo_command(CLI::App& app, DemoArgs& args);
int run_demo(const DemoArgs& args, const Runtime& runtime);

// Builds the whole command line, parses `args` (args[0] is the program name), runs the chosen
// subcommand and returns the exit code; every error is printed once, to stderr.
int run_cli(const std::vector<std::string>& args);

}  // namespace skingan::cli
