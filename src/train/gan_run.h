// A GAN training run on a prepared set: the run folder, the schedule (log, sample, checkpoint),
// resume, SIGINT/SIGTERM and the per-class loop of the Frid-Adar et al. recipe.
//
// RUN_DIR/config.json        resolved GanConfig + the set it trains on
//        /status.json        {"finished": bool, "units": {name: step}} (rewritten atomically)
//   single GAN (acgan, cgan, dcgan on all classes):
//        /checkpoints/step_NNNNNNN.pt, /samples/step_NNNNNNN.png, /metrics.jsonl, /loss_curve.png
//   --per-class dcgan: the same under /classes/<label>/, plus /samples/final.png with one row per
//   class from every class's EMA generator.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "dist/process_group.h"
#include "train/gan_config.h"
#include "train/gan_run_folder.h"  // latest_checkpoint(), for callers of the run

namespace skingan::train {

struct GanRunOptions {
  std::filesystem::path set_dir;
  std::filesystem::path run_dir;
  GanConfig config;     // image_size is taken from the set
  bool resume = false;  // continue RUN_DIR from its latest checkpoints
  bool force = false;   // start over in an existing RUN_DIR
  c10::Device device{c10::kCPU};
  bool progress = true;
  int64_t new_steps = 0;  // with resume: raise the step budget to this (0 = keep)
  // Data parallel (dist/): every rank runs run_gan_training with its group. config.batch_size
  // is then per process, as in torch DDP (a resumed run keeps its saved global batch); rank 0
  // alone writes the run folder and evaluates.
  dist::ProcessGroup* group = nullptr;
};

struct GanRunResult {
  bool finished = false;             // every GAN reached its step budget
  bool interrupted = false;          // stopped by a signal after writing checkpoints
  int64_t steps = 0;                 // steps trained in this invocation
  double images_per_second = 0;      // real images per second over this invocation
  std::filesystem::path final_grid;  // one row per class
};

// ConfigError before any work for a refused option (size not supported, unknown class, class
// without training images, existing run without --resume/--force, resume of another
// architecture); CheckpointError for damaged checkpoints; TrainingDiverged on NaN/Inf.
GanRunResult run_gan_training(const GanRunOptions& options);

}  // namespace skingan::train
