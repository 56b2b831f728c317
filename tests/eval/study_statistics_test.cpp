// Study statistics against values computed by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "eval/study_statistics.h"
#include "test_util.h"

using namespace skingan;
using namespace skingan::eval;

namespace {

// Six test images of three lesions and two classes:
//   image  lesion  label
//   a      L1      0
//   b      L1      0
//   c      L2      0
//   d      L2      1
//   e      L3      1
//   f      L3      1
PredictionTable run(const std::vector<int64_t>& predicted) {
  PredictionTable t;
  t.classes = {"nv", "mel"};
  t.ids = {"a", "b", "c", "d", "e", "f"};
  t.groups = {"L1", "L1", "L2", "L2", "L3", "L3"};
  t.labels = {0, 0, 0, 1, 1, 1};
  t.predicted = predicted;
  return t;
}

}  // namespace

TEST(StudyStatistics, SummaryOverSeedsByHand) {
  // mean 0.6; deviations -0.1, 0, 0.1 -> sample variance 0.02 / 2 = 0.01 -> sd 0.1
  const SeedSummary s = summarize_over_seeds({0.5, 0.6, 0.7});
  EXPECT_EQ(s.n, 3);
  EXPECT_NEAR(s.mean, 0.6, 1e-12);
  EXPECT_NEAR(s.sd, 0.1, 1e-12);
  EXPECT_DOUBLE_EQ(s.min, 0.5);
  EXPECT_DOUBLE_EQ(s.max, 0.7);
  const SeedSummary one = summarize_over_seeds({0.42, NAN});
  EXPECT_EQ(one.n, 1);  // NaN left out
  EXPECT_DOUBLE_EQ(one.mean, 0.42);
  EXPECT_DOUBLE_EQ(one.sd, 0.0);
  EXPECT_TRUE(std::isnan(summarize_over_seeds({}).mean));
}

TEST(StudyStatistics, BalancedAccuracyByHand) {
  // class 0: a, b right, c wrong -> 2/3; class 1: d wrong, e, f right -> 2/3
  EXPECT_NEAR(balanced_accuracy({0, 0, 0, 1, 1, 1}, {0, 0, 1, 0, 1, 1}, 2), 2.0 / 3, 1e-12);
  // A class absent from the labels does not count: only class 1, recall 1/2.
  EXPECT_NEAR(balanced_accuracy({1, 1}, {1, 0}, 3), 0.5, 1e-12);
}

TEST(StudyStatistics, PairedDifferenceByHand) {
  // Baseline seed 1: predicts everything class 0 -> recalls 1, 0 -> 0.5.
  // Baseline seed 2: a,b,c right, d,e right, f wrong -> 1, 2/3 -> 5/6.
  // Arm seed 1: all right -> 1.0.   Arm seed 2: c wrong, rest right -> 2/3, 1 -> 5/6.
  const std::vector<PredictionTable> base = {run({0, 0, 0, 0, 0, 0}), run({0, 0, 0, 1, 1, 0})};
  const std::vector<PredictionTable> arm = {run({0, 0, 0, 1, 1, 1}), run({0, 0, 1, 1, 1, 1})};
  const PairedDifference d = paired_difference(base, arm, 500, 3);
  ASSERT_EQ(d.per_seed.size(), 2u);
  EXPECT_NEAR(d.per_seed[0], 0.5, 1e-12);
  EXPECT_NEAR(d.per_seed[1], 0.0, 1e-12);
  EXPECT_NEAR(d.mean, 0.25, 1e-12);
  // Per class, mean over seeds: class 0 (1-1 + 2/3-1)/2 = -1/6; class 1 (1-0 + 1-2/3)/2 = 2/3.
  EXPECT_NEAR(d.class_mean[0], -1.0 / 6, 1e-12);
  EXPECT_NEAR(d.class_mean[1], 2.0 / 3, 1e-12);
  EXPECT_LE(d.ci_low, d.mean);
  EXPECT_GE(d.ci_high, d.mean);
  EXPECT_LT(d.ci_low, d.ci_high);
  EXPECT_EQ(d.resamples, 500);
  // Seeded: the same interval again.
  const PairedDifference again = paired_difference(base, arm, 500, 3);
  EXPECT_DOUBLE_EQ(again.ci_low, d.ci_low);
  EXPECT_DOUBLE_EQ(again.ci_high, d.ci_high);
}

TEST(StudyStatistics, IdenticalArmsGiveAZeroIntervalAndNoSignificantDifference) {
  const std::vector<PredictionTable> base = {run({0, 1, 0, 1, 1, 0})};
  const PairedDifference d = paired_difference(base, base, 200, 1);
  EXPECT_DOUBLE_EQ(d.mean, 0.0);
  EXPECT_DOUBLE_EQ(d.ci_low, 0.0);
  EXPECT_DOUBLE_EQ(d.ci_high, 0.0);
  EXPECT_NE(describe_difference("gan", "classic", d).find("No significant difference"),
            std::string::npos);
}

TEST(StudyStatistics, WordingFollowsTheInterval) {
  PairedDifference d;
  d.mean = 0.05;
  d.ci_low = 0.01;
  d.ci_high = 0.09;
  EXPECT_EQ(
      describe_difference("classic+cgan", "classic", d),
      "classic+cgan is better than classic: +0.050 balanced accuracy (95% CI +0.010 to +0.090).");
  d.mean = -0.05;
  d.ci_low = -0.09;
  d.ci_high = -0.01;
  EXPECT_EQ(
      describe_difference("classic+cgan", "classic", d),
      "classic+cgan is worse than classic: -0.050 balanced accuracy (95% CI -0.090 to -0.010).");
  d.ci_high = 0.02;
  EXPECT_NE(describe_difference("classic+cgan", "classic", d).find("covers zero"),
            std::string::npos);
}

TEST(StudyStatistics, RunsOnOtherImagesAreRefused) {
  PredictionTable other = run({0, 0, 0, 0, 0, 0});
  other.ids[5] = "z";
  EXPECT_THROW(paired_difference({run({0, 0, 0, 0, 0, 0})}, {other}, 10, 1), DataError);
  EXPECT_THROW(paired_difference({run({0, 0, 0, 0, 0, 0})}, {}, 10, 1), DataError);
}

TEST(StudyStatistics, PredictionTableReadsEvaluateOutput) {
  test::TempDir dir;
  test::write_text(dir / "predictions.csv",
                   "id,group,label,predicted,p_nv,p_mel\n"
                   "a,L1,nv,mel,0.4,0.6\n"
                   "b,L2,mel,mel,0.1,0.9\n");
  const PredictionTable t = read_prediction_table(dir.path());
  EXPECT_EQ(t.classes, (std::vector<std::string>{"nv", "mel"}));
  EXPECT_EQ(t.labels, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(t.predicted, (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(t.groups[1], "L2");
  test::write_text(dir / "predictions.csv", "id,group,label,predicted,p_nv\na,L1,df,nv,1\n");
  try {
    read_prediction_table(dir.path());
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("class 'df'"), std::string::npos);
  }
  EXPECT_THROW(read_prediction_table(dir / "missing"), ConfigError);
}
