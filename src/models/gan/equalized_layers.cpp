#include "models/gan/equalized_layers.h"

#include <cmath>

#include <torch/torch.h>

#include "dist/process_group.h"
#include "models/distributed_layers.h"

namespace skingan::models {

EqualizedConv2dImpl::EqualizedConv2dImpl(int64_t in, int64_t out, int64_t kernel, double gain)
    : scale_(gain / std::sqrt(static_cast<double>(in * kernel * kernel))), padding_(kernel / 2) {
  TORCH_CHECK(kernel % 2 == 1, "EqualizedConv2d needs an odd kernel for 'same' padding");
  weight = register_parameter("weight", torch::randn({out, in, kernel, kernel}));
  bias = register_parameter("bias", torch::zeros({out}));
}

torch::Tensor EqualizedConv2dImpl::forward(const torch::Tensor& x) {
  return torch::conv2d(x, weight * scale_, bias, /*stride=*/1, padding_);
}

EqualizedLinearImpl::EqualizedLinearImpl(int64_t in, int64_t out, double gain, bool bias)
    : scale_(gain / std::sqrt(static_cast<double>(in))) {
  weight = register_parameter("weight", torch::randn({out, in}));
  if (bias) this->bias = register_parameter("bias", torch::zeros({out}));
}

torch::Tensor EqualizedLinearImpl::forward(const torch::Tensor& x) {
  return torch::linear(x, weight * scale_, bias);
}

torch::Tensor pixel_norm(const torch::Tensor& x) {
  return x * torch::rsqrt(x.pow(2).mean(1, /*keepdim=*/true) + 1e-8);
}

namespace {

// The groups of a data-parallel run: the global batch is the ranks' batches one after the other
// (each rank holds N rows), so this rank's row k is global row first + k, member (first + k) / M
// of group (first + k) % M. Each group's mean and mean squared deviation are sums over its members
// on every rank: per-group sums here, added over the ranks by a differentiable all-reduce.
torch::Tensor minibatch_stddev_across_ranks(const torch::Tensor& x, int64_t group_size,
                                            const dist::ProcessGroup& group) {
  const int64_t n = x.size(0), total = n * group.size(), first = n * group.rank();
  int64_t g = std::min(group_size, total);
  while (total % g != 0) --g;
  const int64_t m = total / g;
  const torch::Tensor member_of =
      torch::remainder(torch::arange(first, first + n, x.options().dtype(torch::kLong)), m);  // [N]
  const torch::Tensor zeros = torch::zeros({m, x.size(1), x.size(2), x.size(3)}, x.options());
  const torch::Tensor mean = all_reduce_sum(zeros.index_add(0, member_of, x)) / g;  // [M,C,H,W]
  const torch::Tensor centred = x - mean.index_select(0, member_of);                // [N,C,H,W]
  const torch::Tensor variance =
      all_reduce_sum(zeros.index_add(0, member_of, centred.pow(2))) / g;         // [M,C,H,W]
  const torch::Tensor per_group = torch::sqrt(variance + 1e-8).mean({1, 2, 3});  // [M]
  const torch::Tensor channel =
      per_group.index_select(0, member_of).view({n, 1, 1, 1}).expand({n, 1, x.size(2), x.size(3)});
  return torch::cat({x, channel.to(x.dtype())}, 1);
}

}  // namespace

torch::Tensor minibatch_stddev(const torch::Tensor& x, int64_t group_size) {
  TORCH_CHECK(x.dim() == 4, "minibatch_stddev expects [N,C,H,W], got ", x.sizes());
  if (const dist::ProcessGroup* group = dist::active_group(); group != nullptr && group->size() > 1)
    return minibatch_stddev_across_ranks(x, group_size, *group);
  const int64_t n = x.size(0);
  int64_t g = std::min(group_size, n);
  while (n % g != 0) --g;
  const int64_t m = n / g;
  // [G,M,C,H,W]: sample i*M + m is member i of group m.
  const torch::Tensor y = x.reshape({g, m, x.size(1), x.size(2), x.size(3)});
  const torch::Tensor centred = y - y.mean(0, /*keepdim=*/true);
  const torch::Tensor stddev = torch::sqrt(centred.pow(2).mean(0) + 1e-8);  // [M,C,H,W]
  const torch::Tensor per_group = stddev.mean({1, 2, 3});                   // [M]
  // [N,1,H,W], sample i*M + m gets its group's value.
  const torch::Tensor channel =
      per_group.repeat({g}).view({n, 1, 1, 1}).expand({n, 1, x.size(2), x.size(3)});
  return torch::cat({x, channel.to(x.dtype())}, 1);
}

torch::Tensor minibatch_stddev(const torch::Tensor& x, const torch::Tensor& labels,
                               int64_t classes) {
  TORCH_CHECK(x.dim() == 4 && labels.dim() == 1 && labels.size(0) == x.size(0),
              "minibatch_stddev expects [N,C,H,W] and labels [N], got ", x.sizes(), " and ",
              labels.sizes());
  const int64_t n = x.size(0);
  // Class sums and counts over the global batch: all_reduce_sum adds them over the ranks of a
  // data-parallel run and is the identity in one process.
  const torch::Tensor flat = x.reshape({n, -1});                                           // [N,F]
  const torch::Tensor onehot = torch::one_hot(labels, classes).to(x.dtype());              // [N,K]
  const torch::Tensor counts = all_reduce_sum(onehot.sum(0)).clamp_min(1.0).unsqueeze(1);  // [K,1]
  const torch::Tensor means = all_reduce_sum(onehot.t().matmul(flat)) / counts;            // [K,F]
  const torch::Tensor centred = flat - means.index_select(0, labels);                      // [N,F]
  const torch::Tensor variance =
      all_reduce_sum(onehot.t().matmul(centred.pow(2))) / counts;        // [K,F]
  const torch::Tensor per_class = torch::sqrt(variance + 1e-8).mean(1);  // [K]
  const torch::Tensor channel =
      per_class.index_select(0, labels).view({n, 1, 1, 1}).expand({n, 1, x.size(2), x.size(3)});
  return torch::cat({x, channel}, 1);
}

}  // namespace skingan::models
