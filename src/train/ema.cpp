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
  auto to = ema_->parameters();
  if (keep == 0.0) {
    for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  } else {
    // Multi-tensor ops: on CUDA one kernel launch per chunk of tensors instead of two per
    // parameter (a ResNet generator has over a hundred; launching them one by one is part of
    // what bounds its GPU step, docs/gpu_h100.md). On the CPU they loop over the tensors with
    // the same per-tensor arithmetic as mul_ then add_, so results are bit-identical.
    at::_foreach_mul_(to, keep);
    at::_foreach_add_(to, from, 1.0 - keep);
  }
  const auto from_buffers = source->buffers();
  const auto to_buffers = ema_->buffers();
  for (size_t i = 0; i < from_buffers.size(); ++i) to_buffers[i].copy_(from_buffers[i]);
}

}  // namespace skingan::train
