// Classification metrics for imbalanced, multi-class lesion data, computed from true labels and
// predicted class probabilities, plus bootstrap confidence intervals that resample lesions.
//
// Conventions (stated because libraries differ):
// - recall (sensitivity), specificity, precision, F1 and AUC are per class, one-vs-rest;
// - a class never predicted has precision 0 (sklearn's zero_division=0); a class absent from
//   the truth has undefined recall, F1 and AUC (NaN) and is left out of the macro averages and
//   of balanced accuracy (ISIC's metric: mean recall over the classes present);
// - ROC AUC is the Mann-Whitney statistic: P(score of a positive > score of a negative), ties
//   counting one half.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace skingan::eval {

struct ClassMetrics {
  int64_t support = 0;    // true images of the class
  int64_t predicted = 0;  // images predicted as the class
  double precision = 0, recall = 0, specificity = 0, f1 = 0, auc = 0;
};

struct Metrics {
  int64_t count = 0;
  double accuracy = 0;
  double balanced_accuracy = 0;
  double macro_f1 = 0;
  double macro_auc = 0;
  std::vector<ClassMetrics> per_class;          // by class index
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
};

// labels: N class indices in [0,K); probabilities: N rows of K scores (argmax = prediction).
Metrics compute_metrics(const std::vector<int64_t>& labels,
                        const std::vector<std::vector<double>>& probabilities, int64_t classes);

// Mann-Whitney ROC AUC of `scores` for `positive` (true = positive); NaN without both kinds.
double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive);

struct Interval {
  double low = 0, high = 0;
};

// Percentile bootstrap: `resamples` times draws groups (lesions) with replacement, keeps every
// image of each drawn group, and evaluates `statistic` on the image indices drawn; returns the
// [alpha/2, 1-alpha/2] percentiles (alpha = 0.05 gives 95%). NaN statistics are skipped.
Interval bootstrap_interval(const std::vector<std::string>& groups,
                            const std::function<double(const std::vector<int64_t>&)>& statistic,
                            int resamples, uint64_t seed, double alpha = 0.05);

// {"accuracy":..,"balanced_accuracy":..,"per_class":{label:{..}},"confusion":[[..]]}
nlohmann::json to_json(const Metrics& metrics, const std::vector<std::string>& class_names);

// McNemar's test on paired correctness (exact two-sided binomial on the discordant pairs).
struct McNemar {
  int64_t only_a_correct = 0, only_b_correct = 0;
  double p_value = 1;
};
McNemar mcnemar(const std::vector<bool>& a_correct, const std::vector<bool>& b_correct);

}  // namespace skingan::eval
