// How a generator doubles its feature maps' side (see models/gan/generator.h for why it matters).
#pragma once

#include <string>

namespace skingan::models {

enum class Upsample {
  kTransposed,  // 4x4 stride-2 transposed convolution (DCGAN, pytorch/examples)
  kResizeConv,  // nearest-neighbour x2, then a 3x3 convolution
};

// "transposed" | "resize"; ConfigError otherwise.
Upsample parse_upsample(const std::string& name);
std::string upsample_name(Upsample upsample);

}  // namespace skingan::models
