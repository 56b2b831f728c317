// `skingan train-classifier`: a CNN trained on one real prepared set plus optional synthetic
// sets, selected on the real validation split's balanced accuracy.
//
// MODEL_DIR/config.json              settings, classes, training sets, model options
//          /status.json              {"finished", "epoch", "best_epoch",
//          "best_val_balanced_accuracy"} /checkpoints/last.pt      full state after the last
//          finished epoch (model, optimiser,
//                                    epoch, RNG, sampler, best so far): --resume continues there
//          /best.pt                  the model with the best validation balanced accuracy
//          /metrics.jsonl            one line per epoch: train loss, val metrics, lr, images/s
//          /curves.png               train loss and validation balanced accuracy per epoch
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include "train/classifier_config.h"

namespace skingan::dist {
class ProcessGroup;
}

namespace skingan::train {

struct ClassifierRunOptions {
  std::vector<std::filesystem::path> train_sets;  // the first is the real set (val from it)
  std::filesystem::path model_dir;
  ClassifierConfig config;
  bool resume = false, force = false;
  int64_t max_epochs_now = 0;  // > 0: stop (resumably) after this many epochs in this call
  c10::Device device{c10::kCPU};
  bool progress = true;
  // Data-parallel training over this group (dist/process_group.h): null for one process.
  // --batch-size is per process; rank 0 alone writes MODEL_DIR, which every rank must see
  // (a shared file system) for --resume.
  dist::ProcessGroup* group = nullptr;
  // With a group: BatchNorm statistics over the global batch (the result does not depend on the
  // number of ranks), or per rank (faster where small all-reduces are slow; --local-batch-norm).
  bool sync_batch_norm = true;
};

struct ClassifierRunResult {
  bool finished = false, interrupted = false;
  int64_t epochs_trained = 0;  // in this invocation
  int64_t best_epoch = 0;
  double best_val_balanced_accuracy = 0;
  double seconds = 0, images_per_second = 0;
};

// ConfigError (before any work) for unknown options, sets of another size or with classes the
// real set lacks, a real set without training or validation images, or an existing MODEL_DIR
// without --resume/--force.
ClassifierRunResult run_classifier_training(const ClassifierRunOptions& options);

}  // namespace skingan::train
