// Spectral normalisation (Miyato et al. 2018): divide a weight by an estimate of its largest
// singular value, kept by power iteration in persistent vectors u and v.
// Hand-written: LibTorch 1.13's C++ frontend has no torch.nn.utils.spectral_norm.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

namespace skingan::models {

// Registers `u` [rows] and `v` [cols] buffers on `owner` for a weight whose first dimension has
// `rows` entries and whose other dimensions hold `cols` entries in all.
class SpectralNorm {
 public:
  SpectralNorm() = default;
  SpectralNorm(torch::nn::Module& owner, const std::string& prefix, int64_t rows, int64_t cols,
               int power_iterations = 1);

  // weight / sigma(weight). In training mode runs the power iterations first and stores u and v
  // (without gradient); sigma = u^T W v then carries the gradient, as in PyTorch's version.
  torch::Tensor normalize(const torch::Tensor& weight, bool training);

  // The current estimate of the largest singular value (no update).
  torch::Tensor sigma(const torch::Tensor& weight) const;

 private:
  torch::Tensor u_, v_;
  int power_iterations_ = 1;
};

}  // namespace skingan::models
