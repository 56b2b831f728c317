#include "preprocess/hair_removal.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

namespace skingan::preprocess {
namespace {

int odd_at_least_3(double value) {
  int k = std::max(3, static_cast<int>(std::lround(value)));
  return k % 2 ? k : k + 1;
}

}  // namespace

cv::Mat dark_line_response(const cv::Mat& bgr, const HairRemovalOptions& options) {
  cv::Mat gray, response;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  const int side = std::min(bgr.rows, bgr.cols);
  const int k = odd_at_least_3(side * options.kernel_fraction);
  // A cross is DullRazor's choice: it closes lines of every orientation at lower cost than a
  // disk, and leaves round blobs wider than the kernel untouched.
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_CROSS, cv::Size(k, k));
  cv::morphologyEx(gray, response, cv::MORPH_BLACKHAT, kernel);
  return response;
}

cv::Mat hair_mask(const cv::Mat& bgr, const HairRemovalOptions& options) {
  cv::Mat mask;
  cv::threshold(dark_line_response(bgr, options), mask, options.threshold, 255, cv::THRESH_BINARY);
  // Grow the mask by one pixel so the hair's anti-aliased rim is inpainted too.
  cv::dilate(mask, mask, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3)));
  return mask;
}

cv::Mat remove_hair(const cv::Mat& bgr, const HairRemovalOptions& options) {
  const cv::Mat mask = hair_mask(bgr, options);
  if (cv::countNonZero(mask) == 0) return bgr;
  const int side = std::min(bgr.rows, bgr.cols);
  const double radius = std::max(1.0, side * options.inpaint_fraction);
  cv::Mat out;
  cv::inpaint(bgr, mask, out, radius, cv::INPAINT_TELEA);
  return out;
}

}  // namespace skingan::preprocess
