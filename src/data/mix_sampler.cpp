#include "data/mix_sampler.h"

#include <torch/torch.h>

#include "core/error.h"

namespace skingan::data {

MixSampler::MixSampler(const torch::Tensor& labels, const torch::Tensor& synthetic,
                       int64_t num_classes, bool balanced, double ratio)
    : num_classes_(num_classes), balanced_(balanced), ratio_(ratio) {
  const torch::Tensor y = labels.to(torch::kCPU, torch::kLong).contiguous();
  const torch::Tensor s = synthetic.to(torch::kCPU, torch::kBool).contiguous();
  TORCH_CHECK(y.dim() == 1 && y.size(0) > 0 && s.sizes() == y.sizes(),
              "MixSampler needs non-empty [N] labels and [N] synthetic flags");
  TORCH_CHECK(ratio >= 0 && ratio <= 1, "MixSampler: ratio ", ratio, " outside [0, 1]");
  const torch::Tensor group = y * 2 + s.to(torch::kLong);  // [N]
  const int64_t n = y.size(0);
  by_group_ = torch::argsort(group * n + torch::arange(n));  // stable: set order within a group
  group_count_ = torch::bincount(group, {}, 2 * num_classes);
  group_offset_ = torch::cumsum(group_count_, 0) - group_count_;
  const torch::Tensor per_class = group_count_.view({num_classes, 2});  // [K, (real, synthetic)]
  const torch::Tensor real = per_class.select(1, 0);
  if (balanced_ && (per_class.sum(1) == 0).any().item<bool>()) {
    throw DataError(
        "class-balanced sampling needs at least one training image of every class; "
        "restrict --classes to the classes present.");
  }
  if (!balanced_ && real.sum().item<int64_t>() == 0) {
    throw DataError(
        "--synthetic-ratio without --balanced-sampler draws classes with the real images' "
        "frequencies, and there are no real training images; add --balanced-sampler.");
  }
  class_weights_ = real.to(torch::kDouble);
}

torch::Tensor MixSampler::next(int64_t batch, at::Generator& generator) const {
  const torch::Tensor classes =
      balanced_ ? torch::randint(0, num_classes_, {batch}, generator, torch::kLong)
                : torch::multinomial(class_weights_, batch, /*replacement=*/true, generator);
  const torch::Tensor counts = group_count_.view({num_classes_, 2});
  const torch::Tensor real = counts.select(1, 0).index_select(0, classes);       // [B]
  const torch::Tensor synthetic = counts.select(1, 1).index_select(0, classes);  // [B]
  const torch::Tensor u = torch::rand({batch}, generator, torch::kDouble);
  const torch::Tensor take_synthetic =
      (synthetic > 0).logical_and((u < ratio_).logical_or(real == 0));
  const torch::Tensor group = classes * 2 + take_synthetic.to(torch::kLong);
  const torch::Tensor v = torch::rand({batch}, generator, torch::kDouble);
  const torch::Tensor within =
      (v * group_count_.index_select(0, group).to(torch::kDouble)).to(torch::kLong);
  return by_group_.index_select(0, group_offset_.index_select(0, group) + within);
}

}  // namespace skingan::data
