// The files of one unit folder of a GAN run (the whole run, or one class of a per-class run):
// checkpoint names, pruning and lookup, the configuration and best KID kept for resume, and
// metrics.jsonl lines.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "train/gan_trainer.h"

namespace skingan::train {

// "step_0001500": the name of a step's sample grid.
std::string step_name(int64_t step);

// Deletes all but the `keep` latest .pt files of `dir` (names sort by step).
void prune_checkpoints(const std::filesystem::path& dir, int keep);

// Latest checkpoint in DIR/checkpoints (highest step), or empty.
std::filesystem::path latest_checkpoint(const std::filesystem::path& unit_dir);

// The best KID a resumed unit had reached (its best/best.json), or infinity when it has none.
// CheckpointError naming the file when it is damaged.
double resumed_best_kid(const std::filesystem::path& unit_dir);

// The configuration a run to be resumed was started with (its config.json's "gan"). ConfigError
// naming the file when it is damaged or holds another architecture than `requested`.
GanConfig resumed_gan_config(const std::filesystem::path& config_json, GanArch requested);

// One metrics.jsonl line of a measured step (the optional fields only where they apply).
nlohmann::json metrics_line(const GanStepMetrics& m, double images_per_second);

}  // namespace skingan::train
