#include "preprocess/crop_resize.h"

#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace skingan::preprocess {

CropMode parse_crop_mode(const std::string& name) {
  if (name == "center") return CropMode::kCenter;
  if (name == "pad") return CropMode::kPad;
  if (name == "none") return CropMode::kNone;
  throw ConfigError(describe_problem("--crop", "'" + name + "'", "center, pad or none", ""));
}

std::string crop_mode_name(CropMode mode) {
  switch (mode) {
    case CropMode::kCenter:
      return "center";
    case CropMode::kPad:
      return "pad";
    case CropMode::kNone:
      return "none";
  }
  return "?";
}

cv::Mat crop_square(const cv::Mat& bgr, CropMode mode) {
  const int h = bgr.rows, w = bgr.cols;
  if (h == w || mode == CropMode::kNone) return bgr;
  if (mode == CropMode::kCenter) {
    const int side = std::min(h, w);
    return bgr(cv::Rect((w - side) / 2, (h - side) / 2, side, side));
  }
  const int side = std::max(h, w);
  const int top = (side - h) / 2, left = (side - w) / 2;
  cv::Mat padded;
  cv::copyMakeBorder(bgr, padded, top, side - h - top, left, side - w - left,
                     cv::BORDER_REFLECT_101);
  return padded;
}

cv::Mat resize_square(const cv::Mat& image, int side) {
  if (image.rows == side && image.cols == side) return image;
  cv::Mat out;
  const bool shrinking = image.rows >= side && image.cols >= side;
  cv::resize(image, out, cv::Size(side, side), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_CUBIC);
  return out;
}

}  // namespace skingan::preprocess
