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
  // How synthetic images enter training (train/synthetic_policy.h; --synthetic-* options).
  int64_t synthetic_cap = -1;                  // synthetic images per class at most (-1: all)
  double synthetic_cap_ratio = -1;             // >= 0: at most this many times the real images
  std::vector<std::string> synthetic_classes;  // receiving classes, or {"minority"} (empty: all)
  std::string synthetic_filter_model;   // feature classifier folder for the confidence filter
  double synthetic_min_confidence = 0;  // keep images with P(intended class) >= this
  double synthetic_keep_top = 1;        // < 1: keep this most confident fraction per class
  double synthetic_ratio = -1;          // >= 0: expected synthetic share of each batch
  double synthetic_weight = 1;          // loss weight of a synthetic image (real: 1)
  int64_t finetune_real_epochs = 0;     // the last K epochs train on real images only
  std::string backbone;                 // arch kBackbone: the user's TorchScript file (copied into
                                        // MODEL_DIR/backbone.pt, so the model folder stands alone)
  uint64_t seed = 1;
  // CAS (train on synthetic images only): false leaves the first set's training rows out; it
  // still provides the validation split that selects the epoch.
  bool real_train = true;
  std::vector<std::string> classes;  // train and validate on these classes only (empty: all)
  int64_t steps_per_epoch = 0;       // 0: training images / batch; > 0 fixes the budget
  bool keep_last_epoch = false;      // best.pt is the last epoch, not the best on validation
  // Training forward pass: fp32, or bf16 autocast (CUDA only). "auto" becomes bf16 on CUDA and
  // fp32 on the CPU when the run starts; config.json keeps the resolved value.
  std::string precision = "auto";
};

nlohmann::json to_json(const ClassifierConfig& config);
ClassifierConfig classifier_config_from_json(const nlohmann::json& j);

}  // namespace skingan::train
