// Residual GAN in the style of SNGAN (Miyato et al. 2018) and BigGAN (Brock et al. 2019), sized
// for 2-core CPUs and a few hundred images per class.
//
// Generator: condition c = [z ; embed(y)] (one class embedding shared by every block, BigGAN)
//   -> linear -> [N,c4,4,4] -> per resolution 8..S a block
//        h = conv3x3(up(relu(cbn0(x, c)))) ; h = conv3x3(relu(cbn1(h, c))) ; out = h +
//        conv1x1(up'(x))
//   -> relu(bn) -> conv3x3 -> tanh: [N,3,S,S]. up = up' = nearest x2 (no transposed convolution,
//   so no checkerboard) or bilinear x2 (upsample kBilinear: less mesh, see models/gan/upsample.h);
//   kSkipBilinear: up nearest, up' bilinear; kSkipBilinearLast: the same but up bilinear in the
//   last block. cbn =
//   BatchNorm whose scale and shift are linear in c (BigGAN-deep feeds the whole z with the shared
//   embedding to every block, as here). Unconditional: c = z.
// Discriminator: per resolution S..8 a block
//        h = conv3x3(relu(x)) ; h = conv3x3(relu(h)) ; out = pool(h) + pool(conv1x1(x))
//   (the first block skips the leading relu and pools its input before the 1x1 shortcut, as in
//   SNGAN), one block at 4x4 without pooling, then h = sum over space of relu -> [N,c] -> logit
//   w.h + b plus the projection <embed(y), h> (Miyato & Koyama 2018). Every weight spectrally
//   normalised when spectral_norm is on. With minibatch_stddev the last block's input is
//   [h ; stddev] (Karras et al. 2018), the statistic over the batch's samples of each sample's own
//   class: D then sees a class drawn as one lesion whatever z, which it cannot from one image.
// Channels: channels * S/(2r) at side r in both networks (the discriminator's after the block
// leaving side r), capped at channels * max_multiplier: at 64 px and channels 32, 256 at 4x4 down
// to 16 at 64x64. Full width at full size (SNGAN's plan) measured 2.6x slower per step on 2 CPU
// cores (26 against 67 images/s in bench_gan_step), nearly all of it in the 64x64 convolutions.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/pimpl.h>

#include "models/gan/layers.h"
#include "models/gan/upsample.h"

namespace skingan::models {

struct ResNetOptions {
  TORCH_ARG(int64_t, image_size) = 64;
  TORCH_ARG(int64_t, latent_dim) = 100;  // generator only
  TORCH_ARG(int64_t, channels) = 32;
  TORCH_ARG(int64_t, max_multiplier) = 8;
  TORCH_ARG(int64_t, num_classes) = 0;     // 0: unconditional
  TORCH_ARG(int64_t, embedding_dim) = 64;  // generator: the shared class embedding
  TORCH_ARG(bool, spectral_norm) = true;   // discriminator only
  // Discriminator only: the minibatch standard deviation (models/gan/equalized_layers.h) as one
  // more channel in front of the last block, over each sample's own class when conditional.
  TORCH_ARG(bool, minibatch_stddev) = false;
  TORCH_ARG(Upsample, upsample) = Upsample::kResizeConv;  // generator only: not transposed
};

// BatchNorm whose scale and shift are linear in a condition vector (BigGAN's "ccbn"):
// y = BN(x) * (1 + gain(c)) + bias(c). Both linear maps start at zero, so training starts from
// plain BatchNorm. [N,C,H,W], [N,D] -> [N,C,H,W]
class LinearConditionalBatchNorm2dImpl : public torch::nn::Module {
 public:
  LinearConditionalBatchNorm2dImpl(int64_t channels, int64_t condition_dim);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& condition);

  SyncBatchNorm2d norm{nullptr};  // affine = false
  SNLinear gain{nullptr}, bias{nullptr};
};
TORCH_MODULE(LinearConditionalBatchNorm2d);

// The condition the ResNet and FastGAN generators feed every conditional norm: [z ; embed(y)]
// with an embedding (BigGAN's shared class embedding), else z. The shapes are checked, and
// `network` named in the message. z [N,latent], labels [N] -> [N,latent(+embedding)]
torch::Tensor generator_condition(const torch::Tensor& z, const torch::Tensor& labels,
                                  int64_t latent_dim, torch::nn::Embedding embedding,
                                  const char* network);
// Registers that embedding ([classes, embedding_dim], as "embedding") on `generator` when there
// are classes; returns the condition's width, latent_dim (+ embedding_dim).
int64_t register_generator_embedding(torch::nn::Module& generator, torch::nn::Embedding& embedding,
                                     int64_t latent_dim, int64_t classes, int64_t embedding_dim);

// The generator block above: [N,in,H,W], [N,D] -> [N,out,2H,2W].
class ResNetUpBlockImpl : public torch::nn::Module {
 public:
  ResNetUpBlockImpl(int64_t in, int64_t out, int64_t condition_dim,
                    Upsample upsample = Upsample::kResizeConv);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& condition);

  Upsample upsample;
  LinearConditionalBatchNorm2d norm0{nullptr}, norm1{nullptr};
  SNConv2d conv0{nullptr}, conv1{nullptr}, shortcut{nullptr};
};
TORCH_MODULE(ResNetUpBlock);

// The discriminator block above: [N,in,H,W] -> [N,out,H/2,W/2] (or H,W without `downsample`).
class ResNetDownBlockImpl : public torch::nn::Module {
 public:
  ResNetDownBlockImpl(int64_t in, int64_t out, bool downsample, bool first, bool spectral_norm);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool downsample_, first_;
  SNConv2d conv0_{nullptr}, conv1_{nullptr}, shortcut_{nullptr};  // shortcut: null = identity
};
TORCH_MODULE(ResNetDownBlock);

// ConfigError unless the image size is a power of two in 8..1024, the sizes are positive and the
// upsampling resizes.
void validate(const ResNetOptions& options);

class ResNetGeneratorImpl : public torch::nn::Module {
 public:
  explicit ResNetGeneratorImpl(const ResNetOptions& options);
  // z: [N,latent] ; labels: [N] long when conditional -> [N,3,S,S] in (-1,1).
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels = {});
  const ResNetOptions& options() const { return options_; }
  // The number of up blocks: log2(S) - 2.
  int64_t blocks() const { return static_cast<int64_t>(blocks_->size()); }

 private:
  ResNetOptions options_;
  torch::nn::Embedding embedding_{nullptr};
  SNLinear input_{nullptr};       // [N,latent(+embedding)] -> [N,c4*16]
  torch::nn::ModuleList blocks_;  // ResNetUpBlock per resolution 8..S
  SyncBatchNorm2d output_norm_{nullptr};
  SNConv2d to_rgb_{nullptr};  // 3x3 -> 3 channels
};
TORCH_MODULE(ResNetGenerator);

struct ResNetDiscriminatorOutput {
  torch::Tensor logits;        // [N]
  torch::Tensor class_logits;  // [N,K]: the logit given each class (conditional only)
};

class ResNetDiscriminatorImpl : public torch::nn::Module {
 public:
  explicit ResNetDiscriminatorImpl(const ResNetOptions& options);
  // x: [N,3,S,S]; labels: [N] long when conditional.
  ResNetDiscriminatorOutput forward(const torch::Tensor& x, const torch::Tensor& labels = {});
  const ResNetOptions& options() const { return options_; }

 private:
  ResNetOptions options_;
  torch::nn::ModuleList blocks_;  // ResNetDownBlock per resolution S..8, then one at 4x4
  SNLinear output_{nullptr};
  SNEmbedding projection_{nullptr};
};
TORCH_MODULE(ResNetDiscriminator);

}  // namespace skingan::models
