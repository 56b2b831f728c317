#include "train/lecam.h"

#include <cmath>

#include <torch/torch.h>

#include "core/error.h"

namespace skingan::train {

LecamRegularizer::LecamRegularizer(torch::Device device, double decay)
    : device_(device), decay_(decay) {
  TORCH_CHECK(decay > 0 && decay < 1, "LecamRegularizer: decay in (0,1), got ", decay);
  const auto zero = torch::zeros({}, torch::dtype(torch::kDouble).device(device));
  ema_real_ = zero.clone();
  ema_fake_ = zero.clone();
}

torch::Tensor LecamRegularizer::anchor(const torch::Tensor& ema) const {
  if (updates_ == 0) return torch::Tensor();
  // An EMA started at 0 is biased towards 0 by decay^n; dividing by 1 - decay^n removes it.
  return ema / (1.0 - std::pow(decay_, static_cast<double>(updates_)));
}

torch::Tensor LecamRegularizer::loss(const torch::Tensor& real_logits,
                                     const torch::Tensor& fake_logits) const {
  if (updates_ == 0) return torch::zeros({}, real_logits.options());
  const torch::Tensor a_real = anchor_real().to(real_logits.scalar_type());
  const torch::Tensor a_fake = anchor_fake().to(real_logits.scalar_type());
  return torch::relu(real_logits - a_fake).pow(2).mean() +
         torch::relu(a_real - fake_logits).pow(2).mean();
}

void LecamRegularizer::observe(const torch::Tensor& real_mean, const torch::Tensor& fake_mean) {
  torch::NoGradGuard no_grad;
  auto move = [&](torch::Tensor& ema, const torch::Tensor& value) {
    ema = ema * decay_ + value.detach().to(device_, torch::kDouble).reshape({}) * (1.0 - decay_);
  };
  move(ema_real_, real_mean);
  move(ema_fake_, fake_mean);
  ++updates_;
}

torch::Tensor LecamRegularizer::state() const {
  return torch::stack({ema_real_.to(torch::kCPU), ema_fake_.to(torch::kCPU),
                       torch::tensor(static_cast<double>(updates_), torch::kDouble)});
}

void LecamRegularizer::load_state(const torch::Tensor& state) {
  const torch::Tensor s = state.to(torch::kCPU, torch::kDouble).contiguous();
  if (s.dim() != 1 || s.size(0) != 3 || !torch::isfinite(s).all().item<bool>() ||
      s[2].item<double>() < 0) {
    throw CheckpointError("the checkpoint's LeCam state has shape " + c10::str(s.sizes()) +
                          " or values that are not anchors, expected [3] finite values with a "
                          "count >= 0; it was not written by this version of skingan.");
  }
  ema_real_ = s[0].to(device_).clone();
  ema_fake_ = s[1].to(device_).clone();
  updates_ = static_cast<int64_t>(s[2].item<double>());
}

}  // namespace skingan::train
