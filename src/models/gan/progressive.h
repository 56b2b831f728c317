// Progressive GAN (Karras et al. 2018): generator and discriminator that grow from 4x4 to the
// image size, one resolution at a time, fading each new one in.
//
// Both networks hold the layers of every resolution from the start (as the authors' own code
// does); a `level` buffer says which of them run: level 2 draws at 4x4, 2 < level < 3 fades 8x8 in
// with alpha = level - 2, level 3 draws at 8x8, ... up to log2(image size). Growing therefore
// never touches trained weights, checkpoints keep one shape, and the level travels with the
// weights (EMA copy, checkpoint, export). The generator always returns [N,3,S,S] (a lower
// resolution nearest-upsampled) and the discriminator always takes [N,3,S,S] (average-pooled to
// its resolution), so the rest of skingan sees ordinary S x S images at every level.
//
// Generator:  [z ; embed(y)] -> linear -> [N,c4,4,4] -> conv3x3 -> then per resolution r = 8..S:
//   nearest x2 -> conv3x3 -> conv3x3, each conv followed by LeakyReLU(0.2) and pixel norm;
//   to_rgb(r) (1x1 conv) at the current resolution, tanh.
// Discriminator: from_rgb(r) (1x1 conv) -> per resolution r = S..8: conv3x3 -> conv3x3 ->
//   average-pool /2 -> at 4x4: minibatch stddev (per class when conditional) -> conv3x3 -> linear
//   -> features h [N,c4] -> logit, plus the projection <embed(y), h> (Miyato & Koyama 2018) for a
//   conditional one.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/pimpl.h>

#include "models/gan/equalized_layers.h"

namespace skingan::models {

struct ProgressiveOptions {
  TORCH_ARG(int64_t, image_size) = 64;
  TORCH_ARG(int64_t, latent_dim) = 100;  // generator only
  TORCH_ARG(int64_t, channels) = 32;     // channels at S/2: c(r) = channels * S / (2r), capped
  TORCH_ARG(int64_t, max_multiplier) = 8;
  TORCH_ARG(int64_t, num_classes) = 0;     // 0: unconditional
  TORCH_ARG(int64_t, embedding_dim) = 32;  // generator: class embedding appended to z
};

// Where a level stands: `resolution_log2` is drawn; with alpha > 0 the next one fades in.
struct GrowthStage {
  int64_t resolution_log2 = 2;
  double alpha = 0.0;
  // The side of the images drawn at this stage: 2^r, or 2^(r+1) while that one fades in.
  int64_t side() const { return int64_t{1} << (resolution_log2 + (alpha > 0 ? 1 : 0)); }
};
// Level 3.25 -> {3, 0.25}. Levels are clamped to [2, log2(image_size)].
GrowthStage growth_stage(double level, int64_t image_size);

// The real images the discriminator should see at `level` (section A.1: reals are faded in like
// the generator's output): average-pooled to the stage's resolution, and during a fade
// lerp(nearest-up(pool(x, r)), pool(x, 2r), alpha), nearest-upsampled back to S x S.
// [N,3,S,S] -> [N,3,S,S]
torch::Tensor fade_images(const torch::Tensor& x, double level);

// What the generator and discriminator share: their options (validated: ConfigError unless the
// image size is a power of two in 8..1024 and the sizes are positive) and the level buffer.
class ProgressiveModule : public torch::nn::Module {
 public:
  explicit ProgressiveModule(const ProgressiveOptions& options);
  void set_level(double level);
  double level() const;
  const ProgressiveOptions& options() const { return options_; }

 protected:
  ProgressiveOptions options_;

 private:
  torch::Tensor level_;  // [1] float buffer: travels with the weights (EMA, checkpoint)
  // The level as set_level() last wrote it, valid while the buffer is that same write (its data
  // and version unchanged): forward() reads the level on every call, and reading a CUDA buffer
  // would make every training step wait for the GPU. A buffer written otherwise (EMA update,
  // checkpoint load, .to(device)) fails the check and is read once more.
  struct LevelCache {
    const void* data = nullptr;
    int64_t version = -1;
    double value = 0;
  };
  mutable LevelCache cache_;
};

class ProgressiveGeneratorImpl : public ProgressiveModule {
 public:
  explicit ProgressiveGeneratorImpl(const ProgressiveOptions& options);
  // z: [N,latent] ; labels: [N] long when conditional -> [N,3,S,S] in (-1,1) at the current level.
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels = {});
  // The same at an explicit stage; [N,3,2^r,2^r] (2^(r+1) with alpha > 0), before tanh.
  torch::Tensor synthesize(const torch::Tensor& z, const torch::Tensor& labels,
                           const GrowthStage& stage);

 private:
  torch::nn::Embedding embedding_{nullptr};
  EqualizedLinear input_{nullptr};  // [N,latent(+embedding)] -> [N,c4*16]
  EqualizedConv2d base_conv_{nullptr};
  torch::nn::ModuleList blocks_;  // per resolution 8..S: two EqualizedConv2d
  torch::nn::ModuleList to_rgb_;  // per resolution 4..S
};
TORCH_MODULE(ProgressiveGenerator);

struct ProgressiveDiscriminatorOutput {
  torch::Tensor logits;        // [N]
  torch::Tensor class_logits;  // [N,K]: the logit given each class (conditional only)
};

class ProgressiveDiscriminatorImpl : public ProgressiveModule {
 public:
  explicit ProgressiveDiscriminatorImpl(const ProgressiveOptions& options);
  // x: [N,3,S,S]; labels: [N] long when conditional.
  ProgressiveDiscriminatorOutput forward(const torch::Tensor& x, const torch::Tensor& labels = {});
  // x at the stage's input resolution: [N,3,2^r,2^r], or 2^(r+1) with alpha > 0.
  ProgressiveDiscriminatorOutput judge(const torch::Tensor& x, const torch::Tensor& labels,
                                       const GrowthStage& stage);

 private:
  torch::nn::ModuleList from_rgb_;  // per resolution 4..S
  torch::nn::ModuleList blocks_;    // per resolution 8..S: two EqualizedConv2d
  EqualizedConv2d final_conv_{nullptr};
  EqualizedLinear final_linear_{nullptr}, output_{nullptr};
  torch::Tensor projection_;  // [K,c4] N(0,1), used scaled by 1/sqrt(c4)
};
TORCH_MODULE(ProgressiveDiscriminator);

}  // namespace skingan::models
