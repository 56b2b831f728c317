#include "models/gan/spectral_norm.h"

#include <torch/torch.h>

namespace skingan::models {
namespace {

torch::Tensor unit(const torch::Tensor& x) {
  return torch::nn::functional::normalize(
      x, torch::nn::functional::NormalizeFuncOptions().dim(0).eps(1e-12));
}

}  // namespace

SpectralNorm::SpectralNorm(torch::nn::Module& owner, const std::string& prefix, int64_t rows,
                           int64_t cols, int power_iterations)
    : power_iterations_(power_iterations) {
  u_ = owner.register_buffer(prefix + "_u", unit(torch::randn({rows})));
  v_ = owner.register_buffer(prefix + "_v", unit(torch::randn({cols})));
}

torch::Tensor SpectralNorm::normalize(const torch::Tensor& weight, bool training) {
  const torch::Tensor matrix = weight.reshape({weight.size(0), -1});  // [rows, cols]
  if (training) {
    torch::NoGradGuard no_grad;
    for (int i = 0; i < power_iterations_; ++i) {
      v_.copy_(unit(torch::mv(matrix.t(), u_)));
      u_.copy_(unit(torch::mv(matrix, v_)));
    }
  }
  return weight / sigma(weight);
}

torch::Tensor SpectralNorm::sigma(const torch::Tensor& weight) const {
  const torch::Tensor matrix = weight.reshape({weight.size(0), -1});
  // u and v are buffers updated in place, so clone them: autograd must see the values used here.
  return torch::dot(u_.clone(), torch::mv(matrix, v_.clone()));
}

}  // namespace skingan::models
