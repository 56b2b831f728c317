// Line charts: the legend never covers the title, short or long.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "report/line_chart.h"

using namespace skingan;

namespace {

// Pixels of exactly `colour` inside `region` of `image`.
int pixels_of(const cv::Mat& image, const cv::Rect& region, const cv::Scalar& colour) {
  cv::Mat mask;
  cv::inRange(image(region), colour, colour, mask);
  return cv::countNonZero(mask);
}

}  // namespace

TEST(LineChart, TheLegendNeverCoversTheTitle) {
  const cv::Scalar green(40, 160, 40);
  const report::Series s{"KID (mean over classes)", {0, 1, 2}, {3, 1, 2}, green};
  for (const std::string title :
       {std::string("short"), std::string("KID against the real validation images: resnet")}) {
    report::ChartOptions o;
    o.title = title;
    const cv::Mat image = report::line_chart({s}, o);
    int baseline = 0;
    const int width = cv::getTextSize(title, cv::FONT_HERSHEY_SIMPLEX, 0.55, 1, &baseline).width;
    // The title's box (text drawn from x 70, baseline y 22): no legend stroke inside it.
    EXPECT_EQ(pixels_of(image, cv::Rect(70, 0, width, 26), green), 0) << title;
    // The legend is drawn somewhere above the plot area.
    EXPECT_GT(pixels_of(image, cv::Rect(0, 0, image.cols, 50), green), 0) << title;
  }
}
