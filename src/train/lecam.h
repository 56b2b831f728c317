// LeCam regularisation of the discriminator (Tseng et al. 2021, "Regularizing Generative
// Adversarial Networks under Limited Data"): on a small training set D drives its scores on the
// real images ever further from those on fakes (it memorises them), and the generator then
// learns from a D that no longer generalises. The term pulls D's scores on real images towards
// the moving average of its scores on fakes, and those on fakes towards the moving average on
// real images, which bounds the divergence D can express (the paper's LeCam divergence):
//
//   R_LC = mean(relu(D(real) - anchor_fake)^2) + mean(relu(anchor_real - D(fake))^2)
//
// added to D's loss with a weight (0.3 in the paper's BigGAN runs on CIFAR with DiffAugment).
// The anchors are exponential moving averages (decay 0.99, as the paper) of the mean scores of
// the global batch, bias-corrected like Adam's moments so that the first updates do not pull
// towards 0. They stay on the device: no step waits for them.
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace skingan::train {

class LecamRegularizer {
 public:
  explicit LecamRegularizer(torch::Device device, double decay = 0.99);

  // R_LC on one D update's logits (any shape, real and fake), differentiable with respect to
  // them; a zero scalar before the first observe(), when there are no anchors yet.
  torch::Tensor loss(const torch::Tensor& real_logits, const torch::Tensor& fake_logits) const;
  // One D update's mean scores over the global batch (scalar tensors on the device).
  void observe(const torch::Tensor& real_mean, const torch::Tensor& fake_mean);

  // The bias-corrected anchors (double scalars on the device; undefined before observe()).
  torch::Tensor anchor_real() const { return anchor(ema_real_); }
  torch::Tensor anchor_fake() const { return anchor(ema_fake_); }

  // Everything resume needs, as a double tensor [ema real, ema fake, updates] on the CPU.
  torch::Tensor state() const;
  // Throws CheckpointError for a tensor that is not a state().
  void load_state(const torch::Tensor& state);

 private:
  torch::Tensor anchor(const torch::Tensor& ema) const;

  torch::Device device_;
  double decay_;
  torch::Tensor ema_real_, ema_fake_;  // double scalars on device_, uncorrected
  int64_t updates_ = 0;
};

}  // namespace skingan::train
