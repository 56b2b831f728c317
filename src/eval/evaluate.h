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
  // With a label map onto fewer classes than the model: also the figures with each prediction
  // restricted to the mapped classes (argmax over their probabilities), metrics.json
  // "restricted" and predictions.csv "predicted_restricted". A 7-class model that says akiec on
  // a 3-class cohort is otherwise only counted wrong.
  bool restrict_to_mapped = false;
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
// lacks or malformed, --restrict-to-mapped without a label map, no evaluable image, an existing
// output without force, and (DataError) a set other than the model's real set that shares images
// (id or content hash) with the rows the model trained or was selected on: leakage, ids named
// (a training set no longer on disk is reported in "leakage_check", not compared).
nlohmann::json evaluate_model(const EvaluateOptions& options);

// Probabilities [N][K] with the classes where allowed[c] is false set to 0 and each row
// renormalised to sum 1 (a row with no allowed mass stays all 0).
std::vector<std::vector<double>> restrict_probabilities(
    const std::vector<std::vector<double>>& probabilities, const std::vector<bool>& allowed);

// "a=b,c=d" -> {a: b, c: d}; ConfigError on a malformed entry.
std::map<std::string, std::string> parse_label_map(const std::string& text);

// B minus A on the images both evaluated (matched by id): balanced accuracy and accuracy with a
// paired bootstrap CI over lesions, and McNemar's test on per-image correctness. `a` and `b` are
// evaluate output folders (or their metrics.json).
nlohmann::json compare_evaluations(const std::filesystem::path& a, const std::filesystem::path& b,
                                   int resamples = 1000, uint64_t seed = 1);

}  // namespace skingan::eval
