#include "models/gan/generator.h"

#include <torch/torch.h>

#include "core/error.h"
#include "models/gan/transposed_conv.h"

namespace skingan::models {
namespace {

// The options of a progressive, ResNet or FastGAN generator (their option structs name these
// alike).
template <typename FamilyOptions>
FamilyOptions family_options(const GeneratorOptions& o) {
  return FamilyOptions()
      .image_size(o.image_size())
      .latent_dim(o.latent_dim())
      .channels(o.channels())
      .max_multiplier(o.max_multiplier())
      .num_classes(o.num_classes())
      .embedding_dim(o.embedding_dim());
}

// The upsampling of the ResNet and FastGAN generators, whose blocks always resize:
// GeneratorOptions' default, transposed, is the DCGAN's (train-gan refuses --upsample transposed
// with --arch resnet and fastgan), so it means nearest-neighbour resizing here.
Upsample resizing_upsample(const GeneratorOptions& o) {
  return o.upsample() == Upsample::kTransposed ? Upsample::kResizeConv : o.upsample();
}

}  // namespace

void validate(const GeneratorOptions& o) {
  check_gan_image_size(o.image_size());
  if (o.latent_dim() < 1 || o.channels() < 1 || o.max_multiplier() < 1) {
    throw ConfigError("generator: latent_dim, channels and max_multiplier must be positive.");
  }
  if (o.family() != NetworkFamily::kDcgan && o.conditioning() != Conditioning::kNone &&
      o.conditioning() != Conditioning::kConcat) {
    throw ConfigError(
        "generator: progressive, ResNet and FastGAN generators take the class with z "
        "(conditioning kConcat) only.");
  }
  if (resizes_residual_shortcuts(o.upsample()) && o.family() != NetworkFamily::kResNet) {
    throw ConfigError("generator: upsampling " + upsample_name(o.upsample()) +
                      " resizes residual shortcuts, which only the ResNet generator has; use "
                      "resize or bilinear.");
  }
  if ((o.conditioning() != Conditioning::kNone) != (o.num_classes() > 0)) {
    throw ConfigError(
        "generator: a conditional generator needs num_classes > 0 and an "
        "unconditional one num_classes = 0.");
  }
}

GeneratorImpl::GeneratorImpl(const GeneratorOptions& options) : options_(options) {
  validate(options);
  if (options.family() == NetworkFamily::kResNet) {
    resnet_ = register_module(
        "resnet", ResNetGenerator(
                      family_options<ResNetOptions>(options).upsample(resizing_upsample(options))));
    return;
  }
  if (options.family() == NetworkFamily::kFastGan) {
    fastgan_ = register_module("fastgan",
                               FastGanGenerator(family_options<FastGanOptions>(options).upsample(
                                   resizing_upsample(options))));
    return;
  }
  if (options.family() == NetworkFamily::kProgressive) {
    progressive_ = register_module(
        "progressive", ProgressiveGenerator(family_options<ProgressiveOptions>(options)));
    return;
  }
  const int64_t size = options.image_size();
  auto channels_at = [&](int64_t side) {
    return options.channels() * std::min<int64_t>(size / (2 * side), options.max_multiplier());
  };
  int64_t in = options.latent_dim();
  if (options.conditioning() == Conditioning::kConcat) {
    embedding_ = register_module(
        "embedding", torch::nn::Embedding(options.num_classes(), options.embedding_dim()));
    in += options.embedding_dim();
  }
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  norms_ = register_module("norms", torch::nn::ModuleList());
  // [N,in,1,1] -> [N,c(4),4,4]
  blocks_->push_back(TransposedConv2d(in, channels_at(4), 4, /*stride=*/1, /*padding=*/0));
  for (int64_t side = 4; side < size; side *= 2) {
    const int64_t c = channels_at(side);
    if (options.conditioning() == Conditioning::kBatchNorm) {
      norms_->push_back(ConditionalBatchNorm2d(c, options.num_classes()));
    } else {
      norms_->push_back(SyncBatchNorm2d(c));
    }
    // [N,c(side),side,side] -> [N,c(2 side) or 3,2 side,2 side]
    const int64_t out = 2 * side == size ? 3 : channels_at(2 * side);
    if (options.upsample() != Upsample::kTransposed) {
      // [N,c,2 side,2 side] (after the x2 resize in forward) -> [N,out,2 side,2 side]
      blocks_->push_back(SNConv2d(c, out, 3, /*stride=*/1, /*padding=*/1, /*bias=*/false,
                                  /*spectral_norm=*/false));
    } else {
      blocks_->push_back(TransposedConv2d(c, out, 4, /*stride=*/2, /*padding=*/1));
    }
  }
  dcgan_init(*this);
}

torch::Tensor GeneratorImpl::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  if (progressive_) return progressive_->forward(z, labels);
  if (resnet_) return resnet_->forward(z, labels);
  if (fastgan_) return fastgan_->forward(z, labels);
  TORCH_CHECK(z.dim() == 2 && z.size(1) == options_.latent_dim(),
              "Generator expects z of shape [N,", options_.latent_dim(), "], got ", z.sizes());
  const bool conditional = options_.conditioning() != Conditioning::kNone;
  TORCH_CHECK(
      !conditional || (labels.defined() && labels.dim() == 1 && labels.size(0) == z.size(0)),
      "conditional Generator expects labels of shape [", z.size(0), "]");
  torch::Tensor h = z;
  if (options_.conditioning() == Conditioning::kConcat)
    h = torch::cat({h, embedding_->forward(labels)}, 1);
  h = h.view({h.size(0), h.size(1), 1, 1});
  for (size_t i = 0; i < blocks_->size(); ++i) {
    if (auto* conv = blocks_[i]->as<SNConv2d>()) {
      h = conv->forward(resize_twice(h, options_.upsample()));
    } else {
      h = blocks_[i]->as<TransposedConv2d>()->forward(h);
    }
    if (i + 1 == blocks_->size()) break;
    if (options_.conditioning() == Conditioning::kBatchNorm) {
      h = norms_[i]->as<ConditionalBatchNorm2d>()->forward(h, labels);
    } else {
      h = norms_[i]->as<SyncBatchNorm2d>()->forward(h);
    }
    h = torch::relu(h);
  }
  return torch::tanh(h);
}

}  // namespace skingan::models
