#include "train/ada.h"

#include <algorithm>
#include <numeric>

#include <torch/torch.h>

#include "core/error.h"

namespace skingan::train {

namespace {

constexpr int64_t kStateColumns = 5;  // p, sign sum, count, steps, last r_t

double mean(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// A double [G] tensor on the host as a vector.
std::vector<double> host_values(const torch::Tensor& t) {
  const torch::Tensor h = t.to(torch::kCPU, torch::kDouble).contiguous();
  return {h.data_ptr<double>(), h.data_ptr<double>() + h.numel()};
}

// host + the device's pending values ([G] each; pending undefined: nothing pending).
std::vector<double> with_pending(std::vector<double> host, const torch::Tensor& pending) {
  if (!pending.defined()) return host;
  const std::vector<double> device = host_values(pending);
  for (size_t g = 0; g < host.size(); ++g) host[g] += device[g];
  return host;
}

}  // namespace

AdaController::AdaController(double target, int64_t kimg, int64_t batch_size, int64_t interval,
                             int64_t groups)
    : target_(target),
      step_size_(static_cast<double>(interval * batch_size) / (static_cast<double>(kimg) * 1000.0)),
      interval_(interval) {
  TORCH_CHECK(target > 0 && target < 1 && kimg > 0 && batch_size > 0 && interval > 0 && groups > 0,
              "AdaController: target in (0,1), positive kimg, batch, interval and groups");
  const auto g = static_cast<size_t>(groups);
  p_.assign(g, 0.0);
  sign_sum_.assign(g, 0.0);
  count_.assign(g, 0.0);
  last_r_t_.assign(g, 0.0);
}

double AdaController::p() const { return mean(p_); }
double AdaController::last_r_t() const { return mean(last_r_t_); }

void AdaController::observe(double sign_sum, int64_t count) {
  TORCH_CHECK(groups() == 1, "AdaController: a pooled observation for a per-class controller");
  sign_sum_[0] += sign_sum;
  count_[0] += static_cast<double>(count);
  advance();
}

void AdaController::observe(const torch::Tensor& sign_sum, int64_t count) {
  TORCH_CHECK(groups() == 1 && sign_sum.numel() == 1,
              "AdaController: a pooled observation for a per-class controller");
  // A sum of signs is a whole number, exact in float up to 2^24 and in double far beyond, so
  // adding on the device gives the same p as adding the host values.
  const torch::Tensor value = sign_sum.detach().to(torch::kDouble).reshape({1});
  pending_sums_ = pending_sums_.defined() ? pending_sums_ + value : value;
  count_[0] += static_cast<double>(count);
  advance();
}

void AdaController::observe(const torch::Tensor& sign_sums, const torch::Tensor& counts) {
  TORCH_CHECK(
      sign_sums.dim() == 1 && sign_sums.size(0) == groups() && counts.sizes() == sign_sums.sizes(),
      "AdaController: per-class sums and counts of shape [", groups(), "], got ", sign_sums.sizes(),
      " and ", counts.sizes());
  // Whole numbers again: the device sums equal the host ones.
  const torch::Tensor sums = sign_sums.detach().to(torch::kDouble);
  const torch::Tensor n = counts.detach().to(torch::kDouble);
  pending_sums_ = pending_sums_.defined() ? pending_sums_ + sums : sums;
  pending_counts_ = pending_counts_.defined() ? pending_counts_ + n : n;
  advance();
}

std::vector<double> AdaController::interval_sums() const {
  return with_pending(sign_sum_, pending_sums_);
}

std::vector<double> AdaController::interval_counts() const {
  return with_pending(count_, pending_counts_);
}

void AdaController::advance() {
  if (++steps_ < interval_) return;
  const std::vector<double> sums = interval_sums(), counts = interval_counts();
  for (size_t g = 0; g < p_.size(); ++g) {
    if (counts[g] <= 0) continue;  // no real image of this class in the interval
    last_r_t_[g] = sums[g] / counts[g];
    const double direction = last_r_t_[g] > target_ ? 1.0 : (last_r_t_[g] < target_ ? -1.0 : 0.0);
    p_[g] = std::clamp(p_[g] + direction * step_size_, 0.0, 1.0);
  }
  std::fill(sign_sum_.begin(), sign_sum_.end(), 0.0);
  std::fill(count_.begin(), count_.end(), 0.0);
  pending_sums_ = torch::Tensor();
  pending_counts_ = torch::Tensor();
  steps_ = 0;
}

torch::Tensor AdaController::state() const {
  const std::vector<double> sums = interval_sums(), counts = interval_counts();
  const int64_t g = groups();
  torch::Tensor s = torch::empty({g, kStateColumns}, torch::kDouble);
  for (int64_t i = 0; i < g; ++i) {
    const auto k = static_cast<size_t>(i);
    s[i] = torch::tensor({p_[k], sums[k], counts[k], static_cast<double>(steps_), last_r_t_[k]},
                         torch::kDouble);
  }
  // A pooled controller keeps the layout of checkpoints written before --ada-per-class.
  return g == 1 ? s[0].clone() : s;
}

void AdaController::load_state(const torch::Tensor& state) {
  const torch::Tensor s = state.to(torch::kCPU, torch::kDouble).contiguous();
  const int64_t g = groups();
  const bool fits = g == 1 ? (s.dim() == 1 && s.size(0) == kStateColumns)
                           : (s.dim() == 2 && s.size(0) == g && s.size(1) == kStateColumns);
  if (!fits) {
    const bool saved_per_class = s.dim() == 2;
    throw CheckpointError(
        "the checkpoint's ADA state has shape " + c10::str(s.sizes()) + ", expected " +
        (g == 1 ? std::string("[5] (one p for all classes)")
                : "[" + std::to_string(g) + ",5] (one p per class)") +
        (saved_per_class != (g > 1)
             ? std::string("; the run was trained ") + (saved_per_class ? "with" : "without") +
                   " --ada-per-class: resume it with the same setting."
             : "; it was not written by this version of skingan."));
  }
  const torch::Tensor rows = s.view({g, kStateColumns});
  for (int64_t i = 0; i < g; ++i) {
    const auto k = static_cast<size_t>(i);
    const double* v = rows[i].data_ptr<double>();
    p_[k] = v[0];
    sign_sum_[k] = v[1];
    count_[k] = v[2];
    last_r_t_[k] = v[4];
    steps_ = static_cast<int64_t>(v[3]);
  }
  pending_sums_ = torch::Tensor();
  pending_counts_ = torch::Tensor();
}

}  // namespace skingan::train
