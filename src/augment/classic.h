// Classic (non-generative) augmentation for classifier training, on tensors, a whole batch at
// once on the batch's device: random horizontal/vertical flips and 90-degree rotations (lesions
// have no canonical orientation), one affine resample combining a small rotation with a random
// resized crop (scale and aspect), and colour jitter (brightness, contrast, saturation, hue).
// Every random draw comes from the caller's CPU generator: seeded and resumable.
#pragma once

#include <string>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "augment/batch_shard.h"

namespace skingan::augment {

struct ClassicPolicy {
  bool flips = false;      // horizontal and vertical, p = 0.5 each
  bool rotate90 = false;   // k * 90 degrees, k uniform in 0..3
  double max_degrees = 0;  // extra rotation, uniform in +-max_degrees
  double min_scale = 1;    // random resized crop: area fraction in [min_scale, 1]
  double max_aspect = 1;   // ... and aspect ratio in [1/max_aspect, max_aspect]
  double brightness = 0, contrast = 0, saturation = 0;  // factors in 1 +- value
  double hue = 0;                                       // hue rotation in +-hue turns
  bool any() const;
};

// "none" or "classic" (flips, rot90, +-15 degrees, scale 0.75..1, aspect 3/4..4/3, brightness /
// contrast / saturation 0.2, hue 0.03). ConfigError for other names.
ClassicPolicy parse_classic_policy(const std::string& name);
std::string describe(const ClassicPolicy& policy);

// images: float [N,3,S,S] in [0,1] -> the same shape, augmented, in [0,1].
at::Tensor classic_augment(const at::Tensor& images, const ClassicPolicy& policy,
                           at::Generator& generator, BatchShard shard = {});

}  // namespace skingan::augment
