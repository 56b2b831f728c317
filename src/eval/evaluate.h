// `skingan evaluate` and `skingan compare`: a trained classifier on a prepared set's real images,
// with bootstrap confidence intervals over lesions, and the paired comparison of two evaluations
// on the same images.
//
// OUT/metrics.json      metrics (see eval/metrics.h), 95% CIs, excluded rows, settings
//    /predictions.csv   id,group,label,predicted,p_<class>... (label after --label-map)
//    /confusion.csv     the confusion matrix, rows true, columns predicted
//    /confusion.png
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

namespace skingan::eval {

struct EvaluateOptions {
  std::filesystem::path model_dir;
  std::filesystem::path data_set;
  std::filesystem::path output;
  std::string split = "test";  // test | val | train | all
  std::string label_map;       // "sk=bkl,mel=mel,nv=nv": data label = model class
  bool tta = false;
  int bootstrap = 1000;
  uint64_t seed = 1;
  bool force = false;
  c10::Device device{c10::kCPU};
  // Called with the staging folder and metrics.json before the output is committed, so callers
  // above this layer (pictures) add files that appear atomically with the rest.
  std::function<void(const std::filesystem::path&, const nlohmann::json&)> extra_outputs;
};

// Refuses (ConfigError, nothing written) an unknown split, a label map naming a class the model
// lacks or malformed, no evaluable image, and an existing output without force.
nlohmann::json evaluate_model(const EvaluateOptions& options);

// "a=b,c=d" -> {a: b, c: d}; ConfigError on a malformed entry.
std::map<std::string, std::string> parse_label_map(const std::string& text);

// B minus A on the images both evaluated (matched by id): balanced accuracy and accuracy with a
// paired bootstrap CI over lesions, and McNemar's test on per-image correctness. `a` and `b` are
// evaluate output folders (or their metrics.json).
nlohmann::json compare_evaluations(const std::filesystem::path& a, const std::filesystem::path& b,
                                   int resamples = 1000, uint64_t seed = 1);

}  // namespace skingan::eval
