// The one OpenCV <-> tensor boundary. OpenCV images are BGR HWC uint8; tensors are RGB CHW.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <opencv2/core.hpp>

namespace skingan::io {

// BGR HWC uint8 cv::Mat [H,W,3] -> RGB CHW uint8 bytes written to `out` (3*H*W bytes).
void bgr_to_rgb_chw(const cv::Mat& bgr, std::uint8_t* out);

// RGB CHW uint8 tensor [3,H,W] (any device) -> BGR HWC uint8 cv::Mat (own memory).
cv::Mat rgb_chw_to_bgr(const at::Tensor& chw);

}  // namespace skingan::io
