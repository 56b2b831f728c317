// DCGAN generator (Radford et al. 2016), optionally class-conditional.
//   z [N,latent] (+ class) -> [N,c0,4,4] -> ... doubling the side with 4x4 stride-2 transposed
//   convolutions, BatchNorm and ReLU -> [N,3,S,S] through tanh, so outputs lie in (-1,1).
// Channels at side r are channels * min(S/(2r), max_multiplier): for S=64 and channels=ngf this
// is exactly pytorch/examples' DCGAN (ngf*8 at 4x4 ... ngf at 32x32).
// Upsample::kResizeConv doubles the side instead by nearest-neighbour resizing and a 3x3
// convolution (Odena et al. 2016, "Deconvolution and checkerboard artifacts"): a stride-2
// transposed convolution computes even and odd output pixels from different kernel taps, so
// unless training balances those taps its output carries a 2-periodic pattern (the lattice in
// skingan's DCGAN samples); after resizing, every output pixel comes from the same taps.
// Upsample::kBilinear resizes bilinearly instead of by nearest neighbour (models/gan/upsample.h).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/pimpl.h>

#include "models/gan/fastgan.h"
#include "models/gan/layers.h"
#include "models/gan/network_family.h"
#include "models/gan/progressive.h"
#include "models/gan/resnet.h"
#include "models/gan/upsample.h"

namespace skingan::models {

enum class Conditioning {
  kNone,       // unconditional (DCGAN)
  kConcat,     // class embedding concatenated to z (ACGAN, Odena et al. 2017)
  kBatchNorm,  // class-conditional BatchNorm in every block (projection cGAN, Miyato & Koyama)
};

struct GeneratorOptions {
  TORCH_ARG(int64_t, image_size) = 64;  // 32, 64 or 128 (any power of two >= 8)
  TORCH_ARG(int64_t, latent_dim) = 100;
  TORCH_ARG(int64_t, channels) = 64;  // ngf
  TORCH_ARG(int64_t, max_multiplier) = 8;
  TORCH_ARG(int64_t, num_classes) = 0;
  TORCH_ARG(Conditioning, conditioning) = Conditioning::kNone;
  TORCH_ARG(int64_t, embedding_dim) = 64;  // for kConcat
  TORCH_ARG(Upsample, upsample) = Upsample::kTransposed;
  // kProgressive (models/gan/progressive.h), kResNet (models/gan/resnet.h) or kFastGan
  // (models/gan/fastgan.h) instead of the DCGAN stack: conditional (a class embedding appended to
  // z) when num_classes > 0, with conditioning kConcat. The progressive one ignores upsample
  // (nearest x2 always); the ResNet and FastGAN ones resize bilinearly with kBilinear and by
  // nearest neighbour otherwise.
  TORCH_ARG(NetworkFamily, family) = NetworkFamily::kDcgan;
};

// ConfigError unless image_size is a power of two in [8, 1024] and the sizes are positive, and
// conditioning agrees with num_classes.
void validate(const GeneratorOptions& options);

class GeneratorImpl : public torch::nn::Module {
 public:
  explicit GeneratorImpl(const GeneratorOptions& options);
  // z: [N,latent_dim] float; labels: [N] long (conditional only, else undefined) -> [N,3,S,S].
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels = {});
  const GeneratorOptions& options() const { return options_; }
  // The progressive network of a progressive generator, else null.
  ProgressiveGenerator& progressive() { return progressive_; }
  const ProgressiveGenerator& progressive() const { return progressive_; }
  // The residual network of a ResNet generator, else null.
  const ResNetGenerator& resnet() const { return resnet_; }
  // The network of a FastGAN generator, else null.
  const FastGanGenerator& fastgan() const { return fastgan_; }

 private:
  GeneratorOptions options_;
  ProgressiveGenerator progressive_{nullptr};
  ResNetGenerator resnet_{nullptr};
  FastGanGenerator fastgan_{nullptr};
  torch::nn::Embedding embedding_{nullptr};
  // TransposedConv2d per block; with kResizeConv the blocks after the first are SNConv2d (3x3,
  // without spectral norm) applied after a nearest-neighbour x2.
  torch::nn::ModuleList blocks_;
  torch::nn::ModuleList norms_;  // SyncBatchNorm2d or ConditionalBatchNorm2d per block but the last
};
TORCH_MODULE(Generator);

}  // namespace skingan::models
