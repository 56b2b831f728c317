// What one classifier training run is configured by (`skingan train-classifier`'s options),
// stored in MODEL_DIR/config.json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
  // CAS (train on synthetic images only): false leaves the first set's training rows out; it
  // still provides the validation split that selects the epoch.
  bool real_train = true;
  std::vector<std::string> classes;  // train and validate on these classes only (empty: all)
  int64_t steps_per_epoch = 0;       // 0: training images / batch; > 0 fixes the budget
  bool keep_last_epoch = false;      // best.pt is the last epoch, not the best on validation
};

nlohmann::json to_json(const ClassifierConfig& config);
ClassifierConfig classifier_config_from_json(const nlohmann::json& j);

}  // namespace skingan::train
