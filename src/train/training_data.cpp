#include "train/training_data.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/text.h"
#include "data/prepared_set.h"
#include "eval/feature_model.h"
#include "train/synthetic_policy.h"

namespace skingan::train {
namespace {

// The probability the filter model gives each image's intended class: float [M].
torch::Tensor intended_class_confidence(const ClassifierRunOptions& o, const TrainingData& d,
                                        const torch::Tensor& images,
                                        const std::vector<int64_t>& labels) {
  const eval::FeatureModel model =
      eval::FeatureModel::open(o.config.synthetic_filter_model, o.device);
  model.check_compatible("--synthetic-filter-model " + o.config.synthetic_filter_model,
                         d.image_size, d.classes);
  torch::Tensor probabilities;
  model.extract(images, 256, &probabilities);  // [M, K'] in the model's class order
  const auto& names = model.classes();
  std::vector<int64_t> column;
  for (int64_t label : labels)
    column.push_back(std::find(names.begin(), names.end(), d.classes[label]) - names.begin());
  return probabilities.gather(1, torch::tensor(column, torch::kLong).unsqueeze(1)).squeeze(1);
}

std::vector<int64_t> pick(const std::vector<int64_t>& values, const std::vector<int64_t>& at) {
  std::vector<int64_t> out;
  for (int64_t i : at) out.push_back(values[static_cast<size_t>(i)]);
  return out;
}

}  // namespace

TrainingData load_training_data(const ClassifierRunOptions& o) {
  if (o.train_sets.empty()) throw ConfigError("train-classifier: give at least one --train SET.");
  const data::PreparedSet real = data::PreparedSet::open(o.train_sets.front());
  TrainingData d;
  d.classes = real.classes();
  if (!o.config.classes.empty()) {
    // A model of the named classes only, in the real set's order (CAS trains one on the classes
    // its synthetic set has: the majority class usually has none).
    for (const auto& c : o.config.classes) {
      if (!contains(d.classes, c)) {
        throw ConfigError(describe_problem("class '" + c + "' of the classifier's classes",
                                           "not in " + o.train_sets.front().string(),
                                           "one of: " + join(d.classes), ""));
      }
    }
    std::vector<std::string> kept;
    for (const auto& c : d.classes) {
      if (contains(o.config.classes, c)) kept.push_back(c);
    }
    d.classes = kept;
  }
  d.image_size = real.image_size();
  // Every set's training rows, split into real ones and synthetic candidates, in set order.
  std::vector<torch::Tensor> real_images, candidate_images;
  std::vector<int64_t> real_labels, candidate_labels;
  std::vector<int64_t> val_rows, val_labels;
  for (size_t s = 0; s < o.train_sets.size(); ++s) {
    const data::PreparedSet set = s == 0 ? real : data::PreparedSet::open(o.train_sets[s]);
    if (set.image_size() != d.image_size) {
      throw ConfigError(describe_problem(
          "training set " + o.train_sets[s].string(), std::to_string(set.image_size()) + " px",
          std::to_string(d.image_size) + " px like the first (real) set",
          "Prepare or generate it at the same size."));
    }
    std::vector<int64_t> real_rows, candidate_rows;
    for (size_t i = 0; i < set.rows().size(); ++i) {
      const auto& r = set.rows()[i];
      if (!o.config.classes.empty() && !contains(o.config.classes, r.label)) continue;
      if (s == 0 && r.split == data::Split::kValidation && r.source == "real") {
        val_rows.push_back(static_cast<int64_t>(i));
        val_labels.push_back(std::find(d.classes.begin(), d.classes.end(), r.label) -
                             d.classes.begin());
      }
      if (r.split != data::Split::kTrain) continue;  // val/test of every set stay out
      if (s == 0 && !o.config.real_train) continue;  // CAS: synthetic images only
      const auto it = std::find(d.classes.begin(), d.classes.end(), r.label);
      if (it == d.classes.end()) {
        throw ConfigError(
            describe_problem("class '" + r.label + "' in " + o.train_sets[s].string(),
                             "not a class of the real set " + o.train_sets.front().string(),
                             "synthetic sets drawn for the real set's classes", ""));
      }
      const bool synthetic = r.source == "synthetic";
      (synthetic ? candidate_rows : real_rows).push_back(static_cast<int64_t>(i));
      (synthetic ? candidate_labels : real_labels).push_back(it - d.classes.begin());
    }
    if (real_rows.empty() && candidate_rows.empty() && s > 0) continue;
    const torch::Tensor all = set.load_images();  // one read of the cache per set
    if (!real_rows.empty())
      real_images.push_back(all.index_select(0, torch::tensor(real_rows, torch::kLong)));
    if (!candidate_rows.empty())
      candidate_images.push_back(all.index_select(0, torch::tensor(candidate_rows, torch::kLong)));
    if (s == 0) d.val_images = all.index_select(0, torch::tensor(val_rows, torch::kLong));
  }

  const size_t classes = d.classes.size();
  std::vector<int64_t> real_counts(classes, 0);
  for (int64_t label : real_labels) ++real_counts[static_cast<size_t>(label)];
  const std::vector<std::string> receiving =
      receiving_classes(o.config.synthetic_classes, d.classes, real_counts);
  std::vector<int64_t> candidates(classes, 0), not_receiving(classes, 0), passed(classes, 0),
      used(classes, 0);
  std::vector<int64_t> eligible;  // candidates of receiving classes
  for (size_t i = 0; i < candidate_labels.size(); ++i) {
    const auto label = static_cast<size_t>(candidate_labels[i]);
    ++candidates[label];
    if (contains(receiving, d.classes[label])) {
      eligible.push_back(static_cast<int64_t>(i));
    } else {
      ++not_receiving[label];
    }
  }
  const torch::Tensor all_candidates =
      candidate_images.empty() ? torch::Tensor() : torch::cat(candidate_images);
  std::vector<int64_t> order = eligible;  // the eligible that pass the filter, ascending
  if (!o.config.synthetic_filter_model.empty() && !eligible.empty()) {
    const std::vector<int64_t> labels = pick(candidate_labels, eligible);
    const torch::Tensor images =
        all_candidates.index_select(0, torch::tensor(eligible, torch::kLong));
    order = pick(eligible,
                 confident_rows(intended_class_confidence(o, d, images, labels),
                                torch::tensor(labels, torch::kLong),
                                o.config.synthetic_min_confidence, o.config.synthetic_keep_top));
  }
  std::vector<int64_t> take;
  for (int64_t i : order) {
    const auto label = static_cast<size_t>(candidate_labels[static_cast<size_t>(i)]);
    ++passed[label];
    const int64_t limit = synthetic_limit(o.config, real_counts[label]);
    if (limit >= 0 && used[label] >= limit) continue;
    ++used[label];
    take.push_back(i);
  }
  for (size_t k = 0; k < classes; ++k) {
    if (candidates[k] == 0) continue;
    d.synthetic_report[d.classes[k]] = {{"candidates", candidates[k]},
                                        {"not_receiving", not_receiving[k]},
                                        {"passed_filter", passed[k]},
                                        {"used", used[k]}};
  }

  if ((real_images.empty() && take.empty()) || val_rows.empty()) {
    throw ConfigError(describe_problem("real set " + o.train_sets.front().string(),
                                       "no training or no validation images",
                                       "a prepared set with train and val splits", ""));
  }
  std::vector<torch::Tensor> images = real_images;
  if (!take.empty())
    images.push_back(all_candidates.index_select(0, torch::tensor(take, torch::kLong)));
  std::vector<int64_t> labels = real_labels;
  const std::vector<int64_t> taken_labels = pick(candidate_labels, take);
  labels.insert(labels.end(), taken_labels.begin(), taken_labels.end());
  d.train_images = torch::cat(images);
  d.train_labels = torch::tensor(labels, torch::kLong);
  d.train_synthetic =
      torch::arange(d.train_labels.size(0)) >= static_cast<int64_t>(real_labels.size());
  d.val_labels = torch::tensor(val_labels, torch::kLong);
  return d;
}

}  // namespace skingan::train
