// Reading a model folder written by `skingan train-classifier` (config.json + best.pt) back into
// a classifier, without the trainer: evaluate, score and the study's feature model use it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include "models/classifier/classifier.h"

namespace skingan::models {

struct ClassifierFolder {
  Classifier model{nullptr};         // best.pt's weights, on the device, in eval mode
  std::vector<std::string> classes;  // its output order
  nlohmann::json config;             // the folder's config.json
};

// ConfigError (saying what to do) when DIR has no config.json or best.pt; CheckpointError when
// best.pt does not fit the configured model.
ClassifierFolder load_classifier_folder(const std::filesystem::path& dir, c10::Device device);

}  // namespace skingan::models
