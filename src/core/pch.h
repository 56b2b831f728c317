// Precompiled header: the heavy third-party headers most translation units include.
// Only stable external headers belong here, never project headers.
#pragma once
#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <string>
#include <vector>
