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
//
// Per class (`groups` > 1, --ada-per-class; skingan's extension, not in the paper): one p per
// class, each steered by the r_t of that class's real images. A conditional GAN trained with
// balanced sampling shows each of the 81 vasc images about 50 times as often as each nv image, so
// D memorises the small classes first while the pooled r_t, dominated by the others, stays low
// (p stayed at 0 in every ResNet run of docs/scores_ham10000.md section 17). Every class's p moves
// by the pooled step each interval: any p can still go from 0 to 1 within `kimg` thousand images.
// A class without real images in an interval keeps its p (no evidence either way).
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace skingan::train {

class AdaController {
 public:
  AdaController(double target, int64_t kimg, int64_t batch_size, int64_t interval = 4,
                int64_t groups = 1);

  // One training step of a pooled controller (groups 1): the sum of sign(D(x)) over its `count`
  // (augmented) real images (the trainer has it already for r_t).
  void observe(double sign_sum, int64_t count);
  // The same with the sum still on the device (a scalar tensor): the interval's sums add up
  // there and are read once per interval, so the steps in between never wait for the device.
  void observe(const torch::Tensor& sign_sum, int64_t count);
  // One training step of a per-class controller: sign sums and image counts per class, [groups]
  // each, on any device; read once per interval like the scalar sums above.
  void observe(const torch::Tensor& sign_sums, const torch::Tensor& counts);

  int64_t groups() const { return static_cast<int64_t>(p_.size()); }
  // The pooled p; per class, the mean of the classes' p (what metrics.jsonl's ada_p shows).
  double p() const;
  // One p per class (one value when pooled).
  const std::vector<double>& group_p() const { return p_; }
  // r_t of the last completed interval (0 before the first); per class, their mean.
  double last_r_t() const;
  const std::vector<double>& group_last_r_t() const { return last_r_t_; }

  // Everything resume needs, as a double tensor: [p, sign sum, count, steps, last r_t] pooled,
  // one such row per class ([groups,5]) with --ada-per-class.
  torch::Tensor state() const;
  // Throws CheckpointError for a tensor that is not a state() of a controller with as many
  // groups as this one.
  void load_state(const torch::Tensor& state);

 private:
  double target_, step_size_;
  int64_t interval_;
  // Ends an interval when it is complete.
  void advance();
  // The interval's sign sums and counts so far: the host values plus what is on the device.
  std::vector<double> interval_sums() const;
  std::vector<double> interval_counts() const;

  std::vector<double> p_, sign_sum_, count_, last_r_t_;  // [groups] each
  int64_t steps_ = 0;
  torch::Tensor pending_sums_, pending_counts_;  // double [groups] on the device, or undefined
};

}  // namespace skingan::train
