#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "core/error.h"
#include "core/random.h"

namespace skingan::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Average ranks (1-based) over ties, then the Mann-Whitney U of the positives.
  std::vector<double> rank(n);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) ++j;
    const double average = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = average;
    i = j + 1;
  }
  double positives = 0, rank_sum = 0;
  for (size_t i = 0; i < n; ++i) {
    if (positive[i]) {
      ++positives;
      rank_sum += rank[i];
    }
  }
  const double negatives = static_cast<double>(n) - positives;
  if (positives == 0 || negatives == 0) return kNaN;
  return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives);
}

Metrics compute_metrics(const std::vector<int64_t>& labels,
                        const std::vector<std::vector<double>>& probabilities, int64_t classes) {
  if (labels.size() != probabilities.size()) {
    throw Error("compute_metrics: " + std::to_string(labels.size()) + " labels but " +
                std::to_string(probabilities.size()) + " probability rows.");
  }
  Metrics m;
  m.count = static_cast<int64_t>(labels.size());
  m.confusion.assign(classes, std::vector<int64_t>(classes, 0));
  std::vector<int64_t> predictions(labels.size());
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto& p = probabilities[i];
    predictions[i] = std::max_element(p.begin(), p.end()) - p.begin();
    ++m.confusion[labels[i]][predictions[i]];
    correct += predictions[i] == labels[i];
  }
  m.accuracy = m.count ? static_cast<double>(correct) / m.count : kNaN;
  double recall_sum = 0, f1_sum = 0, auc_sum = 0;
  int present = 0, with_auc = 0;
  for (int64_t k = 0; k < classes; ++k) {
    ClassMetrics c;
    int64_t tp = m.confusion[k][k], fp = 0, fn = 0;
    for (int64_t j = 0; j < classes; ++j) {
      c.support += m.confusion[k][j];
      c.predicted += m.confusion[j][k];
    }
    fn = c.support - tp;
    fp = c.predicted - tp;
    const int64_t tn = m.count - tp - fp - fn;
    c.precision = c.predicted ? static_cast<double>(tp) / c.predicted : 0.0;
    c.specificity = tn + fp ? static_cast<double>(tn) / (tn + fp) : kNaN;
    if (c.support > 0) {
      c.recall = static_cast<double>(tp) / c.support;
      c.f1 = c.precision + c.recall > 0 ? 2 * c.precision * c.recall / (c.precision + c.recall) : 0;
      recall_sum += c.recall;
      f1_sum += c.f1;
      ++present;
    } else {
      c.recall = c.f1 = kNaN;
    }
    std::vector<double> scores(labels.size());
    std::vector<bool> positive(labels.size());
    for (size_t i = 0; i < labels.size(); ++i) {
      scores[i] = probabilities[i][k];
      positive[i] = labels[i] == k;
    }
    c.auc = roc_auc(scores, positive);
    if (!std::isnan(c.auc)) {
      auc_sum += c.auc;
      ++with_auc;
    }
    m.per_class.push_back(c);
  }
  m.balanced_accuracy = present ? recall_sum / present : kNaN;
  m.macro_f1 = present ? f1_sum / present : kNaN;
  m.macro_auc = with_auc ? auc_sum / with_auc : kNaN;
  return m;
}

Interval bootstrap_interval(const std::vector<std::string>& groups,
                            const std::function<double(const std::vector<int64_t>&)>& statistic,
                            int resamples, uint64_t seed, double alpha) {
  std::map<std::string, std::vector<int64_t>> members;
  for (size_t i = 0; i < groups.size(); ++i) members[groups[i]].push_back(static_cast<int64_t>(i));
  std::vector<const std::vector<int64_t>*> lesions;
  for (const auto& [group, rows] : members) lesions.push_back(&rows);
  SplitMix rng(seed);
  std::vector<double> values;
  std::vector<int64_t> drawn;
  for (int r = 0; r < resamples; ++r) {
    drawn.clear();
    for (size_t l = 0; l < lesions.size(); ++l) {
      const auto* rows = lesions[rng.below(lesions.size())];
      drawn.insert(drawn.end(), rows->begin(), rows->end());
    }
    const double v = statistic(drawn);
    if (!std::isnan(v)) values.push_back(v);
  }
  if (values.empty()) return {kNaN, kNaN};
  std::sort(values.begin(), values.end());
  auto percentile = [&](double q) {
    const double position = q * static_cast<double>(values.size() - 1);
    const size_t below = static_cast<size_t>(std::floor(position));
    const size_t above = std::min(below + 1, values.size() - 1);
    return values[below] + (position - below) * (values[above] - values[below]);
  };
  return {percentile(alpha / 2), percentile(1 - alpha / 2)};
}

nlohmann::json to_json(const Metrics& m, const std::vector<std::string>& names) {
  // JSON has no NaN: undefined values are written as null.
  auto number = [](double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); };
  nlohmann::json j = {{"count", m.count},
                      {"accuracy", number(m.accuracy)},
                      {"balanced_accuracy", number(m.balanced_accuracy)},
                      {"macro_f1", number(m.macro_f1)},
                      {"macro_auc", number(m.macro_auc)},
                      {"confusion", m.confusion},
                      {"classes", names}};
  for (size_t k = 0; k < m.per_class.size(); ++k) {
    const ClassMetrics& c = m.per_class[k];
    j["per_class"][names[k]] = {{"support", c.support},
                                {"predicted", c.predicted},
                                {"precision", number(c.precision)},
                                {"recall", number(c.recall)},
                                {"specificity", number(c.specificity)},
                                {"f1", number(c.f1)},
                                {"auc", number(c.auc)}};
  }
  return j;
}

McNemar mcnemar(const std::vector<bool>& a, const std::vector<bool>& b) {
  McNemar t;
  for (size_t i = 0; i < a.size(); ++i) {
    t.only_a_correct += a[i] && !b[i];
    t.only_b_correct += !a[i] && b[i];
  }
  // Exact: under H0 the discordant pairs split Binomial(n, 1/2); two-sided p = 2 P(X <= min).
  const int64_t n = t.only_a_correct + t.only_b_correct;
  const int64_t k = std::min(t.only_a_correct, t.only_b_correct);
  double tail = 0;
  for (int64_t i = 0; i <= k; ++i) {
    tail += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) -
                     static_cast<double>(n) * std::log(2.0));
  }
  t.p_value = n == 0 ? 1.0 : std::min(1.0, 2 * tail);
  return t;
}

}  // namespace skingan::eval
