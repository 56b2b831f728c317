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

#include "augment/classic.h"
#include "models/classifier/classifier.h"

namespace skingan::train {

struct ClassifierConfig {
  models::ClassifierArch arch = models::ClassifierArch::kResnet18;
  int64_t width = 64;
  int64_t epochs = 15;
  int64_t batch_size = 64;
  std::string optimizer = "adamw";  // adamw | sgd
  double lr = 0;                    // 0: 2e-3 for adamw, 0.05 for sgd
  double weight_decay = -1;         // < 0: 0.05 for adamw, 5e-4 for sgd
  double warmup_epochs = 1;
  double label_smoothing = 0.1;
  std::string augment = "classic";  // none | classic
  bool class_weights = false;       // loss weighted by inverse class frequency
  bool balanced_sampler = false;    // every batch's classes drawn uniformly
  int64_t synthetic_cap = -1;       // synthetic images per class at most (-1: all)
  std::string backbone;             // arch kBackbone: the user's TorchScript file (copied into
                                    // MODEL_DIR/backbone.pt, so the model folder stands alone)
  uint64_t seed = 1;
};

nlohmann::json to_json(const ClassifierConfig& config);
ClassifierConfig classifier_config_from_json(const nlohmann::json& j);

struct ClassifierRunOptions {
  std::vector<std::filesystem::path> train_sets;  // the first is the real set (val from it)
  std::filesystem::path model_dir;
  ClassifierConfig config;
  bool resume = false, force = false;
  int64_t max_epochs_now = 0;  // > 0: stop (resumably) after this many epochs in this call
  c10::Device device{c10::kCPU};
  bool progress = true;
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
