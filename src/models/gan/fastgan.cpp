#include "models/gan/fastgan.h"

#include <algorithm>

#include <torch/torch.h>

#include "core/error.h"
#include "models/gan/projection_head.h"
#include "models/gan/side_plan.h"

namespace skingan::models {
namespace {

// Channels at side r in both networks (models/gan/side_plan.h).
int64_t channels_at(const FastGanOptions& o, int64_t side) {
  return channels_at_side(o.channels(), o.image_size(), o.max_multiplier(), side);
}

torch::Tensor lrelu(const torch::Tensor& x) { return torch::leaky_relu(x, 0.2); }

}  // namespace

void validate(const FastGanOptions& o) {
  check_gan_image_size(o.image_size());
  if (o.image_size() < 32) {
    throw ConfigError(describe_problem(
        "FastGAN image size", std::to_string(o.image_size()), "32 or more",
        "Its discriminator rebuilds images from 16x16 and 8x8 features; use --arch resnet for "
        "smaller images."));
  }
  if (o.latent_dim() < 1 || o.channels() < 1 || o.max_multiplier() < 1 || o.num_classes() < 0 ||
      o.embedding_dim() < 1) {
    throw ConfigError("FastGAN: sizes must be positive.");
  }
  if (o.upsample() == Upsample::kTransposed || resizes_residual_shortcuts(o.upsample())) {
    throw ConfigError(
        "FastGAN: upsampling must be resize or bilinear, not transposed (a checkerboard) or "
        "skip-bilinear(-last) (it has no residual shortcuts).");
  }
}

torch::Tensor quarter(const torch::Tensor& x, int64_t part) {
  TORCH_CHECK(part >= 0 && part < 4, "quarter: part must be 0..3, got ", part);
  const int64_t h = x.size(2) / 2, w = x.size(3) / 2;
  return x.slice(2, (part / 2) * h, (part / 2 + 1) * h)
      .slice(3, (part % 2) * w, (part % 2 + 1) * w);
}

FastGanUpBlockImpl::FastGanUpBlockImpl(int64_t in, int64_t out, int64_t condition_dim,
                                       Upsample upsample, bool second_conv)
    : upsample(upsample) {
  // Each convolution makes 2 out channels for the GLU to halve.
  conv0 = register_module("conv0", SNConv2d(in, 2 * out, 3, 1, 1, /*bias=*/false, false));
  norm0 = register_module("norm0", LinearConditionalBatchNorm2d(2 * out, condition_dim));
  if (second_conv) {
    conv1 = register_module("conv1", SNConv2d(out, 2 * out, 3, 1, 1, /*bias=*/false, false));
    norm1 = register_module("norm1", LinearConditionalBatchNorm2d(2 * out, condition_dim));
  }
}

torch::Tensor FastGanUpBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& condition) {
  // [N,in,H,W] -> [N,2 out,2H,2W] -> GLU -> [N,out,2H,2W]
  torch::Tensor h =
      torch::glu(norm0->forward(conv0->forward(resize_twice(x, upsample)), condition), 1);
  if (conv1) h = torch::glu(norm1->forward(conv1->forward(h), condition), 1);
  return h;
}

SkipLayerExcitationImpl::SkipLayerExcitationImpl(int64_t small_channels, int64_t big_channels) {
  squeeze =
      register_module("squeeze", SNConv2d(small_channels, big_channels, 4, 1, 0, true, false));
  excite = register_module("excite", SNConv2d(big_channels, big_channels, 1, 1, 0, true, false));
}

torch::Tensor SkipLayerExcitationImpl::gate(const torch::Tensor& small) {
  // [N,Cs,h,w] -> [N,Cs,4,4] -> [N,Cb,1,1]
  torch::Tensor g = squeeze->forward(torch::adaptive_avg_pool2d(small, {4, 4}));
  g = g * torch::sigmoid(g);  // swish
  return torch::sigmoid(excite->forward(g));
}

torch::Tensor SkipLayerExcitationImpl::forward(const torch::Tensor& small,
                                               const torch::Tensor& big) {
  return big * gate(small);
}

FastGanGeneratorImpl::FastGanGeneratorImpl(const FastGanOptions& options) : options_(options) {
  validate(options);
  const int64_t condition_dim = register_generator_embedding(
      *this, embedding_, options.latent_dim(), options.num_classes(), options.embedding_dim());
  const int64_t c4 = channels_at(options, 4);
  input_ = register_module("input", SNLinear(condition_dim, 2 * c4 * 16, /*bias=*/false, false));
  input_norm_ = register_module("input_norm", LinearConditionalBatchNorm2d(2 * c4, condition_dim));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  excitations_ = register_module("excitations", torch::nn::ModuleList());
  for (int64_t side = 8; side <= options.image_size(); side *= 2) {
    // Sides 8, 32, 128, ... (odd powers of two) get the second convolution.
    blocks_->push_back(FastGanUpBlock(channels_at(options, side / 2), channels_at(options, side),
                                      condition_dim, options.upsample(), log2_of(side) % 2 == 1));
    if (side >= 32) {
      excitations_->push_back(
          SkipLayerExcitation(channels_at(options, side / 8), channels_at(options, side)));
    }
  }
  to_rgb_ = register_module(
      "to_rgb", SNConv2d(channels_at(options, options.image_size()), 3, 3, 1, 1, true, false));
}

int64_t FastGanGeneratorImpl::excitation_source(int64_t block) const {
  const int64_t side = int64_t{8} << block;
  return side >= 32 ? side / 8 : 0;
}

torch::Tensor FastGanGeneratorImpl::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  const torch::Tensor condition =
      generator_condition(z, labels, options_.latent_dim(), embedding_, "FastGAN");  // [N,D]
  const int64_t c4 = channels_at(options_, 4);
  torch::Tensor h = input_->forward(condition).view({-1, 2 * c4, 4, 4});
  h = torch::glu(input_norm_->forward(h, condition), 1);  // [N,c4,4,4]
  // The maps by side (4, 8, 16, ...), kept for the excitations that read them 3 blocks later.
  std::vector<torch::Tensor> maps{h};
  size_t excitation = 0;
  for (int64_t i = 0; i < blocks(); ++i) {
    h = blocks_[static_cast<size_t>(i)]->as<FastGanUpBlock>()->forward(h, condition);
    if (const int64_t source = excitation_source(i); source > 0) {
      h = excitations_[excitation++]->as<SkipLayerExcitation>()->forward(
          maps[static_cast<size_t>(log2_of(source) - 2)], h);
    }
    maps.push_back(h);
  }
  return torch::tanh(to_rgb_->forward(h));  // [N,3,S,S]
}

FastGanDownBlockImpl::FastGanDownBlockImpl(int64_t in, int64_t out, bool spectral_norm) {
  conv0_ = register_module("conv0", SNConv2d(in, out, 4, 2, 1, /*bias=*/false, spectral_norm));
  norm0_ = register_module("norm0", SyncBatchNorm2d(out));
  conv1_ = register_module("conv1", SNConv2d(out, out, 3, 1, 1, /*bias=*/false, spectral_norm));
  norm1_ = register_module("norm1", SyncBatchNorm2d(out));
  direct_ = register_module("direct", SNConv2d(in, out, 1, 1, 0, /*bias=*/false, spectral_norm));
  norm_direct_ = register_module("norm_direct", SyncBatchNorm2d(out));
}

torch::Tensor FastGanDownBlockImpl::forward(const torch::Tensor& x) {
  // [N,in,H,W] -> [N,out,H/2,W/2]
  torch::Tensor main = lrelu(norm0_->forward(conv0_->forward(x)));
  main = lrelu(norm1_->forward(conv1_->forward(main)));
  // Pooling before the 1x1 convolution: the same map as after it, 4x cheaper.
  const torch::Tensor direct =
      lrelu(norm_direct_->forward(direct_->forward(torch::avg_pool2d(x, {2, 2}))));
  return (main + direct) / 2;
}

FastGanDecoderImpl::FastGanDecoderImpl(int64_t in, int64_t width, int64_t steps,
                                       bool spectral_norm) {
  convs_ = register_module("convs", torch::nn::ModuleList());
  norms_ = register_module("norms", torch::nn::ModuleList());
  for (int64_t i = 0; i < steps; ++i) {
    convs_->push_back(SNConv2d(i == 0 ? in : width, 2 * width, 3, 1, 1, false, spectral_norm));
    norms_->push_back(SyncBatchNorm2d(2 * width));
  }
  to_rgb_ = register_module("to_rgb", SNConv2d(width, 3, 3, 1, 1, true, spectral_norm));
}

torch::Tensor FastGanDecoderImpl::forward(const torch::Tensor& x) {
  // [N,in,8,8] -> per step [N,width,2H,2W] -> [N,3,8 2^steps,8 2^steps]
  torch::Tensor h = x;
  for (size_t i = 0; i < convs_->size(); ++i) {
    h = resize_twice(h, Upsample::kResizeConv);
    h = torch::glu(norms_[i]->as<SyncBatchNorm2d>()->forward(convs_[i]->as<SNConv2d>()->forward(h)),
                   1);
  }
  return torch::tanh(to_rgb_->forward(h));
}

FastGanDiscriminatorImpl::FastGanDiscriminatorImpl(const FastGanOptions& options)
    : options_(options) {
  validate(options);
  const bool sn = options.spectral_norm();
  const int64_t s = options.image_size();
  stem_ = register_module("stem", SNConv2d(3, channels_at(options, s), 3, 1, 1, true, sn));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (int64_t side = s; side > 4; side /= 2) {
    blocks_->push_back(
        FastGanDownBlock(channels_at(options, side), channels_at(options, side / 2), sn));
  }
  // 8x8 -> S/2: log2(S) - 4 doublings; width: the network's base width.
  const int64_t steps = log2_of(s) - 4, width = options.channels();
  decode_whole_ =
      register_module("decode_whole", FastGanDecoder(channels_at(options, 8), width, steps, sn));
  decode_part_ =
      register_module("decode_part", FastGanDecoder(channels_at(options, 16), width, steps, sn));
  const int64_t features = channels_at(options, 4);
  output_ = register_module("output", SNLinear(features, 1, /*bias=*/true, sn));
  if (options.num_classes() > 0) {
    projection_ = register_module("projection", SNEmbedding(options.num_classes(), features, sn));
  }
}

FastGanDiscriminatorOutput FastGanDiscriminatorImpl::forward(const torch::Tensor& x,
                                                             const torch::Tensor& labels,
                                                             int64_t reconstruct_part) {
  const int64_t s = options_.image_size();
  TORCH_CHECK(x.dim() == 4 && x.size(1) == 3 && x.size(2) == s && x.size(3) == s,
              "FastGAN discriminator expects [N,3,", s, ",", s, "], got ", x.sizes());
  torch::Tensor h = lrelu(stem_->forward(x));  // [N,C(S),S,S]
  torch::Tensor at16, at8;
  for (const auto& block : *blocks_) {
    h = block->as<FastGanDownBlock>()->forward(h);
    if (h.size(2) == 16) at16 = h;
    if (h.size(2) == 8) at8 = h;
  }
  h = h.sum({2, 3});  // [N,C(4)]
  FastGanDiscriminatorOutput out;
  out.logits = output_->forward(h).squeeze(1);  // [N]
  if (projection_) {
    const ProjectedLogits p = project_onto_classes(
        out.logits, h, projection_table(projection_, options_.num_classes(), h.device()), labels,
        "FastGAN");
    out.logits = p.logits;
    out.class_logits = p.class_logits;
  }
  if (reconstruct_part >= 0) {
    // The targets are what D was shown (augmented real images), at S/2: the whole image averaged
    // 2x2, and the quarter at full resolution. They carry no gradient (R1 may have asked for one).
    const torch::Tensor target = x.detach();
    const torch::Tensor whole = decode_whole_->forward(at8);  // [N,3,S/2,S/2]
    const torch::Tensor part = decode_part_->forward(quarter(at16, reconstruct_part));  // same
    out.reconstruction_loss = torch::mse_loss(whole, torch::avg_pool2d(target, {2, 2})) +
                              torch::mse_loss(part, quarter(target, reconstruct_part));
  }
  return out;
}

}  // namespace skingan::models
