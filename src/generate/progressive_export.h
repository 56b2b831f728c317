// The TorchScript forward of a progressive generator (models/gan/progressive.h) at the level it
// was trained to: what generate/torchscript_export writes for `--arch progan` runs.
#pragma once

#include <string>

#include "models/gan/generator.h"

namespace skingan::generate {

// TorchScript source defining `pn` (pixel norm) and `forward(self, z[, labels]) -> Tensor` over
// attributes named like the generator's parameters with '.' replaced by '_'. The level, the
// equalised-LR scales and the channel counts are written in as constants.
std::string progressive_forward_source(const models::Generator& generator);

}  // namespace skingan::generate
