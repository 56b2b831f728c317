// Precompiled header: the heavy third-party headers most translation units include.
// Only stable external headers belong here, never project headers.
#pragma once
#include <torch/torch.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <string>
#include <vector>
