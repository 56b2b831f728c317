#include "report/confusion_image.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace skingan::report {

cv::Mat confusion_image(const std::vector<std::vector<int64_t>>& confusion,
                        const std::vector<std::string>& classes, const std::string& title) {
  const int k = static_cast<int>(classes.size());
  const int cell = 56, left = 90, top = 70;
  cv::Mat image(top + k * cell + 40, left + k * cell + 20, CV_8UC3, cv::Scalar(255, 255, 255));
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  cv::putText(image, title, {10, 24}, font, 0.55, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  cv::putText(image, "predicted", {left + k * cell / 2 - 35, 46}, font, 0.45,
              cv::Scalar(60, 60, 60), 1, cv::LINE_AA);
  for (int i = 0; i < k; ++i) {
    int64_t row_total = 0;
    for (int j = 0; j < k; ++j) row_total += confusion[i][j];
    cv::putText(image, classes[i], {8, top + i * cell + cell / 2 + 5}, font, 0.45,
                cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    cv::putText(image, classes[i], {left + i * cell + 6, top - 6}, font, 0.4, cv::Scalar(0, 0, 0),
                1, cv::LINE_AA);
    for (int j = 0; j < k; ++j) {
      const double share = row_total ? static_cast<double>(confusion[i][j]) / row_total : 0.0;
      // White -> blue with the row share (BGR).
      const cv::Scalar colour(255, 255 - 200 * share, 255 - 230 * share);
      const cv::Rect r(left + j * cell, top + i * cell, cell - 2, cell - 2);
      cv::rectangle(image, r, colour, cv::FILLED);
      const std::string text = std::to_string(confusion[i][j]);
      cv::putText(image, text, {r.x + 6, r.y + cell / 2 + 5}, font, 0.45,
                  share > 0.5 ? cv::Scalar(255, 255, 255) : cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    }
  }
  cv::putText(image, "rows: true class; shade: share of the row", {10, top + k * cell + 25}, font,
              0.4, cv::Scalar(90, 90, 90), 1, cv::LINE_AA);
  return image;
}

}  // namespace skingan::report
