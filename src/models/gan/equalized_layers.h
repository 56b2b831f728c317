// The building blocks of the progressive GAN (Karras et al. 2018, "Progressive growing of GANs"):
// layers with an equalised learning rate, pixel-wise feature normalisation and the minibatch
// standard deviation. Written by hand: LibTorch has none of them.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace skingan::models {

// sqrt(2): the He gain for (leaky) ReLU layers; 1 for linear outputs (to_rgb, the logit).
inline constexpr double kHeGain = 1.4142135623730951;

// Equalised learning rate (section 4.1): weights are stored N(0,1) and scaled at every forward by
// the He constant c = gain / sqrt(fan_in). Adam's update is scale-free, so every weight then
// moves at the same relative speed whatever its layer's fan-in.
// [N,in,H,W] -> [N,out,H,W] ('same' padding, stride 1)
class EqualizedConv2dImpl : public torch::nn::Module {
 public:
  EqualizedConv2dImpl(int64_t in, int64_t out, int64_t kernel, double gain = kHeGain);
  torch::Tensor forward(const torch::Tensor& x);
  double scale() const { return scale_; }
  torch::Tensor weight;  // [out,in,k,k], N(0,1)
  torch::Tensor bias;    // [out], zeros

 private:
  double scale_;
  int64_t padding_;
};
TORCH_MODULE(EqualizedConv2d);

// [N,in] -> [N,out], weight [out,in] N(0,1) scaled by gain / sqrt(in) at every forward.
class EqualizedLinearImpl : public torch::nn::Module {
 public:
  EqualizedLinearImpl(int64_t in, int64_t out, double gain = kHeGain, bool bias = true);
  torch::Tensor forward(const torch::Tensor& x);
  double scale() const { return scale_; }
  torch::Tensor weight;
  torch::Tensor bias;

 private:
  double scale_;
};
TORCH_MODULE(EqualizedLinear);

// Pixel-wise feature vector normalisation (section 4.2): b = a / sqrt(mean_c(a^2) + 1e-8) at each
// pixel (dim 1). Any [N,C,...] tensor.
torch::Tensor pixel_norm(const torch::Tensor& x);

// Minibatch standard deviation (section 3): the batch is split into groups of `group_size`
// (the largest divisor of N not above it; samples n, n+M, n+2M, ... form a group of N/M = G),
// the standard deviation of every feature over its group is averaged into one number per
// group, and appended as one more channel. [N,C,H,W] -> [N,C+1,H,W]
// In a data-parallel run (an active dist group of R ranks, each holding N rows) the groups are
// those of the global batch of R*N rows, as one process would form them.
torch::Tensor minibatch_stddev(const torch::Tensor& x, int64_t group_size = 4);

// The class-conditional variant (skingan's; not in the paper): the standard deviation over the
// batch's samples of each sample's own class, averaged over features. The paper's groups mix
// classes in a conditional GAN, so their statistic is high whenever the classes differ and says
// nothing about each class's variety. With it (and an unnormalised class embedding) the first
// conditional progan on HAM10000 drew one lesion per class whatever z. A class with one sample
// in the batch gets 1e-4. In a data-parallel run the statistic covers the global batch.
// x [N,C,H,W], labels [N] long in [0,classes) -> [N,C+1,H,W]
torch::Tensor minibatch_stddev(const torch::Tensor& x, const torch::Tensor& labels,
                               int64_t classes);

}  // namespace skingan::models
