// The one OpenCV <-> tensor boundary. OpenCV images are BGR HWC uint8; tensors are RGB CHW.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <opencv2/core.hpp>

namespace skingan::io {

// BGR HWC uint8 cv::Mat [H,W,3] -> RGB CHW uint8 bytes written to `out` (3*H*W bytes).
void bgr_to_rgb_chw(const cv::Mat& bgr, std::uint8_t* out);

// RGB CHW uint8 tensor [3,H,W] (any device) -> BGR HWC uint8 cv::Mat (own memory).
cv::Mat rgb_chw_to_bgr(const at::Tensor& chw);

// Float images in [-1,1] [N,3,H,W] (any device) -> uint8 [N,3,H,W] on the CPU (rounded, clamped).
at::Tensor unit_range_to_uint8(const at::Tensor& images);

// uint8 or [-1,1] float images [N,3,H,W] -> one BGR cv::Mat per image.
std::vector<cv::Mat> to_bgr_tiles(const at::Tensor& images);

}  // namespace skingan::io
