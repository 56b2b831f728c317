// Distances between two samples of image features (a real one and a synthetic one), as used to
// judge generators. Every function takes features as float or double tensors [N,D] on any
// device, computes in double on the CPU, and throws ConfigError when a sample is too small for
// the metric (minimum_samples says how many are needed).
//
//   FID  Heusel et al. 2017: |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2), the
//        matrix square roots through LibTorch's symmetric eigendecomposition (linalg_eigh).
//        Biased upwards for small samples: compare only numbers computed with equal counts.
//   KID  Binkowski et al. 2018: unbiased MMD^2 with the kernel (x.y / D + 1)^3, mean and standard
//        deviation over random subsets (without replacement) of both samples.
//   precision / recall  Kynkaanniemi et al. 2019: a sample is covered by the other when it lies
//        within the k-NN radius (k = 3) of one of the other's points.
//   density / coverage  Naeem et al. 2020 (k = 5): density counts how many real k-NN balls hold
//        each synthetic point (divided by k; 1 on average when both come from one distribution),
//        coverage the share of real points whose ball holds a synthetic point.
// Balls are closed (distance <= radius); distances are Euclidean.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace skingan::eval {

enum class GenerativeMetric { kFid, kKid, kPrecisionRecall, kDensityCoverage };

// Fewest samples on each side the metric is defined for (FID 2, KID 4, precision/recall k+1,
// density/coverage k+1).
int64_t minimum_samples(GenerativeMetric metric, int64_t k = 0);
std::string metric_name(GenerativeMetric metric);

// a: [Na,D], b: [Nb,D].
double frechet_distance(const at::Tensor& a, const at::Tensor& b);

struct KidEstimate {
  double mean = 0, std = 0;
  int64_t subsets = 0, subset_size = 0;
};
// subset_size: at most this many per subset; smaller samples use half of the smaller sample (at
// least 2) so that subsets differ and the standard deviation says something.
KidEstimate kernel_inception_distance(const at::Tensor& a, const at::Tensor& b,
                                      int64_t subsets = 100, int64_t subset_size = 1000,
                                      uint64_t seed = 1);

struct PrecisionRecall {
  double precision = 0, recall = 0;
};
PrecisionRecall precision_recall(const at::Tensor& real, const at::Tensor& fake, int64_t k = 3);

struct DensityCoverage {
  double density = 0, coverage = 0;
};
DensityCoverage density_coverage(const at::Tensor& real, const at::Tensor& fake, int64_t k = 5);

// For each row of `query` [Nq,D], the distance to and index of its nearest row of
// `reference` [Nr,D] (Nr >= 1): double [Nq] and long [Nq]. Computed in blocks, so 10,000 x 10,000
// needs no more than a block of distances in memory.
std::pair<at::Tensor, at::Tensor> nearest_neighbours(const at::Tensor& query,
                                                     const at::Tensor& reference);

// Distance from each row of x [N,D] to its k-th nearest other row: double [N] (N > k).
at::Tensor knn_radii(const at::Tensor& x, int64_t k);

// The q-quantile (0..1) of `values` with linear interpolation between order statistics (numpy's
// default); values must not be empty.
double linear_quantile(const at::Tensor& values, double q);

// Settings of distribution_metrics.
struct DistributionSettings {
  int kid_subsets = 100;
  int64_t kid_subset_size = 1000;
  int64_t pr_k = 3, dc_k = 5;
  uint64_t seed = 1;
};

// Every distribution metric of one pair of feature samples (score, and train-gan's
// --eval-every): {"real","synthetic" (counts),"fid","kid":{"mean","std","subsets",
// "subset_size"},"precision","recall","density","coverage"}. FID is null below fid_min_count
// images on either side; precision/recall and density/coverage are left out when
// with_neighbourhoods is false.
nlohmann::json distribution_metrics(const at::Tensor& real, const at::Tensor& synthetic,
                                    const DistributionSettings& settings, int64_t fid_min_count = 2,
                                    bool with_neighbourhoods = true);

}  // namespace skingan::eval
