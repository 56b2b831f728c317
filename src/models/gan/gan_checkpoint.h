// Reading a finished GAN run back: its folder (config.json, one unit per class for --per-class
// runs) and the models in its checkpoints, for sampling, filtering and export, without the
// trainer. The checkpoint format itself is written by train::GanTrainer::save: an archive with
// "config" (the train-gan configuration as JSON), "num_classes", "step", and the modules
// "generator", "discriminator" and (with EMA) "generator_ema"; the trainer adds its own state.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <c10/core/Device.h>
#include <torch/serialize/input-archive.h>

#include "models/gan/discriminator.h"
#include "models/gan/gan_architecture.h"
#include "models/gan/generator.h"

namespace skingan::models {

// Where the generator for one class lives in a run.
struct GanUnit {
  std::string name;           // "mel" for a per-class unit, else the architecture
  std::filesystem::path dir;  // holds checkpoints/
  int64_t label_index = -1;   // the class's index for a conditional generator, else -1
};

struct GanRun {
  std::filesystem::path dir;
  GanModelConfig config;
  std::vector<std::string> classes;  // the classes it was trained on, in label order
  std::filesystem::path set_dir;     // the prepared set it was trained on
  // The unit that draws `label`; ConfigError naming the run's classes when it has none.
  GanUnit unit_for(const std::string& label) const;
};

// Reads RUN_DIR/config.json. ConfigError when RUN_DIR is not a skingan GAN run.
GanRun read_gan_run(const std::filesystem::path& run_dir);
// The same from the file's text: ConfigError naming the file for invalid JSON, a missing or
// mistyped field, a model field out of range, or class names that are not 1..kMaxGanClasses
// distinct non-empty strings.
inline constexpr int64_t kMaxGanClasses = 1000;
GanRun parse_gan_run_config(const std::string& text, const std::filesystem::path& run_dir);

// "step_0001500.pt": the file name of the checkpoint after `step` steps, under UNIT/checkpoints.
std::string checkpoint_file_name(int64_t step);

// `generate --checkpoint best`: the checkpoint with the lowest KID of train-gan --eval-every.
inline constexpr int64_t kBestCheckpoint = -2;

// UNIT/checkpoints/step_NNNNNNN.pt for `step`, the latest when step is -1, UNIT/best/checkpoint.pt
// for kBestCheckpoint. CheckpointError when there is none (saying which steps exist and how to
// make one).
std::filesystem::path find_checkpoint(const GanUnit& unit, int64_t step);

// The models of one checkpoint, in eval mode on `device`. generator_ema is null when the run
// kept no EMA.
struct GanCheckpoint {
  GanModelConfig config;
  int64_t num_classes = 0;
  int64_t step = 0;
  Generator generator{nullptr};
  Generator generator_ema{nullptr};
  Discriminator discriminator{nullptr};
};
// CheckpointError naming `path` for any file that is not a whole checkpoint of a valid
// configuration (unreadable archive, bad header, weights that do not fit the config).
GanCheckpoint load_gan_checkpoint(const std::filesystem::path& path, c10::Device device);

// What a checkpoint says about itself before any weight is read: its configuration (checked as
// in config.json), number of classes (0..kMaxGanClasses) and step (>= 0). CheckpointError
// naming `path` otherwise.
struct GanCheckpointHeader {
  GanModelConfig config;
  int64_t num_classes = 0;
  int64_t step = 0;
};
GanCheckpointHeader read_gan_checkpoint_header(torch::serialize::InputArchive& archive,
                                               const std::filesystem::path& path);

// The generator that samples: the EMA one when `use_ema` and the run kept one, else the raw one.
Generator& sampling_generator(GanCheckpoint& c, bool use_ema);

// Standing BatchNorm statistics (models/gan/batch_norm_statistics.h) for the generator that
// samples (sampling_generator), from the run's seed, so the same checkpoint always samples the
// same images.
void use_standing_statistics(GanCheckpoint& c, bool use_ema);

}  // namespace skingan::models
