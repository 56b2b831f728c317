#include "models/gan/gan_checkpoint.h"

#include <algorithm>
#include <limits>

#include <torch/serialize/input-archive.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/exception_message.h"
#include "core/names.h"
#include "io/archive_code.h"
#include "io/files.h"
#include "io/json_fields.h"
#include "models/gan/batch_norm_statistics.h"

namespace fs = std::filesystem;

namespace skingan::models {

GanUnit GanRun::unit_for(const std::string& label) const {
  const auto it = std::find(classes.begin(), classes.end(), label);
  if (it == classes.end()) {
    std::string known;
    for (const auto& c : classes) known += (known.empty() ? "" : ", ") + c;
    throw ConfigError(describe_problem("class '" + label + "'", "not trained by " + dir.string(),
                                       "one of: " + known,
                                       "Choose one of those with --classes, or train a GAN that "
                                       "includes it."));
  }
  const int64_t index = it - classes.begin();
  if (config.per_class) return {label, dir / "classes" / label, -1};
  return {gan_arch_name(config.arch), dir, is_conditional(config) ? index : -1};
}

GanRun read_gan_run(const fs::path& run_dir) {
  const fs::path config_path = run_dir / "config.json";
  if (!fs::exists(config_path)) {
    throw ConfigError(describe_problem("GAN run " + run_dir.string(), "no config.json there",
                                       "a folder written by `skingan train-gan`",
                                       "Check the path, or train one with `skingan train-gan`."));
  }
  return parse_gan_run_config(io::read_file(config_path), run_dir);
}

GanRun parse_gan_run_config(const std::string& text, const fs::path& run_dir) {
  const std::string path = (run_dir / "config.json").string();
  const std::string fix = "Train the GAN again, or restore its folder.";
  const nlohmann::json j = io::parse_json_object<ConfigError>(text, path, fix);
  if (!j.contains("gan") || !j.contains("classes")) {
    throw ConfigError(path + " is not a skingan GAN run's config (no \"gan\" or \"classes\").");
  }
  GanRun run;
  run.dir = run_dir;
  try {
    run.config = gan_model_config_from_json(j.at("gan"));
  } catch (const ConfigError& e) {
    throw ConfigError(path + ": " + e.what());
  }
  io::read_json_fields<ConfigError>(path, fix, [&] {
    run.classes = j.at("classes").get<std::vector<std::string>>();
    run.set_dir = j.value("set", "");
    return 0;
  });
  if (run.classes.size() > kMaxGanClasses || !distinct_nonempty_names(run.classes)) {
    throw ConfigError(describe_problem(
        path, std::to_string(run.classes.size()) + " class names",
        "1.." + std::to_string(kMaxGanClasses) + " distinct, non-empty class names", fix));
  }
  return run;
}

fs::path find_checkpoint(const GanUnit& unit, int64_t step) {
  if (step == kBestCheckpoint) {
    const fs::path best = unit.dir / "best" / "checkpoint.pt";
    if (fs::exists(best)) return best;
    throw CheckpointError(describe_problem(
        "--checkpoint best for GAN " + unit.name + " in " + unit.dir.string(), "no best checkpoint",
        "a run trained with --eval-every (it keeps best/checkpoint.pt)",
        "Pass a step or leave --checkpoint out for the latest, or train with --eval-every N "
        "--eval-features MODEL."));
  }
  const fs::path dir = unit.dir / "checkpoints";
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".pt" && name.rfind("step_", 0) == 0) found.push_back(e.path());
  }
  std::sort(found.begin(), found.end());
  if (found.empty()) {
    throw CheckpointError(describe_problem(
        "GAN " + unit.name + " in " + unit.dir.string(), "no checkpoint",
        "at least one checkpoint (checkpoints/step_N.pt)",
        "Train it first (`skingan train-gan`), or resume the interrupted run with --resume."));
  }
  if (step < 0) return found.back();
  const std::string name = checkpoint_file_name(step);
  if (fs::exists(dir / name)) return dir / name;
  std::string steps;
  for (const auto& f : found) {
    steps += (steps.empty() ? "" : ", ") + std::to_string(std::stoll(f.stem().string().substr(5)));
  }
  throw CheckpointError(
      describe_problem("--checkpoint " + std::to_string(step),
                       "no such checkpoint for " + unit.name + " in " + dir.string(),
                       "one of the kept steps: " + steps, ""));
}

namespace {

// The one integer a checkpoint stores under `key`: a one-element integer tensor within
// [low, high]; CheckpointError naming the file otherwise.
int64_t read_count(torch::serialize::InputArchive& archive, const char* key, int64_t low,
                   int64_t high, const fs::path& path) {
  torch::Tensor value;
  if (!archive.try_read(key, value) || !value.defined() || value.numel() != 1 ||
      at::isFloatingType(value.scalar_type()) || value.scalar_type() == at::kBool ||
      at::isComplexType(value.scalar_type())) {
    throw CheckpointError(describe_problem(path.string(), std::string("no integer \"") + key + "\"",
                                           "a skingan GAN checkpoint",
                                           "Use an earlier checkpoint (--checkpoint STEP)."));
  }
  const int64_t n = value.to(torch::kCPU).item<int64_t>();
  if (n < low || n > high) {
    throw CheckpointError(describe_problem(
        path.string(), std::string(key) + " = " + std::to_string(n),
        std::to_string(low) + ".." + std::to_string(high), "The file is damaged."));
  }
  return n;
}

}  // namespace

GanCheckpointHeader read_gan_checkpoint_header(torch::serialize::InputArchive& archive,
                                               const fs::path& path) {
  c10::IValue config_value;
  if (!archive.try_read("config", config_value) || !config_value.isString()) {
    throw CheckpointError(path.string() + " is not a skingan GAN checkpoint (no config).");
  }
  const nlohmann::json config = io::parse_json_object<CheckpointError>(
      config_value.toStringRef(), path.string() + " (its config)", "The file is damaged.");
  GanCheckpointHeader header;
  try {
    header.config = gan_model_config_from_json(config);
  } catch (const ConfigError& e) {
    throw CheckpointError(path.string() + " is damaged: " + e.what());
  }
  header.num_classes = read_count(archive, "num_classes", 0, kMaxGanClasses, path);
  header.step = read_count(archive, "step", 0, std::numeric_limits<int64_t>::max(), path);
  return header;
}

GanCheckpoint load_gan_checkpoint(const fs::path& path, c10::Device device) {
  torch::serialize::InputArchive archive;
  try {
    io::load_archive(archive, path, device);
  } catch (const CheckpointError&) {
    throw;  // code the loader must not parse, named by record and line
  } catch (const std::exception&) {
    throw CheckpointError(describe_problem("checkpoint " + path.string(), "an unreadable file",
                                           "a skingan GAN checkpoint",
                                           "Use an earlier checkpoint (--checkpoint STEP)."));
  }
  const GanCheckpointHeader header = read_gan_checkpoint_header(archive, path);
  GanCheckpoint c;
  c.config = header.config;
  c.num_classes = header.num_classes;
  c.step = header.step;
  auto load_into = [&](const char* key, torch::nn::Module& module) {
    torch::serialize::InputArchive part;
    try {
      archive.read(key, part);
      module.load(part);
    } catch (const std::exception& e) {
      throw CheckpointError(describe_problem(
          path.string(),
          std::string("a ") + key + " that does not fit its config (" + short_message(e) + ")",
          "the weights of the networks its config describes", "The file is damaged."));
    }
    module.to(device);
    module.eval();
  };
  try {
    c.generator = Generator(generator_options(c.config, c.num_classes));
    c.discriminator = Discriminator(discriminator_options(c.config, c.num_classes));
    if (c.config.has_ema) c.generator_ema = Generator(generator_options(c.config, c.num_classes));
  } catch (const ConfigError& e) {
    throw CheckpointError(path.string() + " is damaged: " + e.what());
  }
  load_into("generator", *c.generator);
  load_into("discriminator", *c.discriminator);
  if (c.config.has_ema) load_into("generator_ema", *c.generator_ema);
  return c;
}

std::string checkpoint_file_name(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof(name), "step_%07lld.pt", static_cast<long long>(step));
  return name;
}

Generator& sampling_generator(GanCheckpoint& c, bool use_ema) {
  return use_ema && c.generator_ema ? c.generator_ema : c.generator;
}

void use_standing_statistics(GanCheckpoint& c, bool use_ema) {
  Generator& g = sampling_generator(c, use_ema);
  recompute_batch_norm_statistics(g, kStandingBatches, kStandingBatchSize, c.config.seed,
                                  g->parameters().front().device());
}

}  // namespace skingan::models
