#include "models/gan/equalized_layers.h"

#include <cmath>

#include <torch/torch.h>

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

torch::Tensor minibatch_stddev(const torch::Tensor& x, int64_t group_size) {
  TORCH_CHECK(x.dim() == 4, "minibatch_stddev expects [N,C,H,W], got ", x.sizes());
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
  const torch::Tensor flat = x.reshape({n, -1});                               // [N,F]
  const torch::Tensor onehot = torch::one_hot(labels, classes).to(x.dtype());  // [N,K]
  const torch::Tensor counts = onehot.sum(0).clamp_min(1.0).unsqueeze(1);      // [K,1]
  const torch::Tensor means = onehot.t().matmul(flat) / counts;                // [K,F]
  const torch::Tensor centred = flat - means.index_select(0, labels);          // [N,F]
  const torch::Tensor variance = onehot.t().matmul(centred.pow(2)) / counts;   // [K,F]
  const torch::Tensor per_class = torch::sqrt(variance + 1e-8).mean(1);        // [K]
  const torch::Tensor channel =
      per_class.index_select(0, labels).view({n, 1, 1, 1}).expand({n, 1, x.size(2), x.size(3)});
  return torch::cat({x, channel}, 1);
}

}  // namespace skingan::models
