#include "models/gan/progressive.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "core/error.h"
#include "models/gan/layers.h"
#include "models/gan/projection_head.h"
#include "models/gan/side_plan.h"

namespace skingan::models {
namespace {

void validate(const ProgressiveOptions& o) {
  check_gan_image_size(o.image_size());
  if (o.latent_dim() < 1 || o.channels() < 1 || o.max_multiplier() < 1 || o.num_classes() < 0 ||
      o.embedding_dim() < 1) {
    throw ConfigError("progressive GAN: sizes must be positive.");
  }
}

// Channels at resolution 2^k: channels * S / 2^(k+1) (the DCGAN's widths), capped.
int64_t channels_at(const ProgressiveOptions& o, int64_t k) {
  const int64_t c = o.channels() * o.image_size() / (int64_t{2} << k);
  return std::clamp<int64_t>(c, 1, o.channels() * o.max_multiplier());
}

torch::Tensor lrelu(const torch::Tensor& x) { return torch::leaky_relu(x, 0.2); }

torch::Tensor up(const torch::Tensor& x, int64_t factor) {
  if (factor == 1) return x;
  return torch::upsample_nearest2d(x, {x.size(2) * factor, x.size(3) * factor});
}

torch::Tensor down(const torch::Tensor& x, int64_t factor) {
  if (factor == 1) return x;
  return torch::avg_pool2d(x, {factor, factor});
}

// a + (b - a) * alpha
torch::Tensor lerp(const torch::Tensor& a, const torch::Tensor& b, double alpha) {
  return a + (b - a) * alpha;
}

// Two 3x3 equalised convolutions, each followed by LeakyReLU (and pixel norm in the generator).
class ConvPairImpl : public torch::nn::Module {
 public:
  ConvPairImpl(int64_t in, int64_t middle, int64_t out)
      : conv0(register_module("conv0", EqualizedConv2d(in, middle, 3))),
        conv1(register_module("conv1", EqualizedConv2d(middle, out, 3))) {}
  torch::Tensor forward(const torch::Tensor& x, bool normalise) {
    torch::Tensor h = lrelu(conv0->forward(x));
    if (normalise) h = pixel_norm(h);
    h = lrelu(conv1->forward(h));
    return normalise ? pixel_norm(h) : h;
  }
  EqualizedConv2d conv0, conv1;
};
TORCH_MODULE(ConvPair);

}  // namespace

GrowthStage growth_stage(double level, int64_t image_size) {
  const double top = static_cast<double>(log2_of(image_size));
  const double clamped = std::clamp(level, 2.0, top);
  GrowthStage s;
  s.resolution_log2 = static_cast<int64_t>(std::floor(clamped));
  s.alpha = clamped - static_cast<double>(s.resolution_log2);
  return s;
}

torch::Tensor fade_images(const torch::Tensor& x, double level) {
  TORCH_CHECK(x.dim() == 4 && x.size(2) == x.size(3), "fade_images expects [N,C,S,S], got ",
              x.sizes());
  const int64_t size = x.size(2);
  const GrowthStage s = growth_stage(level, size);
  const int64_t drawn = s.side();
  torch::Tensor h = down(x, size / drawn);  // [N,C,drawn,drawn]
  if (s.alpha > 0) h = lerp(up(down(h, 2), 2), h, s.alpha);
  return up(h, size / drawn);
}

ProgressiveModule::ProgressiveModule(const ProgressiveOptions& options) : options_(options) {
  validate(options);
  level_ = register_buffer("level", torch::full({1}, 2.0));
}

void ProgressiveModule::set_level(double level) {
  torch::NoGradGuard no_grad;
  level_.fill_(level);
  // The buffer is float: cache what it holds, not the double asked for.
  cache_ = {level_.data_ptr(), level_._version(), static_cast<double>(static_cast<float>(level))};
}

double ProgressiveModule::level() const {
  if (level_.data_ptr() == cache_.data && level_._version() == cache_.version) return cache_.value;
  const double value = level_.item<double>();
  cache_ = {level_.data_ptr(), level_._version(), value};
  return value;
}

ProgressiveGeneratorImpl::ProgressiveGeneratorImpl(const ProgressiveOptions& options)
    : ProgressiveModule(options) {
  const int64_t top = log2_of(options.image_size());
  int64_t in = options.latent_dim();
  if (options.num_classes() > 0) {
    embedding_ = register_module(
        "embedding", torch::nn::Embedding(options.num_classes(), options.embedding_dim()));
    in += options.embedding_dim();
  }
  const int64_t c4 = channels_at(options, 2);
  // The authors' gain for the 4x4 dense layer: sqrt(2)/4, as its output is reshaped to 16 pixels.
  input_ = register_module("input", EqualizedLinear(in, c4 * 16, kHeGain / 4));
  base_conv_ = register_module("base_conv", EqualizedConv2d(c4, c4, 3));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  to_rgb_ = register_module("to_rgb", torch::nn::ModuleList());
  for (int64_t k = 2; k <= top; ++k) {
    const int64_t c = channels_at(options, k);
    if (k > 2) blocks_->push_back(ConvPair(channels_at(options, k - 1), c, c));
    to_rgb_->push_back(EqualizedConv2d(c, 3, 1, /*gain=*/1.0));
  }
}

torch::Tensor ProgressiveGeneratorImpl::synthesize(const torch::Tensor& z,
                                                   const torch::Tensor& labels,
                                                   const GrowthStage& stage) {
  TORCH_CHECK(z.dim() == 2 && z.size(1) == options_.latent_dim(),
              "ProgressiveGenerator expects z of shape [N,", options_.latent_dim(), "], got ",
              z.sizes());
  torch::Tensor h = pixel_norm(z);
  if (options_.num_classes() > 0) {
    TORCH_CHECK(labels.defined() && labels.dim() == 1 && labels.size(0) == z.size(0),
                "conditional ProgressiveGenerator expects labels of shape [", z.size(0), "]");
    // Both halves at unit RMS (as StyleGAN2-ADA conditions its mapping network): an embedding
    // free to grow would outweigh z after the next pixel norm, and the generator would ignore z.
    h = torch::cat({h, pixel_norm(embedding_->forward(labels))}, 1);
  }
  const int64_t c4 = channels_at(options_, 2);
  h = pixel_norm(lrelu(input_->forward(h)).view({z.size(0), c4, 4, 4}));  // [N,c4,4,4]
  h = pixel_norm(lrelu(base_conv_->forward(h)));
  for (int64_t k = 3; k <= stage.resolution_log2; ++k) {
    h = blocks_[k - 3]->as<ConvPair>()->forward(up(h, 2), /*normalise=*/true);  // [N,c,2^k,2^k]
  }
  const int64_t r = stage.resolution_log2;
  torch::Tensor rgb = to_rgb_[r - 2]->as<EqualizedConv2d>()->forward(h);  // [N,3,2^r,2^r]
  if (stage.alpha > 0) {
    const torch::Tensor next = blocks_[r - 2]->as<ConvPair>()->forward(up(h, 2), true);
    rgb = lerp(up(rgb, 2), to_rgb_[r - 1]->as<EqualizedConv2d>()->forward(next), stage.alpha);
  }
  return rgb;
}

torch::Tensor ProgressiveGeneratorImpl::forward(const torch::Tensor& z,
                                                const torch::Tensor& labels) {
  const torch::Tensor rgb = synthesize(z, labels, growth_stage(level(), options_.image_size()));
  return torch::tanh(up(rgb, options_.image_size() / rgb.size(2)));
}

ProgressiveDiscriminatorImpl::ProgressiveDiscriminatorImpl(const ProgressiveOptions& options)
    : ProgressiveModule(options) {
  const int64_t top = log2_of(options.image_size());
  from_rgb_ = register_module("from_rgb", torch::nn::ModuleList());
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (int64_t k = 2; k <= top; ++k) {
    const int64_t c = channels_at(options, k);
    from_rgb_->push_back(EqualizedConv2d(3, c, 1));
    if (k > 2) blocks_->push_back(ConvPair(c, c, channels_at(options, k - 1)));
  }
  const int64_t c4 = channels_at(options, 2);
  final_conv_ = register_module("final_conv", EqualizedConv2d(c4 + 1, c4, 3));
  final_linear_ = register_module("final_linear", EqualizedLinear(c4 * 16, c4));
  output_ = register_module("output", EqualizedLinear(c4, 1, /*gain=*/1.0));
  if (options.num_classes() > 0) {
    projection_ = register_parameter("projection", torch::randn({options.num_classes(), c4}));
  }
}

ProgressiveDiscriminatorOutput ProgressiveDiscriminatorImpl::forward(const torch::Tensor& x,
                                                                     const torch::Tensor& labels) {
  const int64_t size = options_.image_size();
  TORCH_CHECK(x.dim() == 4 && x.size(1) == 3 && x.size(2) == size && x.size(3) == size,
              "ProgressiveDiscriminator expects [N,3,", size, ",", size, "], got ", x.sizes());
  const GrowthStage s = growth_stage(level(), size);
  return judge(down(x, size / s.side()), labels, s);
}

ProgressiveDiscriminatorOutput ProgressiveDiscriminatorImpl::judge(const torch::Tensor& x,
                                                                   const torch::Tensor& labels,
                                                                   const GrowthStage& stage) {
  const int64_t r = stage.resolution_log2;
  torch::Tensor h;
  if (stage.alpha > 0) {
    // The new resolution's path, then the old one's on the pooled input, blended.
    const torch::Tensor high = blocks_[r - 2]->as<ConvPair>()->forward(
        lrelu(from_rgb_[r - 1]->as<EqualizedConv2d>()->forward(x)), /*normalise=*/false);
    const torch::Tensor low = lrelu(from_rgb_[r - 2]->as<EqualizedConv2d>()->forward(down(x, 2)));
    h = lerp(low, down(high, 2), stage.alpha);  // [N,c(r),2^r,2^r]
  } else {
    h = lrelu(from_rgb_[r - 2]->as<EqualizedConv2d>()->forward(x));
  }
  for (int64_t k = r; k >= 3; --k) {
    h = down(blocks_[k - 3]->as<ConvPair>()->forward(h, false), 2);  // [N,c(k-1),2^(k-1),..]
  }
  const bool conditional = options_.num_classes() > 0;
  TORCH_CHECK(
      !conditional || (labels.defined() && labels.dim() == 1 && labels.size(0) == x.size(0)),
      "conditional ProgressiveDiscriminator expects labels of shape [", x.size(0), "]");
  // [N,c4+1,4,4]: the variety within each sample's class for a conditional D (see
  // minibatch_stddev), within groups of 4 otherwise.
  h = conditional ? minibatch_stddev(h, labels, options_.num_classes()) : minibatch_stddev(h);
  h = lrelu(final_conv_->forward(h));               // [N,c4,4,4]
  h = lrelu(final_linear_->forward(h.flatten(1)));  // [N,c4]
  ProgressiveDiscriminatorOutput out;
  out.logits = output_->forward(h).squeeze(1);  // [N]
  if (conditional) {
    // The projection table, equalised like the other weights: [K,c4].
    const ProjectedLogits p =
        project_onto_classes(out.logits, h, projection_ / std::sqrt(static_cast<double>(h.size(1))),
                             labels, "progressive");
    out.logits = p.logits;
    out.class_logits = p.class_logits;
  }
  return out;
}

}  // namespace skingan::models
