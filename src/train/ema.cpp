#include "train/ema.h"

#include <algorithm>

#include <torch/torch.h>

namespace skingan::train {

GeneratorEma::GeneratorEma(models::Generator& source, double decay, torch::Device device)
    : ema_(source->options()), decay_(decay) {
  ema_->to(device);
  ema_->eval();
  for (auto& p : ema_->parameters()) p.set_requires_grad(false);
  blend(source, 0.0);  // start as an exact copy
}

void GeneratorEma::update(models::Generator& source, int64_t step) {
  blend(source,
        std::min(decay_, (1.0 + static_cast<double>(step)) / (10.0 + static_cast<double>(step))));
}

void GeneratorEma::blend(models::Generator& source, double keep) {
  torch::NoGradGuard no_grad;
  const auto from = source->parameters();
  const auto to = ema_->parameters();
  for (size_t i = 0; i < from.size(); ++i) {
    if (keep == 0.0) {
      to[i].copy_(from[i]);
    } else {
      to[i].mul_(keep).add_(from[i], 1.0 - keep);
    }
  }
  const auto from_buffers = source->buffers();
  const auto to_buffers = ema_->buffers();
  for (size_t i = 0; i < from_buffers.size(); ++i) to_buffers[i].copy_(from_buffers[i]);
}

}  // namespace skingan::train
