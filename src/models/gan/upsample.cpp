#include "models/gan/upsample.h"

#include "core/error.h"

namespace skingan::models {

Upsample parse_upsample(const std::string& name) {
  if (name == "transposed") return Upsample::kTransposed;
  if (name == "resize") return Upsample::kResizeConv;
  throw ConfigError(describe_problem("--upsample", "'" + name + "'", "transposed or resize", ""));
}

std::string upsample_name(Upsample upsample) {
  return upsample == Upsample::kResizeConv ? "resize" : "transposed";
}

}  // namespace skingan::models
