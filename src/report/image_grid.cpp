#include "report/image_grid.h"

#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace skingan::report {

cv::Mat make_grid(const std::vector<cv::Mat>& tiles, const GridOptions& options) {
  if (tiles.empty()) throw DataError("make_grid: no images to tile.");
  const cv::Size tile = tiles.front().size();
  for (const auto& t : tiles) {
    if (t.size() != tile || t.type() != CV_8UC3) {
      throw DataError(describe_problem("make_grid: tile",
                                       std::to_string(t.cols) + "x" + std::to_string(t.rows) +
                                           " type " + std::to_string(t.type()),
                                       "all tiles " + std::to_string(tile.width) + "x" +
                                           std::to_string(tile.height) + " BGR uint8",
                                       ""));
    }
  }
  const int columns = std::max(1, std::min(options.columns, static_cast<int>(tiles.size())));
  const int rows = (static_cast<int>(tiles.size()) + columns - 1) / columns;
  const int pad = options.padding;
  const int title_height = options.title.empty() ? 0 : 24;
  const int label_width = options.row_labels.empty() ? 0 : 64;
  cv::Mat grid(title_height + rows * (tile.height + pad) + pad,
               label_width + columns * (tile.width + pad) + pad, CV_8UC3, options.background);
  for (size_t r = 0; r < options.row_labels.size() && static_cast<int>(r) < rows; ++r) {
    const int y =
        title_height + pad + static_cast<int>(r) * (tile.height + pad) + tile.height / 2 + 5;
    cv::putText(grid, options.row_labels[r], cv::Point(4, y), cv::FONT_HERSHEY_SIMPLEX, 0.45,
                cv::Scalar(20, 20, 20), 1, cv::LINE_AA);
  }
  if (!options.title.empty()) {
    cv::putText(grid, options.title, cv::Point(pad + 2, 17), cv::FONT_HERSHEY_SIMPLEX, 0.5,
                cv::Scalar(20, 20, 20), 1, cv::LINE_AA);
  }
  for (size_t i = 0; i < tiles.size(); ++i) {
    const int r = static_cast<int>(i) / columns, c = static_cast<int>(i) % columns;
    tiles[i].copyTo(
        grid(cv::Rect(label_width + pad + c * (tile.width + pad),
                      title_height + pad + r * (tile.height + pad), tile.width, tile.height)));
  }
  return grid;
}

}  // namespace skingan::report
