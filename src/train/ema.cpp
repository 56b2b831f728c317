#include "train/ema.h"

#include <algorithm>

#include <torch/torch.h>

namespace skingan::train {

GeneratorEma::GeneratorEma(models::Generator& source, double decay, torch::Device device)
    : ema_(source->options()), decay_(decay) {
  ema_->to(device);
  ema_->eval();
  for (auto& p : ema_->parameters()) p.set_requires_grad(false);
  torch::NoGradGuard no_grad;
  const auto from = source->parameters();
  const auto to = ema_->parameters();
  for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  const auto from_buffers = source->buffers();
  const auto to_buffers = ema_->buffers();
  for (size_t i = 0; i < from_buffers.size(); ++i) to_buffers[i].copy_(from_buffers[i]);
}

void GeneratorEma::update(models::Generator& source, int64_t step) {
  torch::NoGradGuard no_grad;
  const double d =
      std::min(decay_, (1.0 + static_cast<double>(step)) / (10.0 + static_cast<double>(step)));
  const auto from = source->parameters();
  const auto to = ema_->parameters();
  for (size_t i = 0; i < from.size(); ++i) to[i].mul_(d).add_(from[i], 1.0 - d);
  const auto from_buffers = source->buffers();
  const auto to_buffers = ema_->buffers();
  for (size_t i = 0; i < from_buffers.size(); ++i) to_buffers[i].copy_(from_buffers[i]);
}

}  // namespace skingan::train
