#include "models/gan/upsample.h"

#include <torch/torch.h>

#include "core/error.h"

namespace skingan::models {

Upsample parse_upsample(const std::string& name) {
  if (name == "transposed") return Upsample::kTransposed;
  if (name == "resize") return Upsample::kResizeConv;
  if (name == "bilinear") return Upsample::kBilinear;
  if (name == "skip-bilinear") return Upsample::kSkipBilinear;
  if (name == "skip-bilinear-last") return Upsample::kSkipBilinearLast;
  throw ConfigError(
      describe_problem("--upsample", "'" + name + "'",
                       "transposed, resize, bilinear, skip-bilinear or skip-bilinear-last", ""));
}

std::string upsample_name(Upsample upsample) {
  switch (upsample) {
    case Upsample::kResizeConv:
      return "resize";
    case Upsample::kBilinear:
      return "bilinear";
    case Upsample::kSkipBilinear:
      return "skip-bilinear";
    case Upsample::kSkipBilinearLast:
      return "skip-bilinear-last";
    case Upsample::kTransposed:
      break;
  }
  return "transposed";
}

bool resizes_residual_shortcuts(Upsample upsample) {
  return upsample == Upsample::kSkipBilinear || upsample == Upsample::kSkipBilinearLast;
}

Upsample block_upsample(Upsample upsample, bool last_block) {
  if (upsample != Upsample::kSkipBilinearLast) return upsample;
  return last_block ? Upsample::kBilinear : Upsample::kSkipBilinear;
}

Upsample branch_upsample(Upsample upsample) {
  TORCH_CHECK(upsample != Upsample::kSkipBilinearLast,
              "branch_upsample: skip-bilinear-last differs by block (block_upsample first)");
  return upsample == Upsample::kSkipBilinear ? Upsample::kResizeConv : upsample;
}

Upsample shortcut_upsample(Upsample upsample) {
  TORCH_CHECK(upsample != Upsample::kSkipBilinearLast,
              "shortcut_upsample: skip-bilinear-last differs by block (block_upsample first)");
  return upsample == Upsample::kSkipBilinear ? Upsample::kBilinear : upsample;
}

at::Tensor resize_twice(const at::Tensor& x, Upsample upsample) {
  TORCH_CHECK(upsample != Upsample::kTransposed, "resize_twice: transposed is not a resize");
  TORCH_CHECK(!resizes_residual_shortcuts(upsample), "resize_twice: ", upsample_name(upsample),
              " names two resizings (branch_upsample, shortcut_upsample)");
  const std::vector<int64_t> size = {2 * x.size(2), 2 * x.size(3)};
  if (upsample == Upsample::kBilinear) {
    return torch::upsample_bilinear2d(x, size, /*align_corners=*/false);
  }
  return torch::upsample_nearest2d(x, size);
}

std::string resize_twice_script(const std::string& input, Upsample upsample) {
  TORCH_CHECK(upsample != Upsample::kTransposed && !resizes_residual_shortcuts(upsample),
              "resize_twice_script: ", upsample_name(upsample), " is not one resize");
  const std::string size = "[2 * " + input + ".size(2), 2 * " + input + ".size(3)]";
  if (upsample == Upsample::kBilinear) {
    return "torch.upsample_bilinear2d(" + input + ", " + size + ", False, None, None)";
  }
  return "torch.upsample_nearest2d(" + input + ", " + size + ")";
}

}  // namespace skingan::models
