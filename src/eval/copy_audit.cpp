#include "eval/copy_audit.h"

#include <torch/torch.h>

#include "eval/generative_metrics.h"

namespace skingan::eval {

int64_t CopyAudit::near_copies() const { return (distance < threshold).sum().item<int64_t>(); }

nlohmann::json CopyAudit::to_json(int64_t real_count) const {
  return {{"threshold", threshold},
          {"synthetic_near_copy_share", synthetic_share},
          {"synthetic_near_copies", near_copies()},
          {"real_test_near_copy_share", real_share},
          {"real_test_images", real_count},
          {"synthetic_inside_train_neighbour_share", synthetic_inside_share},
          {"real_test_inside_train_neighbour_share", real_inside_share},
          {"median_synthetic_distance", linear_quantile(distance, 0.5)}};
}

CopyAudit audit_copies(const at::Tensor& synthetic, const at::Tensor& train,
                       const at::Tensor& test) {
  CopyAudit a;
  std::tie(a.distance, a.index) = nearest_neighbours(synthetic, train);
  const auto [real_distance, real_index] = nearest_neighbours(test, train);
  a.threshold = linear_quantile(real_distance, kNearCopyQuantile);
  a.synthetic_share = (a.distance < a.threshold).to(torch::kDouble).mean().item<double>();
  a.real_share = (real_distance < a.threshold).to(torch::kDouble).mean().item<double>();
  if (train.size(0) > 1) {
    const torch::Tensor radius = knn_radii(train, 1);  // [Nt]: to the nearest other image
    const torch::Tensor synthetic_inside = a.distance < radius.index_select(0, a.index);
    a.inside_neighbour = synthetic_inside.sum().item<int64_t>();
    a.synthetic_inside_share = synthetic_inside.to(torch::kDouble).mean().item<double>();
    a.real_inside_share = (real_distance < radius.index_select(0, real_index))
                              .to(torch::kDouble)
                              .mean()
                              .item<double>();
  }
  return a;
}

at::Tensor pixel_vectors(const at::Tensor& images) {
  return images.flatten(1).to(torch::kFloat).div(255.0);
}

}  // namespace skingan::eval
