#include "models/gan/layers.h"

#include <torch/torch.h>

#include "core/error.h"

namespace skingan::models {

SNConv2dImpl::SNConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
                           bool bias, bool spectral_norm)
    : stride_(stride), padding_(padding), spectral_norm_(spectral_norm) {
  weight = register_parameter("weight", torch::empty({out, in, kernel, kernel}));
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias) this->bias = register_parameter("bias", torch::zeros({out}));
  if (spectral_norm) sn_ = SpectralNorm(*this, "weight", out, in * kernel * kernel);
}

torch::Tensor SNConv2dImpl::forward(const torch::Tensor& x) {
  const torch::Tensor w = spectral_norm_ ? sn_.normalize(weight, is_training()) : weight;
  return torch::conv2d(x, w, bias, stride_, padding_);
}

SNLinearImpl::SNLinearImpl(int64_t in, int64_t out, bool bias, bool spectral_norm)
    : spectral_norm_(spectral_norm) {
  weight = register_parameter("weight", torch::empty({out, in}));
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias) this->bias = register_parameter("bias", torch::zeros({out}));
  if (spectral_norm) sn_ = SpectralNorm(*this, "weight", out, in);
}

torch::Tensor SNLinearImpl::forward(const torch::Tensor& x) {
  const torch::Tensor w = spectral_norm_ ? sn_.normalize(weight, is_training()) : weight;
  return torch::linear(x, w, bias);
}

SNEmbeddingImpl::SNEmbeddingImpl(int64_t classes, int64_t dim, bool spectral_norm)
    : spectral_norm_(spectral_norm) {
  weight = register_parameter("weight", torch::randn({classes, dim}) * 0.02);
  if (spectral_norm) sn_ = SpectralNorm(*this, "weight", classes, dim);
}

torch::Tensor SNEmbeddingImpl::forward(const torch::Tensor& labels) {
  const torch::Tensor w = spectral_norm_ ? sn_.normalize(weight, is_training()) : weight;
  return torch::embedding(w, labels);
}

ConditionalBatchNorm2dImpl::ConditionalBatchNorm2dImpl(int64_t channels, int64_t classes) {
  norm_ =
      register_module("norm", SyncBatchNorm2d(torch::nn::BatchNormOptions(channels).affine(false)));
  gamma_ = register_module("gamma", torch::nn::Embedding(classes, channels));
  beta_ = register_module("beta", torch::nn::Embedding(classes, channels));
  torch::nn::init::zeros_(gamma_->weight);
  torch::nn::init::zeros_(beta_->weight);
}

torch::Tensor ConditionalBatchNorm2dImpl::forward(const torch::Tensor& x,
                                                  const torch::Tensor& labels) {
  const auto channels = x.size(1);
  const torch::Tensor gamma = gamma_->forward(labels).view({-1, channels, 1, 1});
  const torch::Tensor beta = beta_->forward(labels).view({-1, channels, 1, 1});
  return norm_->forward(x) * (1 + gamma) + beta;
}

void check_gan_image_size(int64_t s) {
  if (s < 8 || s > 1024 || (s & (s - 1)) != 0) {
    throw ConfigError(describe_problem("image size " + std::to_string(s),
                                       "not a power of two in 8..1024",
                                       "32, 64 or 128 (prepare the set with --size 64, say)", ""));
  }
}

void dcgan_init(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& child : module.modules(/*include_self=*/false)) {
    const std::string name = child->name();
    for (auto& param : child->named_parameters(/*recurse=*/false)) {
      const bool is_norm = name.find("BatchNorm") != std::string::npos;
      if (param.key() == "bias") {
        param.value().zero_();
      } else if (param.key() == "weight" && name.find("Embedding") == std::string::npos) {
        if (is_norm) {
          param.value().normal_(1.0, 0.02);
        } else {
          param.value().normal_(0.0, 0.02);
        }
      }
    }
  }
}

void use_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  auto convert = [](torch::Tensor& t) {
    if (t.defined() && t.dim() == 4) t.set_data(t.contiguous(torch::MemoryFormat::ChannelsLast));
  };
  for (auto& p : module.parameters()) convert(p);
  for (auto& b : module.buffers()) convert(b);
}

}  // namespace skingan::models
