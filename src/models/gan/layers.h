// Layers shared by the GAN models: convolution and linear layers with optional spectral
// normalisation, and class-conditional batch normalisation.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "models/distributed_layers.h"
#include "models/gan/spectral_norm.h"

namespace skingan::models {

// Conv2d whose weight is spectrally normalised when `spectral_norm` is true.
// [N,in,H,W] -> [N,out,(H+2p-k)/s+1,(W+2p-k)/s+1]
class SNConv2dImpl : public torch::nn::Module {
 public:
  SNConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool bias,
               bool spectral_norm);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  torch::Tensor bias;

 private:
  int64_t stride_, padding_;
  bool spectral_norm_;
  SpectralNorm sn_;
};
TORCH_MODULE(SNConv2d);

// Linear layer with optional spectral normalisation. [N,in] -> [N,out]
class SNLinearImpl : public torch::nn::Module {
 public:
  SNLinearImpl(int64_t in, int64_t out, bool bias, bool spectral_norm);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  torch::Tensor bias;

 private:
  bool spectral_norm_;
  SpectralNorm sn_;
};
TORCH_MODULE(SNLinear);

// Embedding table with optional spectral normalisation (the projection discriminator's class
// embedding). [N] long -> [N,dim]
class SNEmbeddingImpl : public torch::nn::Module {
 public:
  SNEmbeddingImpl(int64_t classes, int64_t dim, bool spectral_norm);
  torch::Tensor forward(const torch::Tensor& labels);
  torch::Tensor weight;

 private:
  bool spectral_norm_;
  SpectralNorm sn_;
};
TORCH_MODULE(SNEmbedding);

// BatchNorm whose scale and shift come from the class (de Vries et al. 2017; used by SNGAN and
// BigGAN generators): y = BN(x) * (1 + gamma[c]) + beta[c]. [N,C,H,W], [N] -> [N,C,H,W]
class ConditionalBatchNorm2dImpl : public torch::nn::Module {
 public:
  ConditionalBatchNorm2dImpl(int64_t channels, int64_t classes);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels);

 private:
  SyncBatchNorm2d norm_{nullptr};  // affine = false
  torch::nn::Embedding gamma_{nullptr}, beta_{nullptr};
};
TORCH_MODULE(ConditionalBatchNorm2d);

// ConfigError unless `image_size` is a power of two in 8..1024 (every GAN family's rule: the
// generators double the side from 4x4).
void check_gan_image_size(int64_t image_size);

// DCGAN initialisation (Radford et al.): conv/linear weights N(0, 0.02), BatchNorm scales
// N(1, 0.02), biases 0. Applied to every submodule of `module` (not its own parameters, so it
// can run inside a constructor).
void dcgan_init(torch::nn::Module& module);

// Stores every 4-D parameter and buffer of `module` channels-last (NHWC strides; shapes and
// values unchanged). On the CPU oneDNN then runs the convolutions without reordering activations
// to and from its blocked layout: the DCGAN step measured 1.3-1.5x faster (bench_gan_step).
void use_channels_last(torch::nn::Module& module);

}  // namespace skingan::models
