// Square cropping and resizing.
#pragma once

#include <string>

#include <opencv2/core.hpp>

namespace skingan::preprocess {

enum class CropMode {
  kCenter,  // keep the central square (loses the long side's edges)
  kPad,     // pad the short side by mirroring the border (keeps the whole field of view)
  kNone,    // no crop: resizing then squashes the aspect ratio
};

CropMode parse_crop_mode(const std::string& name);  // "center" | "pad" | "none"; ConfigError else
std::string crop_mode_name(CropMode mode);

// Square image [S,S] from a BGR image [H,W] (S = min or max side, see CropMode).
cv::Mat crop_square(const cv::Mat& bgr, CropMode mode);

// Resizes to side x side: area averaging when shrinking (no aliasing), bicubic when enlarging.
cv::Mat resize_square(const cv::Mat& image, int side);

}  // namespace skingan::preprocess
