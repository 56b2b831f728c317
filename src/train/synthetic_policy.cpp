#include "train/synthetic_policy.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/text.h"
#include "dist/process_group.h"
#include "models/distributed_layers.h"

namespace skingan::train {

std::vector<std::string> receiving_classes(const std::vector<std::string>& spec,
                                           const std::vector<std::string>& classes,
                                           const std::vector<int64_t>& real_counts) {
  if (spec.empty()) return classes;
  if (spec.size() == 1 && spec.front() == "minority") {
    const double total = std::accumulate(real_counts.begin(), real_counts.end(), 0.0);
    const double mean = total / static_cast<double>(std::max<size_t>(1, real_counts.size()));
    std::vector<std::string> minority;
    for (size_t c = 0; c < classes.size(); ++c) {
      if (static_cast<double>(real_counts[c]) < mean) minority.push_back(classes[c]);
    }
    return minority;
  }
  for (const auto& name : spec) {
    if (name == "minority") {
      throw ConfigError(describe_problem("--synthetic-classes", "'minority' inside a list",
                                         "either 'minority' alone or a list of class names", ""));
    }
    if (!contains(classes, name)) {
      throw ConfigError(describe_problem("--synthetic-classes: class '" + name + "'",
                                         "not a class of the real set",
                                         "one of " + join(classes) + ", or 'minority'", ""));
    }
  }
  return spec;
}

void parse_synthetic_cap(const std::string& text, ClassifierConfig& config) {
  const bool relative = !text.empty() && (text.back() == 'x' || text.back() == 'X');
  const std::string number = relative ? text.substr(0, text.size() - 1) : text;
  size_t used = 0;
  double value = -1;
  try {
    value = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const bool whole = used == number.size() && !number.empty();
  // The bounds keep the count and the multiple times any class size inside int64 (a cap of
  // 1e27 was undefined behaviour when converted: found by fuzz_study_toml).
  if (!whole || value < 0 || !std::isfinite(value) || (!relative && value != std::floor(value)) ||
      value > (relative ? kMaxSyntheticCapRatio : kMaxSyntheticCap)) {
    throw ConfigError(describe_problem(
        "--synthetic-cap " + text, "not a count or a multiple",
        "a whole number of images per class up to 10^12 (e.g. 500) or a multiple of the class's "
        "real training images up to 1000x (e.g. 1x, 0.5x)",
        ""));
  }
  if (relative) {
    config.synthetic_cap_ratio = value;
  } else {
    config.synthetic_cap = static_cast<int64_t>(value);
  }
}

int64_t synthetic_limit(const ClassifierConfig& config, int64_t real_count) {
  int64_t limit = config.synthetic_cap;
  if (config.synthetic_cap_ratio >= 0) {
    const auto relative = static_cast<int64_t>(
        std::floor(config.synthetic_cap_ratio * static_cast<double>(real_count)));
    limit = limit < 0 ? relative : std::min(limit, relative);
  }
  return limit;
}

std::vector<int64_t> confident_rows(const torch::Tensor& confidence, const torch::Tensor& labels,
                                    double min_confidence, double keep_top) {
  const torch::Tensor p = confidence.to(torch::kCPU, torch::kDouble).contiguous();
  const torch::Tensor y = labels.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t n = p.size(0);
  const double* pd = p.data_ptr<double>();
  const int64_t* yd = y.data_ptr<int64_t>();
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < n; ++i)
    if (pd[i] >= min_confidence) kept.push_back(i);
  if (keep_top >= 1) return kept;
  // Per class: the most confident ceil(keep_top * n_c) of the class's rows (ties: set order).
  const int64_t classes = n == 0 ? 0 : y.max().item<int64_t>() + 1;
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(classes));
  for (int64_t i = 0; i < n; ++i) by_class[static_cast<size_t>(yd[i])].push_back(i);
  std::vector<int64_t> top;
  for (auto& rows : by_class) {
    std::stable_sort(rows.begin(), rows.end(), [&](int64_t a, int64_t b) { return pd[a] > pd[b]; });
    const auto want = static_cast<int64_t>(std::ceil(keep_top * static_cast<double>(rows.size())));
    for (int64_t k = 0; k < want; ++k)
      if (pd[rows[k]] >= min_confidence) top.push_back(rows[k]);
  }
  std::sort(top.begin(), top.end());
  return top;
}

torch::Tensor weighted_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets,
                                     const torch::Tensor& class_weights,
                                     const torch::Tensor& sample_weights, double label_smoothing) {
  namespace F = torch::nn::functional;
  // [B]: per-image losses, each already multiplied by its class weight w_{y_i}.
  const torch::Tensor per_image = F::cross_entropy(logits, targets,
                                                   F::CrossEntropyFuncOptions()
                                                       .weight(class_weights)
                                                       .label_smoothing(label_smoothing)
                                                       .reduction(torch::kNone));
  const torch::Tensor norm =
      class_weights.defined()
          ? class_weights.index_select(0, targets).sum()
          : torch::full({}, static_cast<double>(targets.size(0)), per_image.options());
  // Data parallel with class weights: divide by the rank's share of the global batch's weight
  // sum, so the mean of the ranks' losses (what gradient averaging takes) is the global batch's
  // weighted mean. Without class weights every rank's norm is its batch size, equal already.
  if (dist::ProcessGroup* group = dist::active_group();
      group != nullptr && class_weights.defined()) {
    return (per_image * sample_weights).sum() /
           (models::all_reduce_sum(norm.detach()) / static_cast<double>(group->size()));
  }
  return (per_image * sample_weights).sum() / norm;
}

void check_synthetic_policy(const ClassifierConfig& c) {
  auto refuse = [](const std::string& what, const std::string& found, const std::string& expected) {
    throw ConfigError(describe_problem(what, found, expected, ""));
  };
  if (c.synthetic_ratio != -1 && (c.synthetic_ratio < 0 || c.synthetic_ratio > 1)) {
    refuse("--synthetic-ratio", std::to_string(c.synthetic_ratio), "a share in [0, 1]");
  }
  if (c.synthetic_ratio >= 0 && !c.real_train) {
    refuse("--synthetic-ratio", "a run on synthetic images only (CAS)",
           "real training images to mix with");
  }
  if (c.synthetic_weight < 0 || !std::isfinite(c.synthetic_weight)) {
    refuse("--synthetic-weight", std::to_string(c.synthetic_weight), "a weight >= 0");
  }
  if (c.finetune_real_epochs < 0 || c.finetune_real_epochs >= c.epochs) {
    refuse("--finetune-real-epochs " + std::to_string(c.finetune_real_epochs),
           "not below --epochs " + std::to_string(c.epochs),
           "0 to " + std::to_string(c.epochs - 1) +
               " (the epochs before them train on real + synthetic images)");
  }
  if (c.synthetic_min_confidence < 0 || c.synthetic_min_confidence > 1) {
    refuse("--synthetic-min-confidence", std::to_string(c.synthetic_min_confidence),
           "a probability in [0, 1]");
  }
  if (c.synthetic_keep_top <= 0 || c.synthetic_keep_top > 1) {
    refuse("--synthetic-keep-top", std::to_string(c.synthetic_keep_top), "a fraction in (0, 1]");
  }
  const bool filtering = c.synthetic_min_confidence > 0 || c.synthetic_keep_top < 1;
  if (filtering && c.synthetic_filter_model.empty()) {
    refuse("--synthetic-min-confidence/--synthetic-keep-top", "no --synthetic-filter-model",
           "the feature classifier that scores the synthetic images (e.g. score's --features "
           "model folder)");
  }
}

}  // namespace skingan::train
