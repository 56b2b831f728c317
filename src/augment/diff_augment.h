// DiffAugment (Zhao et al. 2020): differentiable augmentations applied to both the real and the
// generated images the discriminator sees, so D cannot memorise a small training set while G
// still gets gradients through the augmentation. Policies: color (brightness, saturation,
// contrast), translation (shift by up to 1/8 of the side, zero fill), cutout (zero a square of
// half the side).
#pragma once

#include <string>

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include "augment/batch_shard.h"

namespace skingan::augment {

struct DiffAugmentPolicy {
  bool color = false;
  bool translation = false;
  bool cutout = false;
  double translation_ratio = 0.125;
  double cutout_ratio = 0.5;

  bool any() const { return color || translation || cutout; }
};

// "color,translation,cutout", any subset, or "" / "none". ConfigError for unknown names.
DiffAugmentPolicy parse_diff_augment(const std::string& text);
std::string to_string(const DiffAugmentPolicy& policy);

// x: float [N,C,H,W] in [-1,1] on any device -> same shape and device. Random parameters are
// drawn from `generator` (a CPU generator, so runs are reproducible on every device); every
// operation is differentiable with respect to x. `probability` < 1 (ADA, train/ada.h) applies
// each operation of the policy to each image independently with that probability; at 1 every
// image gets every operation (and no extra random numbers are drawn), at 0 x is returned as is.
// `shard`: x is rows [first, first + N) of a data-parallel run's global batch, whose parameters
// are all drawn (augment/batch_shard.h).
torch::Tensor diff_augment(const torch::Tensor& x, const DiffAugmentPolicy& policy,
                           at::Generator& generator, double probability = 1.0,
                           BatchShard shard = {});

// The same with a probability per image (ADA per class): `probability` float [N] on x's device,
// values in [0,1]. Every image's draws are made whatever its probability, so the random stream
// does not depend on the values.
torch::Tensor diff_augment(const torch::Tensor& x, const DiffAugmentPolicy& policy,
                           at::Generator& generator, const torch::Tensor& probability,
                           BatchShard shard = {});

}  // namespace skingan::augment
