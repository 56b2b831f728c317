// The images a classifier run trains and selects on (`train-classifier --train SET...`): every
// real training image, the synthetic training rows the policy keeps (receiving classes,
// confidence filter, cap; synthetic_policy.h) from every set, and the first set's validation
// images.
#pragma once

#include <string>
#include <vector>

#include <torch/types.h>
#include <nlohmann/json.hpp>

#include "train/classifier_run.h"

namespace skingan::train {

struct TrainingData {
  std::vector<std::string> classes;  // the first (real) set's
  int64_t image_size = 0;
  torch::Tensor train_images, train_labels;  // uint8 [N,3,S,S], long [N]
  torch::Tensor train_synthetic;             // bool [N]: the row is a synthetic image
  torch::Tensor val_images, val_labels;      // the first set's real validation images
  // Per class with synthetic candidates: {"candidates", "not_receiving" (left out by
  // --synthetic-classes), "passed_filter", "used" (after the cap)}. Written to config.json:
  // nothing is dropped unreported.
  nlohmann::json synthetic_report = nlohmann::json::object();
};

// ConfigError for no set, a set of another image size or with a class the first set lacks, a
// first set without training or validation images, and a filter model that cannot judge the
// classes (eval::FeatureModel::check_compatible).
TrainingData load_training_data(const ClassifierRunOptions& options);

}  // namespace skingan::train
