// Statistics over a study's runs: the spread of a metric over seeds, and the paired difference
// between two classifier arms trained with the same seeds and tested on the same images, with a
// confidence interval that resamples both seeds and test lesions (a two-level bootstrap).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace skingan::eval {

// `skingan evaluate`'s predictions.csv, in file order; labels and predictions as class indices.
struct PredictionTable {
  std::vector<std::string> classes;  // from the p_<class> columns
  std::vector<std::string> ids, groups;
  std::vector<int64_t> labels, predicted;
};

// Reads EVAL_DIR/predictions.csv (or a predictions.csv path). ConfigError when it is missing,
// DataError when a label or prediction is not among the classes.
PredictionTable read_prediction_table(const std::filesystem::path& evaluation);

struct SeedSummary {
  int n = 0;
  double mean = 0;
  double sd = 0;  // sample standard deviation (n - 1); 0 for one value
  double min = 0, max = 0;
};

// NaN values (a metric undefined for a run) are left out; n counts the rest.
SeedSummary summarize_over_seeds(const std::vector<double>& values);

// Mean recall over the classes present in `labels` (ISIC's balanced accuracy).
double balanced_accuracy(const std::vector<int64_t>& labels, const std::vector<int64_t>& predicted,
                         int64_t classes);

struct PairedDifference {
  std::vector<double> per_seed;    // arm minus baseline balanced accuracy, one per seed
  double mean = 0;                 // their mean
  double ci_low = 0, ci_high = 0;  // 95% percentile interval of the two-level bootstrap
  // Per class: mean recall difference over seeds and its interval (NaN where absent from test).
  std::vector<double> class_mean, class_low, class_high;
  int resamples = 0;
};

// `baseline[s]` and `arm[s]` are the two arms' runs with seed s on the same test images (same
// ids in the same order; DataError otherwise). Each bootstrap resample draws seeds with
// replacement and test lesions (groups) with replacement, and averages the difference of the
// resampled balanced accuracies over the drawn seeds. Seeded, so the interval is reproducible.
PairedDifference paired_difference(const std::vector<PredictionTable>& baseline,
                                   const std::vector<PredictionTable>& arm, int resamples,
                                   uint64_t seed);

// The sentence a reader sees: "better than", "worse than" or "no significant difference from",
// chosen only by whether the interval excludes zero.
std::string describe_difference(const std::string& arm, const std::string& baseline,
                                const PairedDifference& difference);

}  // namespace skingan::eval
