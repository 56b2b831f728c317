#include "eval/study_statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "core/error.h"
#include "io/csv.h"

namespace skingan::eval {
namespace fs = std::filesystem;
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double percentile(std::vector<double> values, double q) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
               values.end());
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  // Linear interpolation between closest ranks (numpy's default).
  const double pos = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

char sign_of(double v) { return v >= 0 ? '+' : '-'; }

std::string signed_number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%c%.3f", sign_of(v), std::abs(v));
  return buffer;
}

}  // namespace

PredictionTable read_prediction_table(const fs::path& evaluation) {
  const fs::path file = fs::is_directory(evaluation) ? evaluation / "predictions.csv" : evaluation;
  if (!fs::exists(file)) {
    throw ConfigError(describe_problem(evaluation.string(), "no predictions.csv",
                                       "an output folder of `skingan evaluate`",
                                       "Run skingan evaluate first."));
  }
  const io::CsvTable t = io::read_csv(file);
  PredictionTable p;
  for (const auto& h : t.header) {
    if (h.rfind("p_", 0) == 0) p.classes.push_back(h.substr(2));
  }
  const int id = t.require_column("id", file.string()),
            group = t.require_column("group", file.string()),
            label = t.require_column("label", file.string()),
            predicted = t.require_column("predicted", file.string());
  auto index_of = [&](const std::string& name, size_t row) {
    const auto it = std::find(p.classes.begin(), p.classes.end(), name);
    if (it == p.classes.end()) {
      throw DataError(describe_problem(
          file.string() + " line " + std::to_string(t.line_numbers[row]), "class '" + name + "'",
          "one of the p_<class> columns", "Rerun skingan evaluate."));
    }
    return static_cast<int64_t>(it - p.classes.begin());
  };
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    p.ids.push_back(r[id]);
    p.groups.push_back(r[group]);
    p.labels.push_back(index_of(r[label], i));
    p.predicted.push_back(index_of(r[predicted], i));
  }
  return p;
}

SeedSummary summarize_over_seeds(const std::vector<double>& values) {
  SeedSummary s;
  std::vector<double> v;
  for (double x : values)
    if (!std::isnan(x)) v.push_back(x);
  s.n = static_cast<int>(v.size());
  if (v.empty()) {
    s.mean = s.sd = s.min = s.max = kNaN;
    return s;
  }
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / s.n;
  double squares = 0;
  for (double x : v) squares += (x - s.mean) * (x - s.mean);
  s.sd = s.n > 1 ? std::sqrt(squares / (s.n - 1)) : 0.0;
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  return s;
}

double balanced_accuracy(const std::vector<int64_t>& labels, const std::vector<int64_t>& predicted,
                         int64_t classes) {
  std::vector<double> support(classes, 0), correct(classes, 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    support[labels[i]] += 1;
    if (labels[i] == predicted[i]) correct[labels[i]] += 1;
  }
  double sum = 0;
  int present = 0;
  for (int64_t c = 0; c < classes; ++c) {
    if (support[c] > 0) {
      sum += correct[c] / support[c];
      ++present;
    }
  }
  return present ? sum / present : kNaN;
}

PairedDifference paired_difference(const std::vector<PredictionTable>& baseline,
                                   const std::vector<PredictionTable>& arm, int resamples,
                                   uint64_t seed) {
  if (baseline.empty() || baseline.size() != arm.size()) {
    throw DataError("paired difference: " + std::to_string(baseline.size()) +
                    " baseline runs and " + std::to_string(arm.size()) +
                    " arm runs; expected the same seeds in both.");
  }
  const PredictionTable& ref = baseline[0];
  const int64_t k = static_cast<int64_t>(ref.classes.size());
  for (const auto* runs : {&baseline, &arm}) {
    for (const auto& run : *runs) {
      if (run.ids != ref.ids || run.labels != ref.labels || run.classes != ref.classes) {
        throw DataError(
            "paired difference: the runs were not tested on the same images with the same "
            "classes; evaluate every arm on the same prepared set's test split.");
      }
    }
  }
  const size_t seeds = baseline.size();
  // Per lesion (group) and class: images, and correct images per seed for both arms, so a
  // resample is a weighted sum over lesions.
  std::map<std::string, size_t> group_index;
  for (const auto& g : ref.groups) group_index.emplace(g, group_index.size());
  const size_t groups = group_index.size();
  std::vector<double> support(groups * k, 0);
  std::vector<double> correct_base(seeds * groups * k, 0), correct_arm(seeds * groups * k, 0);
  for (size_t i = 0; i < ref.ids.size(); ++i) {
    const size_t g = group_index[ref.groups[i]];
    const int64_t c = ref.labels[i];
    support[g * k + c] += 1;
    for (size_t s = 0; s < seeds; ++s) {
      correct_base[(s * groups + g) * k + c] += baseline[s].predicted[i] == c;
      correct_arm[(s * groups + g) * k + c] += arm[s].predicted[i] == c;
    }
  }
  // Balanced accuracies and per-class recall differences for given lesion weights and seeds.
  auto evaluate = [&](const std::vector<double>& weight, const std::vector<size_t>& drawn,
                      std::vector<double>& class_diff) {
    std::vector<double> sup(k, 0);
    for (size_t g = 0; g < groups; ++g)
      for (int64_t c = 0; c < k; ++c) sup[c] += weight[g] * support[g * k + c];
    class_diff.assign(k, 0);
    double diff = 0;
    for (size_t s : drawn) {
      double base_sum = 0, arm_sum = 0;
      int present = 0;
      for (int64_t c = 0; c < k; ++c) {
        if (sup[c] <= 0) continue;
        double cb = 0, ca = 0;
        for (size_t g = 0; g < groups; ++g) {
          cb += weight[g] * correct_base[(s * groups + g) * k + c];
          ca += weight[g] * correct_arm[(s * groups + g) * k + c];
        }
        base_sum += cb / sup[c];
        arm_sum += ca / sup[c];
        class_diff[c] += (ca - cb) / sup[c] / static_cast<double>(drawn.size());
        ++present;
      }
      diff += (arm_sum - base_sum) / present / static_cast<double>(drawn.size());
    }
    for (int64_t c = 0; c < k; ++c)
      if (sup[c] <= 0) class_diff[c] = kNaN;
    return diff;
  };

  PairedDifference d;
  d.resamples = resamples;
  for (size_t s = 0; s < seeds; ++s) {
    d.per_seed.push_back(balanced_accuracy(ref.labels, arm[s].predicted, k) -
                         balanced_accuracy(ref.labels, baseline[s].predicted, k));
  }
  std::vector<size_t> all_seeds(seeds);
  for (size_t s = 0; s < seeds; ++s) all_seeds[s] = s;
  d.mean = evaluate(std::vector<double>(groups, 1.0), all_seeds, d.class_mean);

  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick_group(0, groups - 1), pick_seed(0, seeds - 1);
  std::vector<double> diffs;
  std::vector<std::vector<double>> class_diffs(k);
  std::vector<double> weight(groups), class_diff;
  std::vector<size_t> drawn(seeds);
  for (int b = 0; b < resamples; ++b) {
    std::fill(weight.begin(), weight.end(), 0.0);
    for (size_t i = 0; i < groups; ++i) weight[pick_group(rng)] += 1;
    for (size_t s = 0; s < seeds; ++s) drawn[s] = pick_seed(rng);
    diffs.push_back(evaluate(weight, drawn, class_diff));
    for (int64_t c = 0; c < k; ++c) class_diffs[c].push_back(class_diff[c]);
  }
  d.ci_low = percentile(diffs, 0.025);
  d.ci_high = percentile(diffs, 0.975);
  for (int64_t c = 0; c < k; ++c) {
    d.class_low.push_back(std::isnan(d.class_mean[c]) ? kNaN : percentile(class_diffs[c], 0.025));
    d.class_high.push_back(std::isnan(d.class_mean[c]) ? kNaN : percentile(class_diffs[c], 0.975));
  }
  return d;
}

std::string describe_difference(const std::string& arm, const std::string& baseline,
                                const PairedDifference& d) {
  const std::string numbers = signed_number(d.mean) + " balanced accuracy (95% CI " +
                              signed_number(d.ci_low) + " to " + signed_number(d.ci_high) + ")";
  if (d.ci_low > 0) return arm + " is better than " + baseline + ": " + numbers + ".";
  if (d.ci_high < 0) return arm + " is worse than " + baseline + ": " + numbers + ".";
  return "No significant difference between " + arm + " and " + baseline + ": " + numbers +
         "; the interval covers zero.";
}

}  // namespace skingan::eval
