#include "core/device.h"

#include <torch/cuda.h>

#include "core/error.h"

namespace skingan {

c10::Device parse_device(const std::string& spec) {
  if (spec == "cpu") return c10::Device(c10::kCPU);
  if (spec == "auto") {
    return torch::cuda::is_available() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  }
  if (spec == "cuda" || spec.rfind("cuda:", 0) == 0) {
    int index = 0;
    if (spec.size() > 5) {
      const std::string digits = spec.substr(5);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
          digits.size() > 3) {
        throw ConfigError(describe_problem("--device", "'" + spec + "'",
                                           "cpu, cuda, cuda:N (N a GPU index) or auto", ""));
      }
      index = std::stoi(digits);
    }
    if (!torch::cuda::is_available()) {
      throw ConfigError(describe_problem(
          "--device " + spec, "no CUDA device (this LibTorch build or machine has none)",
          "a CUDA-capable LibTorch and GPU",
          "Use --device cpu, or --device auto to fall back to the CPU."));
    }
    const int count = static_cast<int>(torch::cuda::device_count());
    if (index >= count) {
      throw ConfigError(describe_problem("--device " + spec, std::to_string(count) + " GPU(s)",
                                         "an index below " + std::to_string(count), ""));
    }
    return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw ConfigError(
      describe_problem("--device", "'" + spec + "'", "cpu, cuda, cuda:N or auto", ""));
}

std::string device_name(const c10::Device& device) { return device.str(); }

}  // namespace skingan
