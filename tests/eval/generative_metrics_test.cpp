// Generative metrics against closed forms and hand-computed point sets.
#include "eval/generative_metrics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/error.h"

using namespace skingan::eval;

namespace {

torch::Tensor column(std::vector<double> values) {
  return torch::tensor(values, torch::kDouble).unsqueeze(1);  // [N,1]
}

// Gaussian sample [n,D] with the given mean and per-dimension standard deviation.
torch::Tensor gaussian(int64_t n, const std::vector<double>& mean, const std::vector<double>& sd,
                       uint64_t seed) {
  torch::manual_seed(seed);
  const torch::Tensor m = torch::tensor(mean, torch::kDouble);
  const torch::Tensor s = torch::tensor(sd, torch::kDouble);
  return torch::randn({n, static_cast<int64_t>(mean.size())}, torch::kDouble) * s + m;
}

}  // namespace

TEST(Fid, IsZeroForTheSameSample) {
  const torch::Tensor x = gaussian(200, {0, 1, 2, 3}, {1, 2, 1, 0.5}, 1);
  EXPECT_NEAR(frechet_distance(x, x), 0.0, 1e-8);
}

TEST(Fid, EqualsTheTwoDimensionalClosedFormOfTheSampleMoments) {
  // For 2x2 PSD matrices tr(M^1/2) = sqrt(tr M + 2 sqrt(det M)), and (S_a S_b) has the
  // eigenvalues of S_a^1/2 S_b S_a^1/2, so FID has a closed form in the sample moments.
  const torch::Tensor a = gaussian(300, {0, 0}, {1, 2}, 2)
                              .matmul(torch::tensor({{1.0, 0.3}, {0.0, 1.0}}, torch::kDouble));
  const torch::Tensor b = gaussian(250, {1, -2}, {3, 0.5}, 3);
  auto moments = [](const torch::Tensor& x) {
    const torch::Tensor mean = x.mean(0);
    const torch::Tensor c = x - mean;
    return std::make_pair(mean, c.t().matmul(c) / (x.size(0) - 1));
  };
  const auto [ma, sa] = moments(a);
  const auto [mb, sb] = moments(b);
  const double tr_product = sa.matmul(sb).trace().item<double>();
  const double det_product = (sa.det() * sb.det()).item<double>();
  const double expected = (ma - mb).pow(2).sum().item<double>() + sa.trace().item<double>() +
                          sb.trace().item<double>() -
                          2 * std::sqrt(tr_product + 2 * std::sqrt(det_product));
  EXPECT_NEAR(frechet_distance(a, b), expected, 1e-9 * std::max(1.0, expected));
}

TEST(Fid, ApproachesThePopulationValueForLargeGaussianSamples) {
  // Diagonal covariances: FID = |mu_a - mu_b|^2 + sum (sd_a - sd_b)^2 = 1 + 4 + (1 + 0 + 0.25).
  const torch::Tensor a = gaussian(40000, {0, 0, 0}, {1, 1, 1}, 4);
  const torch::Tensor b = gaussian(40000, {1, 2, 0}, {2, 1, 1.5}, 5);
  EXPECT_NEAR(frechet_distance(a, b), 6.25, 0.1);
}

TEST(Kid, IsNearZeroForOneDistributionAndClearlyPositiveForAShiftedOne) {
  const torch::Tensor a = gaussian(600, {0, 0, 0, 0}, {1, 1, 1, 1}, 6);
  const torch::Tensor b = gaussian(600, {0, 0, 0, 0}, {1, 1, 1, 1}, 7);
  const torch::Tensor shifted = gaussian(600, {2.0, 0, 0, 0}, {1, 1, 1, 1}, 8);
  const KidEstimate same = kernel_inception_distance(a, b, 50, 200, 1);
  const KidEstimate moved = kernel_inception_distance(a, shifted, 50, 200, 1);
  EXPECT_EQ(same.subset_size, 200);
  EXPECT_GT(same.std, 0.0);
  EXPECT_LT(std::abs(same.mean), 2 * same.std);
  EXPECT_GT(moved.mean, 3 * moved.std);
  EXPECT_GT(moved.mean, 10 * std::abs(same.mean));
  // The same sample against itself (subsets drawn independently, so they overlap partly).
  const KidEstimate self = kernel_inception_distance(a, a, 50, 200, 2);
  EXPECT_LT(std::abs(self.mean), 2 * self.std);
}

TEST(Kid, SmallSamplesUseHalfSubsetsSoTheSpreadIsInformative) {
  const torch::Tensor a = gaussian(14, {0, 0}, {1, 1}, 9);
  const torch::Tensor b = gaussian(30, {0, 0}, {1, 1}, 10);
  const KidEstimate k = kernel_inception_distance(a, b, 10, 1000, 1);
  EXPECT_EQ(k.subset_size, 7);
  EXPECT_GT(k.std, 0.0);
}

TEST(PrecisionRecall, MatchesAHandComputedOneDimensionalSet) {
  // real 0,1,2,10,11,30 -> 1-NN radii 1,1,1,1,1,19; fake 0.5,5,10.2 -> radii 4.5,4.5,5.2.
  // precision: 0.5 (ball of 0) and 10.2 (ball of 10) are covered, 5 is not: 2/3.
  // recall: every real point but 30 (19.8 from 10.2, beyond 5.2) is covered: 5/6.
  const torch::Tensor real = column({0, 1, 2, 10, 11, 30});
  const torch::Tensor fake = column({0.5, 5, 10.2});
  const PrecisionRecall pr = precision_recall(real, fake, 1);
  EXPECT_DOUBLE_EQ(pr.precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(pr.recall, 5.0 / 6);
}

TEST(DensityCoverage, MatchesAHandComputedOneDimensionalSet) {
  // Balls of the real points: 0,1,2,10,11 radius 1, 30 radius 19.
  // density: 0.5 lies in 2 balls (0, 1), 5 in none, 10.2 in 2 (10, 11): (2+0+2)/(1*3) = 4/3.
  // coverage: nearest fake within the radius for 0, 1, 10, 11 but not 2 (1.5) or 30 (19.8): 4/6.
  const torch::Tensor real = column({0, 1, 2, 10, 11, 30});
  const torch::Tensor fake = column({0.5, 5, 10.2});
  const DensityCoverage dc = density_coverage(real, fake, 1);
  EXPECT_NEAR(dc.density, 4.0 / 3, 1e-12);
  EXPECT_NEAR(dc.coverage, 4.0 / 6, 1e-12);
}

TEST(DensityCoverage, IsAboutOneForTwoSamplesOfOneDistribution) {
  const torch::Tensor a = gaussian(1500, {0, 0, 0}, {1, 1, 1}, 11);
  const torch::Tensor b = gaussian(1500, {0, 0, 0}, {1, 1, 1}, 12);
  const DensityCoverage dc = density_coverage(a, b, 5);
  EXPECT_NEAR(dc.density, 1.0, 0.1);
  EXPECT_GT(dc.coverage, 0.9);
  const PrecisionRecall pr = precision_recall(a, b, 3);
  EXPECT_GT(pr.precision, 0.85);
  EXPECT_GT(pr.recall, 0.85);
}

TEST(NearestNeighbours, FindsTheClosestRowAcrossBlocks) {
  // 3000 query rows span three distance blocks; each query is a reference row plus a tiny offset.
  const torch::Tensor reference = gaussian(500, {0, 0, 0, 0}, {1, 1, 1, 1}, 13);
  const torch::Tensor picks = torch::randint(0, 500, {3000}, torch::kLong);
  const torch::Tensor query = reference.index_select(0, picks) + 1e-4;
  const auto [distance, index] = nearest_neighbours(query, reference);
  EXPECT_TRUE(torch::equal(index, picks));
  EXPECT_NEAR(distance.max().item<double>(), 2e-4, 1e-6);
}

TEST(Quantile, InterpolatesLinearlyBetweenOrderStatistics) {
  const torch::Tensor v = torch::tensor({4.0, 1.0, 3.0, 2.0}, torch::kDouble);
  EXPECT_DOUBLE_EQ(linear_quantile(v, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(linear_quantile(v, 0.0), 1.0);
  EXPECT_NEAR(linear_quantile(v, 0.01), 1.03, 1e-12);
  EXPECT_DOUBLE_EQ(linear_quantile(v, 1.0), 4.0);
}

TEST(GenerativeMetrics, RefuseTooFewSamplesSayingHowManyAreNeeded) {
  const torch::Tensor three = column({0, 1, 2});
  const torch::Tensor one = column({0});
  try {
    kernel_inception_distance(three, three);
    FAIL() << "KID on 3 images was accepted";
  } catch (const skingan::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("KID"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("at least 4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(frechet_distance(one, three), skingan::ConfigError);
  EXPECT_THROW(precision_recall(three, three, 3), skingan::ConfigError);
  EXPECT_THROW(density_coverage(three, three, 5), skingan::ConfigError);
}
