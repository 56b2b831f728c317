// Adaptive discriminator augmentation (Karras et al. 2020, StyleGAN2-ADA, section 3): the
// probability p with which each image the discriminator sees is augmented, steered by the
// overfitting heuristic r_t = E[sign(D(real))]. When D starts to memorise the training images its
// outputs on them all turn positive (r_t -> 1), so p rises until r_t sits near the target; when D
// generalises, p falls and the augmentations stop costing fidelity.
//
// Every `interval` steps: p += sign(r_t - target) * images_seen / (kimg * 1000), clamped to [0,1],
// where r_t is the mean sign over the real logits of those steps and images_seen = interval *
// batch. The paper uses target 0.6, interval 4 and 500 kimg; skingan's runs are a few hundred
// thousand images at most, so the default speed is 100 kimg (p can reach 1 within one run).
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace skingan::train {

class AdaController {
 public:
  AdaController(double target, int64_t kimg, int64_t batch_size, int64_t interval = 4);

  // One training step: the sum of sign(D(x)) over its `count` (augmented) real images (the
  // trainer has it already for r_t).
  void observe(double sign_sum, int64_t count);
  // The same with the sum still on the device (a scalar tensor): the interval's sums add up
  // there and are read once per interval, so the steps in between never wait for the device.
  void observe(const torch::Tensor& sign_sum, int64_t count);
  double p() const { return p_; }
  // r_t of the last completed interval (0 before the first).
  double last_r_t() const { return last_r_t_; }

  // Everything resume needs, as a double tensor [p, sign sum, count, steps, last r_t].
  torch::Tensor state() const;
  // Throws CheckpointError for a tensor that is not a state().
  void load_state(const torch::Tensor& state);

 private:
  double target_, step_size_;
  int64_t interval_;
  // Ends an interval when it is complete.
  void advance(int64_t count);
  // The interval's sign sum so far: sign_sum_ plus what is still on the device.
  double interval_sign_sum() const;

  double p_ = 0, sign_sum_ = 0, last_r_t_ = 0;
  int64_t count_ = 0, steps_ = 0;
  torch::Tensor pending_;  // double scalar on the device, or undefined
};

}  // namespace skingan::train
