// Transposed convolution computed with oneDNN on the CPU.
//
// Why: in Debian's LibTorch 1.13 `torch::nn::ConvTranspose2d` runs `slow_conv_transpose2d`
// (im2col + OpenBLAS GEMM) on the CPU, outside oneDNN; profiling the DCGAN step put ~35% of it
// in OpenBLAS packing and GEMM. A transposed convolution is, by definition, the gradient of a
// convolution with respect to its input, so the same numbers come from oneDNN's convolution
// backward-data primitive (`at::convolution_backward`), and its own gradients from a forward
// convolution (input) and the backward-weights primitive (weight). Same parameter layout and
// name as ConvTranspose2d (weight [in, out, k, k]), so checkpoints are interchangeable.
// On other devices (CUDA) the standard op is used: cuDNN already handles it well.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace skingan::models {

// y = conv_transpose2d(x, weight, stride, padding), bias-free, dilation 1, groups 1.
// x [N,in,H,W], weight [in,out,k,k] -> y [N,out,(H-1)s-2p+k,(W-1)s-2p+k]. Differentiable in x
// and weight (once: a generator needs no double backward).
torch::Tensor transposed_conv2d(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                                int64_t padding);

// Module wrapper with the DCGAN defaults (no bias: every use is followed by BatchNorm or tanh).
class TransposedConv2dImpl : public torch::nn::Module {
 public:
  TransposedConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;  // [in,out,k,k]

 private:
  int64_t stride_, padding_;
};
TORCH_MODULE(TransposedConv2d);

}  // namespace skingan::models
