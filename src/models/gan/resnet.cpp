#include "models/gan/resnet.h"

#include <algorithm>

#include <torch/torch.h>

#include "core/error.h"
#include "models/gan/equalized_layers.h"
#include "models/gan/projection_head.h"
#include "models/gan/side_plan.h"

namespace skingan::models {
namespace {

torch::Tensor pool(const torch::Tensor& x) { return torch::avg_pool2d(x, {2, 2}); }

// Channels at side r, in both networks (the discriminator's after the block leaving side r):
// channels * S / (2r), in [1, channels * max_multiplier].
int64_t channels_at(const ResNetOptions& o, int64_t side) {
  return channels_at_side(o.channels(), o.image_size(), o.max_multiplier(), side);
}

}  // namespace

void validate(const ResNetOptions& o) {
  check_gan_image_size(o.image_size());
  if (o.latent_dim() < 1 || o.channels() < 1 || o.max_multiplier() < 1 || o.num_classes() < 0 ||
      o.embedding_dim() < 1) {
    throw ConfigError("ResNet GAN: sizes must be positive.");
  }
  if (o.upsample() == Upsample::kTransposed) {
    throw ConfigError(
        "ResNet GAN: upsampling must resize (resize, bilinear, skip-bilinear or "
        "skip-bilinear-last), not transposed.");
  }
}

LinearConditionalBatchNorm2dImpl::LinearConditionalBatchNorm2dImpl(int64_t channels,
                                                                   int64_t condition_dim) {
  norm =
      register_module("norm", SyncBatchNorm2d(torch::nn::BatchNormOptions(channels).affine(false)));
  gain = register_module("gain", SNLinear(condition_dim, channels, /*bias=*/true, false));
  bias = register_module("bias", SNLinear(condition_dim, channels, /*bias=*/true, false));
  torch::NoGradGuard no_grad;
  for (auto& p : parameters()) p.zero_();
}

torch::Tensor LinearConditionalBatchNorm2dImpl::forward(const torch::Tensor& x,
                                                        const torch::Tensor& condition) {
  const int64_t channels = x.size(1);
  const torch::Tensor g = gain->forward(condition).view({-1, channels, 1, 1});  // [N,C,1,1]
  const torch::Tensor b = bias->forward(condition).view({-1, channels, 1, 1});
  return norm->forward(x) * (1 + g) + b;
}

torch::Tensor generator_condition(const torch::Tensor& z, const torch::Tensor& labels,
                                  int64_t latent_dim, torch::nn::Embedding embedding,
                                  const char* network) {
  TORCH_CHECK(z.dim() == 2 && z.size(1) == latent_dim, network, " generator expects z of shape [N,",
              latent_dim, "], got ", z.sizes());
  if (!embedding) return z;
  TORCH_CHECK(labels.defined() && labels.dim() == 1 && labels.size(0) == z.size(0), "conditional ",
              network, " generator expects labels of shape [", z.size(0), "]");
  return torch::cat({z, embedding->forward(labels)}, 1);
}

int64_t register_generator_embedding(torch::nn::Module& generator, torch::nn::Embedding& embedding,
                                     int64_t latent_dim, int64_t classes, int64_t embedding_dim) {
  if (classes == 0) return latent_dim;
  embedding = generator.register_module("embedding", torch::nn::Embedding(classes, embedding_dim));
  return latent_dim + embedding_dim;
}

ResNetUpBlockImpl::ResNetUpBlockImpl(int64_t in, int64_t out, int64_t condition_dim,
                                     Upsample upsample)
    : upsample(upsample) {
  norm0 = register_module("norm0", LinearConditionalBatchNorm2d(in, condition_dim));
  conv0 = register_module("conv0", SNConv2d(in, out, 3, 1, 1, /*bias=*/true, false));
  norm1 = register_module("norm1", LinearConditionalBatchNorm2d(out, condition_dim));
  conv1 = register_module("conv1", SNConv2d(out, out, 3, 1, 1, /*bias=*/true, false));
  shortcut = register_module("shortcut", SNConv2d(in, out, 1, 1, 0, /*bias=*/true, false));
}

torch::Tensor ResNetUpBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& condition) {
  // [N,in,H,W] -> [N,out,2H,2W]
  torch::Tensor h = conv0->forward(
      resize_twice(torch::relu(norm0->forward(x, condition)), branch_upsample(upsample)));
  h = conv1->forward(torch::relu(norm1->forward(h, condition)));
  return h + shortcut->forward(resize_twice(x, shortcut_upsample(upsample)));
}

ResNetDownBlockImpl::ResNetDownBlockImpl(int64_t in, int64_t out, bool downsample, bool first,
                                         bool spectral_norm)
    : downsample_(downsample), first_(first) {
  conv0_ = register_module("conv0", SNConv2d(in, out, 3, 1, 1, true, spectral_norm));
  conv1_ = register_module("conv1", SNConv2d(out, out, 3, 1, 1, true, spectral_norm));
  if (in != out || downsample) {
    shortcut_ = register_module("shortcut", SNConv2d(in, out, 1, 1, 0, true, spectral_norm));
  }
}

torch::Tensor ResNetDownBlockImpl::forward(const torch::Tensor& x) {
  // [N,in,H,W] -> [N,out,H/2,W/2] (H,W without downsampling)
  // The first block sees images, not activations: no relu in front (SNGAN's "optimised block").
  torch::Tensor h = conv0_->forward(first_ ? x : torch::relu(x));
  h = conv1_->forward(torch::relu(h));
  if (downsample_) h = pool(h);
  torch::Tensor skip = x;
  if (shortcut_) {
    // Pooling before the 1x1 convolution is the same map and 4x cheaper; SNGAN pools after it
    // except in the first block, which is the one at full size. Both commute exactly.
    skip = shortcut_->forward(downsample_ ? pool(x) : x);
  }
  return h + skip;
}

ResNetGeneratorImpl::ResNetGeneratorImpl(const ResNetOptions& options) : options_(options) {
  validate(options);
  const int64_t condition_dim = register_generator_embedding(
      *this, embedding_, options.latent_dim(), options.num_classes(), options.embedding_dim());
  const int64_t c4 = channels_at(options, 4);
  input_ = register_module("input", SNLinear(condition_dim, c4 * 16, /*bias=*/true, false));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (int64_t side = 4; side < options.image_size(); side *= 2) {
    const bool last_block = 2 * side == options.image_size();
    blocks_->push_back(ResNetUpBlock(channels_at(options, side), channels_at(options, 2 * side),
                                     condition_dim,
                                     block_upsample(options.upsample(), last_block)));
  }
  const int64_t last = channels_at(options, options.image_size());
  output_norm_ = register_module("output_norm", SyncBatchNorm2d(last));
  to_rgb_ = register_module("to_rgb", SNConv2d(last, 3, 3, 1, 1, /*bias=*/true, false));
}

torch::Tensor ResNetGeneratorImpl::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  const torch::Tensor condition =
      generator_condition(z, labels, options_.latent_dim(), embedding_, "ResNet");  // [N,D]
  const int64_t c4 = channels_at(options_, 4);
  torch::Tensor h = input_->forward(condition).view({-1, c4, 4, 4});
  for (const auto& block : *blocks_) h = block->as<ResNetUpBlock>()->forward(h, condition);
  h = to_rgb_->forward(torch::relu(output_norm_->forward(h)));  // [N,3,S,S]
  return torch::tanh(h);
}

ResNetDiscriminatorImpl::ResNetDiscriminatorImpl(const ResNetOptions& options) : options_(options) {
  validate(options);
  const bool sn = options.spectral_norm();
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  int64_t in = 3;
  for (int64_t side = options.image_size(); side > 4; side /= 2) {
    const int64_t out = channels_at(options, side);
    blocks_->push_back(ResNetDownBlock(in, out, /*downsample=*/true, /*first=*/in == 3, sn));
    in = out;
  }
  const int64_t extra = options.minibatch_stddev() ? 1 : 0;  // the stddev channel
  blocks_->push_back(ResNetDownBlock(in + extra, in, /*downsample=*/false, /*first=*/false, sn));
  output_ = register_module("output", SNLinear(in, 1, /*bias=*/true, sn));
  if (options.num_classes() > 0) {
    projection_ = register_module("projection", SNEmbedding(options.num_classes(), in, sn));
  }
}

ResNetDiscriminatorOutput ResNetDiscriminatorImpl::forward(const torch::Tensor& x,
                                                           const torch::Tensor& labels) {
  const int64_t s = options_.image_size();
  TORCH_CHECK(x.dim() == 4 && x.size(1) == 3 && x.size(2) == s && x.size(3) == s,
              "ResNet discriminator expects [N,3,", s, ",", s, "], got ", x.sizes());
  torch::Tensor h = x;
  const size_t last = blocks_->size() - 1;
  for (size_t i = 0; i < blocks_->size(); ++i) {
    if (i == last && options_.minibatch_stddev()) {
      // [N,C,4,4] -> [N,C+1,4,4]; per class when the labels say which samples belong together.
      h = projection_ ? minibatch_stddev(h, labels, options_.num_classes()) : minibatch_stddev(h);
    }
    h = blocks_[i]->as<ResNetDownBlock>()->forward(h);
  }
  h = torch::relu(h).sum({2, 3});  // [N,C]
  ResNetDiscriminatorOutput out;
  out.logits = output_->forward(h).squeeze(1);  // [N]
  if (projection_) {
    const ProjectedLogits p = project_onto_classes(
        out.logits, h, projection_table(projection_, options_.num_classes(), h.device()), labels,
        "ResNet");
    out.logits = p.logits;
    out.class_logits = p.class_logits;
  }
  return out;
}

}  // namespace skingan::models
