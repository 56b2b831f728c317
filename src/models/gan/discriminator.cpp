#include "models/gan/discriminator.h"

#include <torch/torch.h>

#include "core/error.h"
#include "models/gan/generator.h"
#include "models/gan/projection_head.h"

namespace skingan::models {
namespace {

// The options of a progressive, ResNet or FastGAN discriminator (their option structs name these
// alike).
template <typename FamilyOptions>
FamilyOptions family_options(const DiscriminatorOptions& o) {
  return FamilyOptions()
      .image_size(o.image_size())
      .channels(o.channels())
      .max_multiplier(o.max_multiplier())
      .num_classes(o.num_classes());
}

}  // namespace

void validate(const DiscriminatorOptions& o) {
  check_gan_image_size(o.image_size());
  if (o.channels() < 1 || o.max_multiplier() < 1) {
    throw ConfigError("discriminator: channels and max_multiplier must be positive.");
  }
  if ((o.head() != DiscriminatorHead::kUnconditional) != (o.num_classes() > 0)) {
    throw ConfigError("discriminator: a class head needs num_classes > 0, and no head needs 0.");
  }
  if (o.family() != NetworkFamily::kDcgan && o.head() == DiscriminatorHead::kAuxiliary) {
    throw ConfigError(
        "discriminator: progressive, ResNet and FastGAN discriminators have a projection head (or "
        "none).");
  }
  if (o.minibatch_stddev() && o.family() != NetworkFamily::kResNet) {
    throw ConfigError(
        "discriminator: minibatch_stddev is an option of the ResNet discriminator (the "
        "progressive one always has it).");
  }
  if (o.family() == NetworkFamily::kProgressive && o.spectral_norm()) {
    throw ConfigError(
        "discriminator: a progressive discriminator equalises its learning rate instead of "
        "spectral norm.");
  }
}

DiscriminatorImpl::DiscriminatorImpl(const DiscriminatorOptions& options) : options_(options) {
  validate(options);
  if (options.family() == NetworkFamily::kResNet) {
    resnet_ = register_module(
        "resnet", ResNetDiscriminator(family_options<ResNetOptions>(options)
                                          .spectral_norm(options.spectral_norm())
                                          .minibatch_stddev(options.minibatch_stddev())));
    return;
  }
  if (options.family() == NetworkFamily::kFastGan) {
    fastgan_ = register_module(
        "fastgan", FastGanDiscriminator(family_options<FastGanOptions>(options).spectral_norm(
                       options.spectral_norm())));
    return;
  }
  if (options.family() == NetworkFamily::kProgressive) {
    progressive_ = register_module(
        "progressive", ProgressiveDiscriminator(family_options<ProgressiveOptions>(options)));
    return;
  }
  const bool sn = options.spectral_norm();
  const bool bn = options.batch_norm() && !sn;
  convs_ = register_module("convs", torch::nn::ModuleList());
  norms_ = register_module("norms", torch::nn::ModuleList());
  int64_t channels = options.channels();
  // [N,3,S,S] -> [N,ndf,S/2,S/2]
  convs_->push_back(SNConv2d(3, channels, 4, 2, 1, /*bias=*/!bn, sn));
  for (int64_t side = options.image_size() / 2; side > 4; side /= 2) {
    const int64_t out = std::min(channels * 2, options.channels() * options.max_multiplier());
    // [N,c,side,side] -> [N,out,side/2,side/2]
    convs_->push_back(SNConv2d(channels, out, 4, 2, 1, /*bias=*/!bn, sn));
    if (bn) norms_->push_back(SyncBatchNorm2d(out));
    channels = out;
  }
  const int64_t features = channels * 16;
  output_ = register_module("output", SNLinear(features, 1, /*bias=*/true, sn));
  if (options.head() == DiscriminatorHead::kAuxiliary) {
    class_head_ =
        register_module("class_head", SNLinear(features, options.num_classes(), true, sn));
  } else if (options.head() == DiscriminatorHead::kProjection) {
    projection_ = register_module("projection", SNEmbedding(options.num_classes(), features, sn));
  }
  dcgan_init(*this);
}

DiscriminatorOutput DiscriminatorImpl::forward(const torch::Tensor& x, const torch::Tensor& labels,
                                               int64_t reconstruct_part) {
  if (progressive_) {
    ProgressiveDiscriminatorOutput p = progressive_->forward(x, labels);
    return {p.logits, p.class_logits, {}};
  }
  if (resnet_) {
    ResNetDiscriminatorOutput r = resnet_->forward(x, labels);
    return {r.logits, r.class_logits, {}};
  }
  if (fastgan_) {
    FastGanDiscriminatorOutput f = fastgan_->forward(x, labels, reconstruct_part);
    return {f.logits, f.class_logits, f.reconstruction_loss};
  }
  TORCH_CHECK(x.dim() == 4 && x.size(1) == 3 && x.size(2) == options_.image_size() &&
                  x.size(3) == options_.image_size(),
              "Discriminator expects [N,3,", options_.image_size(), ",", options_.image_size(),
              "], got ", x.sizes());
  torch::Tensor h = x;
  for (size_t i = 0; i < convs_->size(); ++i) {
    h = convs_[i]->as<SNConv2d>()->forward(h);
    if (i > 0 && !norms_->is_empty()) h = norms_[i - 1]->as<SyncBatchNorm2d>()->forward(h);
    h = torch::leaky_relu(h, 0.2);
  }
  h = h.flatten(1);  // [N,16C]
  DiscriminatorOutput out;
  out.logits = output_->forward(h).squeeze(1);  // [N]
  if (options_.head() == DiscriminatorHead::kAuxiliary) {
    out.class_logits = class_head_->forward(h);  // [N,K]
  } else if (options_.head() == DiscriminatorHead::kProjection) {
    const ProjectedLogits p = project_onto_classes(
        out.logits, h, projection_table(projection_, options_.num_classes(), h.device()), labels,
        "DCGAN");
    out.logits = p.logits;
    out.class_logits = p.class_logits;
  }
  return out;
}

}  // namespace skingan::models
