#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "preprocess/color_constancy.h"

using namespace skingan::preprocess;

namespace {

double channel_spread(const cv::Mat& image) {
  const cv::Scalar m = cv::mean(image);
  return std::max({m[0], m[1], m[2]}) - std::min({m[0], m[1], m[2]});
}

}  // namespace

TEST(ShadesOfGray, EqualisesChannelMeansOfColourCastImage) {
  // A grey scene with a lesion, lit by a strong yellow-orange illuminant (BGR gains 0.6/0.9/1.2).
  cv::Mat scene(64, 64, CV_8UC3, cv::Scalar(170, 170, 170));
  cv::circle(scene, {32, 32}, 18, cv::Scalar(80, 80, 80), cv::FILLED);
  cv::Mat cast;
  cv::multiply(scene, cv::Scalar(0.6, 0.9, 1.2), cast);
  ASSERT_GT(channel_spread(cast), 80);
  const cv::Mat corrected = shades_of_gray(cast, 6.0);
  EXPECT_LT(channel_spread(corrected), 6.0) << "means " << cv::mean(corrected);
}

TEST(ShadesOfGray, IlluminantOfUniformImageIsItsColour) {
  const cv::Mat uniform(8, 8, CV_8UC3, cv::Scalar(40, 100, 200));
  const auto e = shades_of_gray_illuminant(uniform, 6.0);
  EXPECT_NEAR(e[0], 40, 1e-6);
  EXPECT_NEAR(e[1], 100, 1e-6);
  EXPECT_NEAR(e[2], 200, 1e-6);
}

TEST(ShadesOfGray, MinkowskiNormHandComputed) {
  // Two pixels, values 0 and 255 in every channel: e = 255 * (0.5)^(1/p).
  cv::Mat image(1, 2, CV_8UC3, cv::Scalar(0, 0, 0));
  image.at<cv::Vec3b>(0, 1) = cv::Vec3b(255, 255, 255);
  EXPECT_NEAR(shades_of_gray_illuminant(image, 6.0)[0], 255 * std::pow(0.5, 1.0 / 6.0), 1e-9);
  EXPECT_NEAR(shades_of_gray_illuminant(image, 1.0)[0], 127.5, 1e-9);
}
