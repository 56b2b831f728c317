#include "models/gan/upsample.h"

#include <torch/torch.h>

#include "core/error.h"

namespace skingan::models {

Upsample parse_upsample(const std::string& name) {
  if (name == "transposed") return Upsample::kTransposed;
  if (name == "resize") return Upsample::kResizeConv;
  if (name == "bilinear") return Upsample::kBilinear;
  throw ConfigError(
      describe_problem("--upsample", "'" + name + "'", "transposed, resize or bilinear", ""));
}

std::string upsample_name(Upsample upsample) {
  switch (upsample) {
    case Upsample::kResizeConv:
      return "resize";
    case Upsample::kBilinear:
      return "bilinear";
    case Upsample::kTransposed:
      break;
  }
  return "transposed";
}

at::Tensor resize_twice(const at::Tensor& x, Upsample upsample) {
  TORCH_CHECK(upsample != Upsample::kTransposed, "resize_twice: transposed is not a resize");
  const std::vector<int64_t> size = {2 * x.size(2), 2 * x.size(3)};
  if (upsample == Upsample::kBilinear) {
    return torch::upsample_bilinear2d(x, size, /*align_corners=*/false);
  }
  return torch::upsample_nearest2d(x, size);
}

std::string resize_twice_script(const std::string& input, Upsample upsample) {
  TORCH_CHECK(upsample != Upsample::kTransposed, "resize_twice_script: transposed is not a resize");
  const std::string size = "[2 * " + input + ".size(2), 2 * " + input + ".size(3)]";
  if (upsample == Upsample::kBilinear) {
    return "torch.upsample_bilinear2d(" + input + ", " + size + ", False, None, None)";
  }
  return "torch.upsample_nearest2d(" + input + ", " + size + ")";
}

}  // namespace skingan::models
