// The TorchScript forward of a FastGAN generator (models/gan/fastgan.h): what
// generate/torchscript_export writes for `--arch fastgan` runs.
#pragma once

#include <string>

#include "models/gan/generator.h"

namespace skingan::generate {

// TorchScript source defining `up`, `cbn` and `forward(self, z[, labels]) -> Tensor` over
// attributes named like the generator's parameters and buffers with '.' replaced by '_'.
// BatchNorm uses the running statistics (evaluation mode), as skingan samples; the channel
// counts are written in as constants.
std::string fastgan_forward_source(const models::Generator& generator);

}  // namespace skingan::generate
