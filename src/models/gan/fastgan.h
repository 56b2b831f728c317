// FastGAN (Liu et al. 2021, "Towards faster and stabilized GAN training for high-fidelity few-shot
// image synthesis"): a light generator with skip-layer excitation and a discriminator that must
// also reconstruct real images from its own features, built for a few hundred images per class.
// Sized like skingan's ResNet GAN and class-conditional.
//
// Generator: c = [z ; embed(y)] (or z) -> linear -> [N,2 c4,4,4] -> cbn -> GLU -> [N,c4,4,4]
//   -> per side 8..S an up block: up x2 -> conv3x3 (2 out channels) -> cbn -> GLU, and a second
//      conv3x3 -> cbn -> GLU at sides 8, 32, 128, ... (the paper alternates its UpBlockComp
//      and UpBlock so).
//   -> skip-layer excitation (SLE): from side 32 on, the map at side s is scaled channel by channel
//      by a gate computed from the map at side s/8,
//        gate = sigmoid(conv1x1(swish(conv4x4(avgpool_to_4x4(small)))))   [N,C(s),1,1]
//      so the coarse layout of the lesion steers the fine channels (the paper's 4->64, 8->128).
//   -> conv3x3 -> tanh: [N,3,S,S]. cbn = BatchNorm with scale and shift linear in c
//      (LinearConditionalBatchNorm2d, shared with the ResNet GAN). up = nearest or bilinear x2.
// Discriminator: conv3x3 + lrelu at S, then per side S..8 a down block
//        main   = lrelu(bn(conv3x3(lrelu(bn(conv4x4 stride 2(x))))))
//        direct = lrelu(bn(conv1x1(avgpool2(x))))          out = (main + direct) / 2
//   -> [N,C,4,4] -> h = sum over space [N,C] -> logit w.h + b, plus the projection <embed(y), h>
//   (Miyato & Koyama 2018) when conditional. Spectral norm on every weight when spectral_norm is
//   on. Self-supervision (real images only): two small decoders (up x2 -> conv3x3 -> bn -> GLU,
//   repeated, then conv3x3 -> tanh) rebuild the whole image at S/2 from the 8x8 features, and one
//   quarter of it at S/2 from that quarter of the 16x16 features. Their error joins D's loss, so D
//   must keep features that describe the image, not only ones that separate real from fake: the
//   paper's remedy for a discriminator that overfits a few hundred images.
// Channels at side r: channels * S/(2r), in [1, channels * max_multiplier], in both networks (the
// ResNet GAN's plan: 256 at 4x4 down to 16 at 64x64 for 64 px and channels 32).
//
// Where this differs from the paper, and why:
//   - Mean squared error instead of LPIPS for the reconstructions: LPIPS needs pretrained
//     VGG/AlexNet weights, which cannot be downloaded where skingan builds.
//   - No noise injection in the generator (the paper's noise weights start at zero): an image is a
//     function of z and the class alone, so exports and CPU-vs-GPU checks stay deterministic.
//   - No spectral norm in the generator, as in skingan's other generators (one power iteration per
//     layer per step for a network whose BatchNorm already bounds the scale).
//   - One discriminator path at full size; the paper adds a second on a 128-px copy of its
//     256-to-1024-px images, which at 64 px would be a copy of a few pixels.
//   - A class embedding and projection head (the paper is unconditional); --per-class trains one
//     unconditional FastGAN per class as the paper would.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/pimpl.h>

#include "models/gan/layers.h"
#include "models/gan/resnet.h"
#include "models/gan/upsample.h"

namespace skingan::models {

struct FastGanOptions {
  TORCH_ARG(int64_t, image_size) = 64;   // a power of two in 32..1024 (the decoders read 16x16)
  TORCH_ARG(int64_t, latent_dim) = 100;  // generator only
  TORCH_ARG(int64_t, channels) = 32;
  TORCH_ARG(int64_t, max_multiplier) = 8;
  TORCH_ARG(int64_t, num_classes) = 0;                    // 0: unconditional
  TORCH_ARG(int64_t, embedding_dim) = 64;                 // generator: the class embedding
  TORCH_ARG(bool, spectral_norm) = true;                  // discriminator only
  TORCH_ARG(Upsample, upsample) = Upsample::kResizeConv;  // generator only: resize or bilinear
};

// ConfigError unless the image size is a power of two in 32..1024, the sizes are positive and the
// upsampling resizes.
void validate(const FastGanOptions& options);

// The generator's up block: [N,in,H,W], [N,D] -> [N,out,2H,2W].
class FastGanUpBlockImpl : public torch::nn::Module {
 public:
  FastGanUpBlockImpl(int64_t in, int64_t out, int64_t condition_dim, Upsample upsample,
                     bool second_conv);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& condition);

  Upsample upsample;
  SNConv2d conv0{nullptr}, conv1{nullptr};  // conv1: null without the second convolution
  LinearConditionalBatchNorm2d norm0{nullptr}, norm1{nullptr};
};
TORCH_MODULE(FastGanUpBlock);

// Skip-layer excitation: big [N,Cb,H,W] scaled by the gate of small [N,Cs,h,w] (h, w >= 4).
class SkipLayerExcitationImpl : public torch::nn::Module {
 public:
  SkipLayerExcitationImpl(int64_t small_channels, int64_t big_channels);
  // The gate alone, [N,Cb,1,1] in (0,1).
  torch::Tensor gate(const torch::Tensor& small);
  torch::Tensor forward(const torch::Tensor& small, const torch::Tensor& big);

  SNConv2d squeeze{nullptr};  // 4x4, no padding: [N,Cs,4,4] -> [N,Cb,1,1]
  SNConv2d excite{nullptr};   // 1x1
};
TORCH_MODULE(SkipLayerExcitation);

class FastGanGeneratorImpl : public torch::nn::Module {
 public:
  explicit FastGanGeneratorImpl(const FastGanOptions& options);
  // z: [N,latent] ; labels: [N] long when conditional -> [N,3,S,S] in (-1,1).
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels = {});
  const FastGanOptions& options() const { return options_; }
  // The number of up blocks: log2(S) - 2. Block i leaves side 8 * 2^i.
  int64_t blocks() const { return static_cast<int64_t>(blocks_->size()); }
  // The side whose map gates block i's output (its side / 8), or 0 when none does.
  int64_t excitation_source(int64_t block) const;

 private:
  FastGanOptions options_;
  torch::nn::Embedding embedding_{nullptr};
  SNLinear input_{nullptr};  // [N,D] -> [N,2 c4 16]
  LinearConditionalBatchNorm2d input_norm_{nullptr};
  torch::nn::ModuleList blocks_;       // FastGanUpBlock per side 8..S
  torch::nn::ModuleList excitations_;  // SkipLayerExcitation per side 32..S
  SNConv2d to_rgb_{nullptr};           // 3x3 -> 3 channels
};
TORCH_MODULE(FastGanGenerator);

// The discriminator's down block: [N,in,H,W] -> [N,out,H/2,W/2].
class FastGanDownBlockImpl : public torch::nn::Module {
 public:
  FastGanDownBlockImpl(int64_t in, int64_t out, bool spectral_norm);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  SNConv2d conv0_{nullptr}, conv1_{nullptr}, direct_{nullptr};
  SyncBatchNorm2d norm0_{nullptr}, norm1_{nullptr}, norm_direct_{nullptr};
};
TORCH_MODULE(FastGanDownBlock);

// A reconstruction decoder: [N,in,8,8] -> [N,3,8 * 2^steps,8 * 2^steps] in (-1,1).
class FastGanDecoderImpl : public torch::nn::Module {
 public:
  FastGanDecoderImpl(int64_t in, int64_t width, int64_t steps, bool spectral_norm);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::ModuleList convs_, norms_;
  SNConv2d to_rgb_{nullptr};
};
TORCH_MODULE(FastGanDecoder);

struct FastGanDiscriminatorOutput {
  torch::Tensor logits;        // [N]
  torch::Tensor class_logits;  // [N,K]: the logit given each class (conditional only)
  // Scalar: the decoders' mean squared error on this batch; undefined unless asked for.
  torch::Tensor reconstruction_loss;
};

class FastGanDiscriminatorImpl : public torch::nn::Module {
 public:
  explicit FastGanDiscriminatorImpl(const FastGanOptions& options);
  // x: [N,3,S,S]; labels: [N] long when conditional. With `reconstruct_part` in 0..3 the decoders
  // also rebuild x, and of the 16x16 features the quarter `reconstruct_part` (0 top left, 1 top
  // right, 2 bottom left, 3 bottom right), and return their error (for real images only).
  FastGanDiscriminatorOutput forward(const torch::Tensor& x, const torch::Tensor& labels = {},
                                     int64_t reconstruct_part = -1);
  const FastGanOptions& options() const { return options_; }

 private:
  FastGanOptions options_;
  SNConv2d stem_{nullptr};
  torch::nn::ModuleList blocks_;  // FastGanDownBlock per side S..8
  FastGanDecoder decode_whole_{nullptr}, decode_part_{nullptr};
  SNLinear output_{nullptr};
  SNEmbedding projection_{nullptr};
};
TORCH_MODULE(FastGanDiscriminator);

// The quarter `part` (0..3, as above) of x [N,C,H,W]: [N,C,H/2,W/2].
torch::Tensor quarter(const torch::Tensor& x, int64_t part);

}  // namespace skingan::models
