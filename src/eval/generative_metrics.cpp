#include "eval/generative_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <torch/torch.h>

#include "core/error.h"
#include "core/random.h"

namespace skingan::eval {
namespace {

// Rows of distances are computed this many query rows at a time: 1024 x 10,000 doubles = 80 MB.
constexpr int64_t kBlockRows = 1024;

torch::Tensor as_double_matrix(const at::Tensor& x, const char* name) {
  TORCH_CHECK(x.dim() == 2, name, " should be a 2-D feature matrix [N,D], got ", x.dim(), "-D");
  return x.detach().to(torch::kCPU, torch::kDouble).contiguous();
}

void require_samples(GenerativeMetric metric, int64_t k, const at::Tensor& a, const at::Tensor& b) {
  const int64_t need = minimum_samples(metric, k);
  const int64_t have = std::min(a.size(0), b.size(0));
  if (have < need) {
    throw ConfigError(describe_problem(
        metric_name(metric),
        std::to_string(a.size(0)) + " and " + std::to_string(b.size(0)) + " images",
        "at least " + std::to_string(need) + " on each side",
        "Score more synthetic images, or leave the class out with --classes."));
  }
  TORCH_CHECK(a.size(1) == b.size(1), "features of different widths: ", a.size(1), " and ",
              b.size(1));
}

// Symmetric PSD square root through the eigendecomposition; tiny negative eigenvalues from
// rounding are clamped to zero.
torch::Tensor sqrt_psd(const torch::Tensor& m) {
  auto [values, vectors] = torch::linalg_eigh(m);
  return vectors.matmul(torch::diag(values.clamp_min(0).sqrt())).matmul(vectors.t());
}

torch::Tensor covariance(const torch::Tensor& x, const torch::Tensor& mean) {
  const torch::Tensor centred = x - mean;
  return centred.t().matmul(centred) / static_cast<double>(x.size(0) - 1);
}

// Unbiased MMD^2 between x [m,D] and y [m,D] with the cubic polynomial kernel. The products run
// in float (twice the speed of double; the kernel values are O(1) and their float error ~1e-7),
// the cube and the sums in double.
double mmd2_polynomial(const torch::Tensor& x_in, const torch::Tensor& y_in) {
  const torch::Tensor x = x_in.to(torch::kFloat), y = y_in.to(torch::kFloat);
  const double d = static_cast<double>(x.size(1));
  const double m = static_cast<double>(x.size(0));
  auto kernel = [&](const torch::Tensor& a, const torch::Tensor& b) {
    return (a.matmul(b.t()).to(torch::kDouble) / d + 1).pow(3);
  };
  const torch::Tensor kxx = kernel(x, x), kyy = kernel(y, y), kxy = kernel(x, y);
  const double sum_xx = (kxx.sum() - kxx.diagonal().sum()).item<double>();
  const double sum_yy = (kyy.sum() - kyy.diagonal().sum()).item<double>();
  return (sum_xx + sum_yy) / (m * (m - 1)) - 2 * kxy.mean().item<double>();
}

// Row indices 0..n-1 in a seeded random order, first `take` of them.
torch::Tensor random_subset(SplitMix& rng, int64_t n, int64_t take) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  rng.shuffle(order);
  order.resize(static_cast<size_t>(take));
  return torch::tensor(order, torch::kLong);
}

// Calls visit(first_row, distances [rows, Nb]) for consecutive blocks of a's rows.
template <typename Visit>
void for_each_distance_block(const torch::Tensor& a, const torch::Tensor& b, Visit visit) {
  for (int64_t start = 0; start < a.size(0); start += kBlockRows) {
    const torch::Tensor block = a.slice(0, start, start + kBlockRows);
    visit(start, torch::cdist(block, b));
  }
}

// How many balls B(centre_i, radius_i) hold each row of `points`: long [Np].
torch::Tensor balls_holding(const torch::Tensor& points, const torch::Tensor& centres,
                            const torch::Tensor& radii) {
  torch::Tensor counts = torch::zeros({points.size(0)}, torch::kLong);
  for_each_distance_block(points, centres, [&](int64_t start, const torch::Tensor& d) {
    counts.slice(0, start, start + d.size(0)) = (d <= radii.unsqueeze(0)).sum(1);
  });
  return counts;
}

}  // namespace

int64_t minimum_samples(GenerativeMetric metric, int64_t k) {
  switch (metric) {
    case GenerativeMetric::kFid:
      return 2;
    case GenerativeMetric::kKid:
      return 4;
    case GenerativeMetric::kPrecisionRecall:
    case GenerativeMetric::kDensityCoverage:
      return k + 1;
  }
  return 0;
}

std::string metric_name(GenerativeMetric metric) {
  switch (metric) {
    case GenerativeMetric::kFid:
      return "FID";
    case GenerativeMetric::kKid:
      return "KID";
    case GenerativeMetric::kPrecisionRecall:
      return "precision/recall";
    case GenerativeMetric::kDensityCoverage:
      return "density/coverage";
  }
  return "?";
}

double frechet_distance(const at::Tensor& a_in, const at::Tensor& b_in) {
  const torch::Tensor a = as_double_matrix(a_in, "a"), b = as_double_matrix(b_in, "b");
  require_samples(GenerativeMetric::kFid, 0, a, b);
  const torch::Tensor mean_a = a.mean(0), mean_b = b.mean(0);
  const torch::Tensor cov_a = covariance(a, mean_a), cov_b = covariance(b, mean_b);
  // tr((S_a S_b)^1/2) = tr((S_a^1/2 S_b S_a^1/2)^1/2): the inner matrix is symmetric PSD, so its
  // eigenvalues are real and non-negative and eigh applies.
  const torch::Tensor root_a = sqrt_psd(cov_a);
  torch::Tensor inner = root_a.matmul(cov_b).matmul(root_a);
  inner = (inner + inner.t()) / 2;  // symmetric up to rounding; make it exactly so
  const double trace_root = torch::linalg_eigvalsh(inner).clamp_min(0).sqrt().sum().item<double>();
  const double mean_term = (mean_a - mean_b).pow(2).sum().item<double>();
  const double value =
      mean_term + cov_a.trace().item<double>() + cov_b.trace().item<double>() - 2 * trace_root;
  return std::max(0.0, value);
}

KidEstimate kernel_inception_distance(const at::Tensor& a_in, const at::Tensor& b_in,
                                      int64_t subsets, int64_t subset_size, uint64_t seed) {
  const torch::Tensor a = as_double_matrix(a_in, "a"), b = as_double_matrix(b_in, "b");
  require_samples(GenerativeMetric::kKid, 0, a, b);
  TORCH_CHECK(subsets >= 1 && subset_size >= 2, "KID needs subsets >= 1 and subset_size >= 2");
  const int64_t smaller = std::min(a.size(0), b.size(0));
  KidEstimate out;
  out.subsets = subsets;
  out.subset_size = std::min(
      subset_size, smaller <= 2 * subset_size ? std::max<int64_t>(2, smaller / 2) : subset_size);
  SplitMix rng(seed);
  std::vector<double> values;
  for (int64_t s = 0; s < subsets; ++s) {
    const torch::Tensor x = a.index_select(0, random_subset(rng, a.size(0), out.subset_size));
    const torch::Tensor y = b.index_select(0, random_subset(rng, b.size(0), out.subset_size));
    values.push_back(mmd2_polynomial(x, y));
  }
  out.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(subsets);
  double sq = 0;
  for (double v : values) sq += (v - out.mean) * (v - out.mean);
  out.std = subsets > 1 ? std::sqrt(sq / static_cast<double>(subsets - 1)) : 0.0;
  return out;
}

torch::Tensor knn_radii(const at::Tensor& x_in, int64_t k) {
  const torch::Tensor x = as_double_matrix(x_in, "x");
  TORCH_CHECK(k >= 1 && x.size(0) > k, "k-NN radii need more than k = ", k, " rows, got ",
              x.size(0));
  torch::Tensor radii = torch::empty({x.size(0)}, torch::kDouble);
  for_each_distance_block(x, x, [&](int64_t start, const torch::Tensor& d) {
    // The k+1 smallest distances include the point itself (0).
    radii.slice(0, start, start + d.size(0)) =
        std::get<0>(d.topk(k + 1, 1, /*largest=*/false, /*sorted=*/true)).select(1, k);
  });
  return radii;
}

PrecisionRecall precision_recall(const at::Tensor& real_in, const at::Tensor& fake_in, int64_t k) {
  const torch::Tensor real = as_double_matrix(real_in, "real"),
                      fake = as_double_matrix(fake_in, "fake");
  require_samples(GenerativeMetric::kPrecisionRecall, k, real, fake);
  PrecisionRecall out;
  out.precision =
      (balls_holding(fake, real, knn_radii(real, k)) > 0).to(torch::kDouble).mean().item<double>();
  out.recall =
      (balls_holding(real, fake, knn_radii(fake, k)) > 0).to(torch::kDouble).mean().item<double>();
  return out;
}

DensityCoverage density_coverage(const at::Tensor& real_in, const at::Tensor& fake_in, int64_t k) {
  const torch::Tensor real = as_double_matrix(real_in, "real"),
                      fake = as_double_matrix(fake_in, "fake");
  require_samples(GenerativeMetric::kDensityCoverage, k, real, fake);
  const torch::Tensor radii = knn_radii(real, k);
  DensityCoverage out;
  out.density = balls_holding(fake, real, radii).to(torch::kDouble).sum().item<double>() /
                (static_cast<double>(k) * static_cast<double>(fake.size(0)));
  const torch::Tensor nearest_fake = nearest_neighbours(real, fake).first;
  out.coverage = (nearest_fake <= radii).to(torch::kDouble).mean().item<double>();
  return out;
}

std::pair<at::Tensor, at::Tensor> nearest_neighbours(const at::Tensor& query_in,
                                                     const at::Tensor& reference_in) {
  const torch::Tensor query = as_double_matrix(query_in, "query"),
                      reference = as_double_matrix(reference_in, "reference");
  TORCH_CHECK(reference.size(0) >= 1, "nearest neighbours need a non-empty reference");
  TORCH_CHECK(query.size(1) == reference.size(1), "features of different widths: ", query.size(1),
              " and ", reference.size(1));
  torch::Tensor distances = torch::empty({query.size(0)}, torch::kDouble);
  torch::Tensor indices = torch::empty({query.size(0)}, torch::kLong);
  for_each_distance_block(query, reference, [&](int64_t start, const torch::Tensor& d) {
    auto [values, where] = d.min(1);
    distances.slice(0, start, start + d.size(0)) = values;
    indices.slice(0, start, start + d.size(0)) = where;
  });
  return {distances, indices};
}

double linear_quantile(const at::Tensor& values, double q) {
  TORCH_CHECK(values.numel() > 0, "quantile of no values");
  const torch::Tensor sorted = std::get<0>(values.flatten().to(torch::kDouble).sort());
  const double position = std::clamp(q, 0.0, 1.0) * static_cast<double>(sorted.numel() - 1);
  const int64_t lower = static_cast<int64_t>(std::floor(position));
  const int64_t upper = std::min<int64_t>(lower + 1, sorted.numel() - 1);
  const double low = sorted[lower].item<double>(), high = sorted[upper].item<double>();
  return low + (high - low) * (position - static_cast<double>(lower));
}

nlohmann::json distribution_metrics(const at::Tensor& real, const at::Tensor& synthetic,
                                    const DistributionSettings& s, int64_t fid_min_count,
                                    bool with_neighbourhoods) {
  nlohmann::json j = {{"real", real.size(0)}, {"synthetic", synthetic.size(0)}};
  j["fid"] = std::min(real.size(0), synthetic.size(0)) >= std::max<int64_t>(2, fid_min_count)
                 ? nlohmann::json(frechet_distance(real, synthetic))
                 : nlohmann::json(nullptr);
  const KidEstimate kid =
      kernel_inception_distance(real, synthetic, s.kid_subsets, s.kid_subset_size, s.seed);
  j["kid"] = {{"mean", kid.mean},
              {"std", kid.std},
              {"subsets", kid.subsets},
              {"subset_size", kid.subset_size}};
  if (with_neighbourhoods) {
    const PrecisionRecall pr = precision_recall(real, synthetic, s.pr_k);
    const DensityCoverage dc = density_coverage(real, synthetic, s.dc_k);
    j["precision"] = pr.precision;
    j["recall"] = pr.recall;
    j["density"] = dc.density;
    j["coverage"] = dc.coverage;
  }
  return j;
}

}  // namespace skingan::eval
