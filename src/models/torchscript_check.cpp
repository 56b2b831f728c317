#include "models/torchscript_check.h"

#include <torch/torch.h>

#include "core/error.h"

namespace skingan::models {

void check_image_model_interface(const torch::jit::Module& module, const std::string& what) {
  const auto method = module.find_method("forward");
  if (!method) {
    throw ConfigError(describe_problem(what, "a module without a forward method",
                                       "forward(images) -> tensor",
                                       "Script or trace the model itself, not a container."));
  }
  const c10::FunctionSchema& schema = method->function().getSchema();
  int64_t required = 0;
  const c10::Argument* input = nullptr;
  for (size_t i = 1; i < schema.arguments().size(); ++i) {  // 0 is self
    const c10::Argument& a = schema.arguments()[i];
    if (a.default_value()) continue;
    ++required;
    input = &a;
  }
  const bool tensor_in = input != nullptr && (input->type()->kind() == c10::TypeKind::TensorType ||
                                              input->type()->kind() == c10::TypeKind::AnyType);
  const bool tensor_out = schema.returns().size() == 1 &&
                          schema.returns()[0].type()->kind() == c10::TypeKind::TensorType;
  if (required != 1 || !tensor_in || !tensor_out) {
    std::ostringstream found;
    found << schema;
    throw ConfigError(describe_problem(
        what, "forward with the signature " + found.str(),
        "forward(self, x: Tensor) -> Tensor: one image batch in, one tensor of features out",
        "Wrap the model in a module whose forward takes the image batch alone and returns one "
        "tensor (e.g. the pooled features), then script or trace that."));
  }
}

int64_t image_model_int_attribute(const torch::jit::Module& module, const std::string& name,
                                  int64_t low, int64_t high, const std::string& what) {
  if (!module.hasattr(name)) return -1;
  const c10::IValue value = module.attr(name);
  if (!value.isInt() || value.toInt() < low || value.toInt() > high) {
    std::ostringstream found;
    found << value.tagKind() << " " << value;
    throw ConfigError(describe_problem(
        what, "attribute " + name + " = " + found.str(),
        "an integer in " + std::to_string(low) + ".." + std::to_string(high),
        "Set it to the side of the images the model was trained on, or remove it."));
  }
  return value.toInt();
}

void check_image_model_output(const torch::Tensor& output, int64_t batch, const std::string& what) {
  std::string problem;
  if (!output.defined()) {
    problem = "no tensor";
  } else if ((output.dim() != 2 && output.dim() != 4) || output.size(0) != batch ||
             output.numel() == 0) {
    problem = "an output of shape " + c10::str(output.sizes()) + " for " + std::to_string(batch) +
              " images";
  } else if (!output.is_floating_point()) {
    problem = std::string("an output of type ") + c10::toString(output.scalar_type());
  } else if (!torch::isfinite(output).all().item<bool>()) {
    problem = "NaN or infinite values for plain input images";
  }
  if (!problem.empty()) {
    throw ConfigError(describe_problem(
        what, problem,
        "finite floating-point features, [N,F] or [N,C,h,w] feature maps, one row per image",
        "Export the network up to its features (or with its head: its outputs then serve as "
        "features), and check it on zeros in Python first."));
  }
}

}  // namespace skingan::models
