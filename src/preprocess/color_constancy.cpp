#include "preprocess/color_constancy.h"

#include <cmath>

#include <opencv2/core.hpp>

namespace skingan::preprocess {

std::array<double, 3> shades_of_gray_illuminant(const cv::Mat& bgr, double p) {
  // A 256-entry table of v^p avoids a pow() per pixel.
  std::array<double, 256> power{};
  for (int v = 0; v < 256; ++v) power[v] = std::pow(v / 255.0, p);
  std::array<double, 3> sums{0, 0, 0};
  for (int y = 0; y < bgr.rows; ++y) {
    const auto* row = bgr.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      for (int c = 0; c < 3; ++c) sums[c] += power[row[x][c]];
    }
  }
  const double count = static_cast<double>(bgr.rows) * bgr.cols;
  std::array<double, 3> illuminant{};
  for (int c = 0; c < 3; ++c) illuminant[c] = 255.0 * std::pow(sums[c] / count, 1.0 / p);
  return illuminant;
}

cv::Mat shades_of_gray(const cv::Mat& bgr, double p) {
  const auto e = shades_of_gray_illuminant(bgr, p);
  const double mean = (e[0] + e[1] + e[2]) / 3.0;
  cv::Mat out;
  if (mean <= 0) return bgr.clone();
  // Gains that map each channel's estimate onto the common mean: a von Kries diagonal model.
  cv::Mat lut(1, 256, CV_8UC3);
  for (int v = 0; v < 256; ++v) {
    for (int c = 0; c < 3; ++c) {
      const double gain = e[c] > 1e-6 ? mean / e[c] : 1.0;
      lut.at<cv::Vec3b>(0, v)[c] = cv::saturate_cast<uchar>(v * gain);
    }
  }
  cv::LUT(bgr, lut, out);
  return out;
}

}  // namespace skingan::preprocess
