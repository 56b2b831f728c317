// Image grids: contact sheets for `skingan info`, sample grids for GAN runs.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace skingan::report {

struct GridOptions {
  int columns = 8;
  int padding = 2;
  cv::Scalar background = cv::Scalar(255, 255, 255);
  std::string title;                    // drawn above the grid when not empty
  std::vector<std::string> row_labels;  // drawn left of each row when not empty
};

// Tiles equally sized BGR uint8 images row by row. InvalidArgument-style DataError when the
// images differ in size or none are given.
cv::Mat make_grid(const std::vector<cv::Mat>& tiles, const GridOptions& options = {});

}  // namespace skingan::report
