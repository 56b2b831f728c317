// A confusion matrix as a picture: rows are true classes, columns predictions; each cell shaded
// by its share of the row (recall on the diagonal) and labelled with its count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace skingan::report {

cv::Mat confusion_image(const std::vector<std::vector<int64_t>>& confusion,
                        const std::vector<std::string>& classes, const std::string& title);

}  // namespace skingan::report
