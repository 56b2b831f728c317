// Sizes that the GAN families derive from the image side (header-only; included by their .cpp
// files, so changing it rebuilds only those).
#pragma once

#include <algorithm>
#include <cstdint>

namespace skingan::models {

// log2 of a power of two (the image sides and feature-map sides).
inline int64_t log2_of(int64_t n) {
  int64_t k = 0;
  while ((int64_t{1} << k) < n) ++k;
  return k;
}

// Channels at side r of an S-pixel GAN of width `channels` (the ResNet and FastGAN plan):
// channels * S / (2r), in [1, channels * max_multiplier].
inline int64_t channels_at_side(int64_t channels, int64_t image_size, int64_t max_multiplier,
                                int64_t side) {
  return std::clamp<int64_t>(channels * image_size / (2 * side), 1, channels * max_multiplier);
}

}  // namespace skingan::models
