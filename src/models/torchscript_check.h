// Validation of a user's TorchScript image model (`--backbone FILE`, `--features FILE`) before
// skingan trains or measures with it: a file from a colleague may hold any program, so its
// interface is checked from its compiled schema, and its output from a probe, each failure a
// ConfigError that names the file and says what skingan expects.
#pragma once

#include <cstdint>
#include <string>

#include <torch/script.h>

namespace skingan::models {

// `forward` exists, takes exactly one argument without a default (a Tensor, or untyped), and
// returns one Tensor. `what` names the option and file in messages ("--backbone b.pt").
void check_image_model_interface(const torch::jit::Module& module, const std::string& what);

// An optional integer attribute `name` of the module (e.g. image_size): -1 when absent,
// ConfigError when it is not an integer within [low, high].
int64_t image_model_int_attribute(const torch::jit::Module& module, const std::string& name,
                                  int64_t low, int64_t high, const std::string& what);

// The probe's output for a batch of `batch` images: [batch,F] or [batch,C,h,w], floating point,
// every value finite. ConfigError describing what came back otherwise.
void check_image_model_output(const torch::Tensor& output, int64_t batch, const std::string& what);

}  // namespace skingan::models
