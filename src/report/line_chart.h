// Line charts as PNG-ready images (loss curves), drawn with OpenCV.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace skingan::report {

struct Series {
  std::string name;
  std::vector<double> x, y;
  cv::Scalar colour;  // BGR
};

struct ChartOptions {
  int width = 720, height = 360;
  std::string title, x_label;
  int smoothing = 1;  // moving-average window over points (1 = raw)
};

// Axes with min/max ticks, one polyline per series, a legend. DataError when every series is
// empty or x and y differ in length.
cv::Mat line_chart(const std::vector<Series>& series, const ChartOptions& options);

// Moving average with a centred window of `window` points (shrinks at the ends).
std::vector<double> moving_average(const std::vector<double>& values, int window);

}  // namespace skingan::report
