// DCGAN discriminator (Radford et al. 2016) with the heads the conditional GANs need.
//   [N,3,S,S] -> 4x4 stride-2 convolutions with LeakyReLU(0.2), halving the side and doubling
//   the channels (BatchNorm after all but the first, unless spectral norm replaces it) down to
//   [N,C,4,4] -> features h = flatten [N,16C] -> logit = w.h (+ b), the same as pytorch/examples'
//   final 4x4 convolution.
// Heads: kAuxiliary adds class logits from h (ACGAN); kProjection adds <embed(y), h> to the
// logit (Miyato & Koyama 2018).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include "models/gan/fastgan.h"
#include "models/gan/layers.h"
#include "models/gan/network_family.h"
#include "models/gan/progressive.h"
#include "models/gan/resnet.h"

namespace skingan::models {

enum class DiscriminatorHead { kUnconditional, kAuxiliary, kProjection };

struct DiscriminatorOptions {
  TORCH_ARG(int64_t, image_size) = 64;
  TORCH_ARG(int64_t, channels) = 64;  // ndf
  TORCH_ARG(int64_t, max_multiplier) = 8;
  TORCH_ARG(int64_t, num_classes) = 0;
  TORCH_ARG(DiscriminatorHead, head) = DiscriminatorHead::kUnconditional;
  TORCH_ARG(bool, spectral_norm) = false;
  TORCH_ARG(bool, batch_norm) = true;  // ignored (off) when spectral_norm is on
  // kProgressive (models/gan/progressive.h), kResNet (models/gan/resnet.h) or kFastGan
  // (models/gan/fastgan.h) instead of the DCGAN stack: head kProjection or kUnconditional, their
  // own normalisation (batch_norm ignored); the progressive discriminator refuses spectral_norm (it
  // equalises its learning rate instead).
  TORCH_ARG(NetworkFamily, family) = NetworkFamily::kDcgan;
  // kResNet only: minibatch standard deviation before the last block (ResNetOptions). The
  // progressive discriminator always has it.
  TORCH_ARG(bool, minibatch_stddev) = false;
};

void validate(const DiscriminatorOptions& options);

struct DiscriminatorOutput {
  torch::Tensor logits;  // [N] real/fake score
  // [N,K]: kAuxiliary: the class head's logits; kProjection: the real/fake logit given each
  // class; undefined for kUnconditional.
  torch::Tensor class_logits;
  // Scalar: FastGAN's self-supervised reconstruction error, when forward was given a part.
  torch::Tensor reconstruction_loss;
};

class DiscriminatorImpl : public torch::nn::Module {
 public:
  explicit DiscriminatorImpl(const DiscriminatorOptions& options);
  // x: [N,3,S,S] float; labels: [N] long for kProjection (others ignore it). reconstruct_part
  // 0..3: a FastGAN discriminator also rebuilds x from its features (see models/gan/fastgan.h)
  // and returns the error; the other families have no decoders and ignore it.
  DiscriminatorOutput forward(const torch::Tensor& x, const torch::Tensor& labels = {},
                              int64_t reconstruct_part = -1);
  const DiscriminatorOptions& options() const { return options_; }
  // The progressive network of a progressive discriminator, else null.
  ProgressiveDiscriminator& progressive() { return progressive_; }

 private:
  DiscriminatorOptions options_;
  ProgressiveDiscriminator progressive_{nullptr};
  ResNetDiscriminator resnet_{nullptr};
  FastGanDiscriminator fastgan_{nullptr};
  torch::nn::ModuleList convs_, norms_;
  SNLinear output_{nullptr}, class_head_{nullptr};
  SNEmbedding projection_{nullptr};
};
TORCH_MODULE(Discriminator);

}  // namespace skingan::models
