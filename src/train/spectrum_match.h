// A spectral term for the generator's loss: the distance between the log power spectrum of the
// generated batch and that of the real images of the same classes (in the spirit of Durall et al.
// 2020's spectral regularisation, which matched azimuthally integrated spectra). It exists for
// the fine mesh that nearest-neighbour upsampling leaves and the discriminator does not punish
// (docs/scores_ham10000.md 11: a 16x excess peak near Nyquist, with too little power elsewhere
// at high frequencies): the log makes a 16x excess and a 2x deficit both cost, at every
// frequency, whatever its share of the total power, which the adversarial loss alone does not.
//
// Spectra are per RGB channel (not the luma that `skingan score` measures its texture on, so the
// term does not optimise the score's figure directly): the image minus its mean, times a 2-D Hann
// window, |rfft2|^2 / S^2, averaged over the batch before the log (one image's periodogram is
// too noisy to match bin by bin).
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace skingan::train {

class SpectrumMatch {
 public:
  // images: uint8 [N,3,S,S] (any device), the real training images; labels: long [N] class
  // indices in [0, num_classes) (each class present at least once), or undefined for an
  // unconditional GAN (one reference over all images). The reference spectra are computed once
  // here, on `device`.
  SpectrumMatch(const torch::Tensor& images, const torch::Tensor& labels, int64_t num_classes,
                torch::Device device);

  // fake: [B,3,S,S] in [-1,1], with a graph back to G; labels: long [B] on the device (each
  // image's class) or undefined when unconditional. Returns the scalar
  //   mean over (channel, frequency) of smooth |log(P_fake + eps) - log(P_ref + eps)|
  // (Charbonnier's sqrt(d^2 + 0.05^2) - 0.05),
  // P_fake the batch's mean power spectrum and P_ref the mean of the real per-class spectra of
  // the batch's labels. In a data-parallel run (an active dist group) both means are over the
  // global batch (a differentiable all-reduce), so every rank gets the value of one process.
  torch::Tensor loss(const torch::Tensor& fake, const torch::Tensor& labels) const;

  // The reference: float [K,3,S,S/2+1] (K = num_classes, or 1 unconditional).
  const torch::Tensor& reference() const { return reference_; }

 private:
  torch::Tensor window_;     // float [S,S], the 2-D Hann window
  torch::Tensor reference_;  // float [K,3,S,S/2+1]
};

// Power spectra per image and channel: x float [B,3,S,S] -> [B,3,S,S/2+1], differentiable.
// window: [S,S] (eval::hann_window_2d).
torch::Tensor channel_power_spectra(const torch::Tensor& x, const torch::Tensor& window);

}  // namespace skingan::train
