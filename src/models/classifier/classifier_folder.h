// Reading a model folder written by `skingan train-classifier` (config.json + best.pt) back into
// a classifier, without the trainer: evaluate, score and the study's feature model use it.
#pragma once

#include <filesystem>
#include <string>
#include <tuple>
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

// The parts of a model folder's config.json (the text of `path`): the whole JSON, the class
// names and the model's options. ConfigError naming the file for invalid JSON, missing or mistyped
// fields, options out of range, or class names that do not name each output once.
std::tuple<nlohmann::json, std::vector<std::string>, ClassifierOptions> parse_classifier_config(
    const std::string& text, const std::filesystem::path& path);

// ConfigError (saying what to do) when DIR has no config.json or best.pt; CheckpointError when
// best.pt does not fit the configured model.
ClassifierFolder load_classifier_folder(const std::filesystem::path& dir, c10::Device device);

}  // namespace skingan::models
