// Classification metrics against values computed by hand.
#include "eval/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace skingan::eval;

namespace {

std::vector<std::vector<double>> one_hot(const std::vector<int64_t>& predicted, int64_t k) {
  std::vector<std::vector<double>> p(predicted.size(), std::vector<double>(k, 0.0));
  for (size_t i = 0; i < predicted.size(); ++i) p[i][predicted[i]] = 1.0;
  return p;
}

}  // namespace

TEST(Metrics, HandComputedWithANeverPredictedAndAnAbsentClass) {
  // Classes 0..3; class 2 is never predicted, class 3 never occurs in the truth.
  //   truth:     0 0 0 1 1 2 2
  //   predicted: 0 0 1 1 3 0 1
  const std::vector<int64_t> truth = {0, 0, 0, 1, 1, 2, 2};
  const Metrics m = compute_metrics(truth, one_hot({0, 0, 1, 1, 3, 0, 1}, 4), 4);
  EXPECT_EQ(m.count, 7);
  EXPECT_DOUBLE_EQ(m.accuracy, 3.0 / 7);
  // recall: class 0 2/3, class 1 1/2, class 2 0/2; class 3 absent: left out.
  EXPECT_DOUBLE_EQ(m.per_class[0].recall, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.per_class[1].recall, 0.5);
  EXPECT_DOUBLE_EQ(m.per_class[2].recall, 0.0);
  EXPECT_TRUE(std::isnan(m.per_class[3].recall));
  EXPECT_DOUBLE_EQ(m.balanced_accuracy, (2.0 / 3 + 0.5 + 0.0) / 3);
  // precision: class 0 2/3 (predicted 0,0,0 -> two right), class 1 1/3, class 2 never predicted.
  EXPECT_DOUBLE_EQ(m.per_class[0].precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.per_class[1].precision, 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.per_class[2].precision, 0.0);
  EXPECT_EQ(m.per_class[2].predicted, 0);
  EXPECT_EQ(m.per_class[3].predicted, 1);
  // F1: class 0 2/3, class 1 2*(1/3)(1/2)/(5/6) = 0.4, class 2 0.
  EXPECT_DOUBLE_EQ(m.per_class[0].f1, 2.0 / 3);
  EXPECT_NEAR(m.per_class[1].f1, 0.4, 1e-12);
  EXPECT_DOUBLE_EQ(m.macro_f1, (2.0 / 3 + 0.4 + 0.0) / 3);
  // specificity of class 0: negatives are the 4 images of classes 1 and 2, one predicted 0.
  EXPECT_DOUBLE_EQ(m.per_class[0].specificity, 3.0 / 4);
  EXPECT_EQ(m.confusion[2][0], 1);
  EXPECT_EQ(m.confusion[1][3], 1);
}

TEST(Metrics, RocAucCountsTiesAsOneHalf) {
  // Positives 0.8, 0.5; negatives 0.5, 0.2: pairs (0.8>0.5) (0.8>0.2) (0.5=0.5: 1/2) (0.5>0.2).
  EXPECT_DOUBLE_EQ(roc_auc({0.8, 0.5, 0.5, 0.2}, {true, true, false, false}), 3.5 / 4);
  EXPECT_DOUBLE_EQ(roc_auc({0.1, 0.1, 0.1}, {true, false, false}), 0.5);
  EXPECT_TRUE(std::isnan(roc_auc({0.3, 0.4}, {true, true})));
}

TEST(Metrics, MacroAucSkipsAClassAbsentFromTheTruth) {
  const std::vector<int64_t> truth = {0, 0, 1, 1};
  const std::vector<std::vector<double>> p = {
      {0.9, 0.1, 0.0}, {0.6, 0.4, 0.0}, {0.3, 0.7, 0.0}, {0.7, 0.2, 0.1}};
  const Metrics m = compute_metrics(truth, p, 3);
  // class 0 scores 0.9 0.6 | 0.3 0.7: pairs 0.9>0.3, 0.9>0.7, 0.6>0.3, 0.6<0.7 -> 3/4.
  EXPECT_DOUBLE_EQ(m.per_class[0].auc, 0.75);
  EXPECT_DOUBLE_EQ(m.per_class[1].auc, 0.75);
  EXPECT_TRUE(std::isnan(m.per_class[2].auc));
  EXPECT_DOUBLE_EQ(m.macro_auc, 0.75);
}

TEST(Bootstrap, ResamplesLesionsNotImages) {
  // Two lesions: "a" with 3 images, "b" with 1. The statistic is the number of images drawn, so
  // every resample gives 2, 4 or 6 (b+b, a+b, a+a), never an odd count as image resampling would.
  const std::vector<std::string> groups = {"a", "a", "a", "b"};
  std::vector<double> seen;
  const Interval ci = bootstrap_interval(
      groups,
      [&](const std::vector<int64_t>& rows) {
        seen.push_back(static_cast<double>(rows.size()));
        return static_cast<double>(rows.size());
      },
      400, 3);
  for (double v : seen) EXPECT_TRUE(v == 2 || v == 4 || v == 6) << v;
  EXPECT_EQ(ci.low, 2);
  EXPECT_EQ(ci.high, 6);
  // Same seed, same interval.
  const auto stat = [](const std::vector<int64_t>& rows) {
    return rows.empty() ? 0.0 : rows[0] * 1.0;
  };
  const Interval x = bootstrap_interval(groups, stat, 100, 9),
                 y = bootstrap_interval(groups, stat, 100, 9);
  EXPECT_EQ(x.low, y.low);
  EXPECT_EQ(x.high, y.high);
}

TEST(McNemarTest, ExactBinomialOnDiscordantPairs) {
  const std::vector<bool> a = {true, false, false, false, false, false, true, true};
  const std::vector<bool> b = {false, true, true, true, true, true, true, false};
  // pairs: (T,F) (F,T)x5 (T,T) (T,F) -> only A right 2, only B right 5; exact two-sided
  // p = 2 * P(X <= 2 | n = 7, 1/2) = 2 * (1 + 7 + 21) / 128.
  const McNemar t = mcnemar(a, b);
  EXPECT_EQ(t.only_a_correct, 2);
  EXPECT_EQ(t.only_b_correct, 5);
  EXPECT_NEAR(t.p_value, 2.0 * (1 + 7 + 21) / 128.0, 1e-12);
  EXPECT_DOUBLE_EQ(mcnemar({true}, {true}).p_value, 1.0);
}
