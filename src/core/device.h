// The compute device, chosen once from `--device cpu|cuda[:N]|auto` and passed everywhere.
#pragma once

#include <string>

#include <c10/core/Device.h>

namespace skingan {

// Parses a device spec. "auto" picks cuda:0 when CUDA is available, else cpu.
// Throws ConfigError for a malformed spec, or for cuda when this build or machine has no CUDA.
c10::Device parse_device(const std::string& spec);

// "cpu", "cuda:0", ... for logs and meta files.
std::string device_name(const c10::Device& device);

}  // namespace skingan
