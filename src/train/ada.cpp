#include "train/ada.h"

#include <algorithm>

#include <torch/torch.h>

#include "core/error.h"

namespace skingan::train {

AdaController::AdaController(double target, int64_t kimg, int64_t batch_size, int64_t interval)
    : target_(target),
      step_size_(static_cast<double>(interval * batch_size) / (static_cast<double>(kimg) * 1000.0)),
      interval_(interval) {
  TORCH_CHECK(target > 0 && target < 1 && kimg > 0 && batch_size > 0 && interval > 0,
              "AdaController: target in (0,1), positive kimg, batch and interval");
}

void AdaController::observe(double sign_sum, int64_t count) {
  sign_sum_ += sign_sum;
  advance(count);
}

void AdaController::observe(const torch::Tensor& sign_sum, int64_t count) {
  // A sum of signs is a whole number, exact in float up to 2^24 and in double far beyond, so
  // adding on the device gives the same p as adding the host values.
  const torch::Tensor value = sign_sum.detach().to(torch::kDouble);
  pending_ = pending_.defined() ? pending_ + value : value;
  advance(count);
}

void AdaController::advance(int64_t count) {
  count_ += count;
  if (++steps_ < interval_) return;
  last_r_t_ = count_ > 0 ? interval_sign_sum() / static_cast<double>(count_) : 0.0;
  const double direction = last_r_t_ > target_ ? 1.0 : (last_r_t_ < target_ ? -1.0 : 0.0);
  p_ = std::clamp(p_ + direction * step_size_, 0.0, 1.0);
  sign_sum_ = 0;
  pending_ = torch::Tensor();
  count_ = 0;
  steps_ = 0;
}

double AdaController::interval_sign_sum() const {
  return sign_sum_ + (pending_.defined() ? pending_.item<double>() : 0.0);
}

torch::Tensor AdaController::state() const {
  return torch::tensor({p_, interval_sign_sum(), static_cast<double>(count_),
                        static_cast<double>(steps_), last_r_t_},
                       torch::kDouble);
}

void AdaController::load_state(const torch::Tensor& state) {
  const torch::Tensor s = state.to(torch::kCPU, torch::kDouble).contiguous();
  if (s.dim() != 1 || s.size(0) != 5) {
    throw CheckpointError("the checkpoint's ADA state has shape " + c10::str(s.sizes()) +
                          ", expected [5]; it was not written by this version of skingan.");
  }
  const double* v = s.data_ptr<double>();
  p_ = v[0];
  sign_sum_ = v[1];
  pending_ = torch::Tensor();
  count_ = static_cast<int64_t>(v[2]);
  steps_ = static_cast<int64_t>(v[3]);
  last_r_t_ = v[4];
}

}  // namespace skingan::train
