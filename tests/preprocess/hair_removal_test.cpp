#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "preprocess/hair_removal.h"

using namespace skingan::preprocess;

namespace {

// Skin with mild noise and a large smooth dark lesion, 128x128.
cv::Mat hair_free_image() {
  cv::Mat image(128, 128, CV_8UC3, cv::Scalar(150, 175, 215));
  cv::Mat noise(image.size(), CV_8UC3);
  cv::RNG rng(3);
  rng.fill(noise, cv::RNG::NORMAL, 0, 2);
  image += noise;
  cv::circle(image, {64, 64}, 34, cv::Scalar(60, 80, 120), cv::FILLED, cv::LINE_AA);
  return image;
}

cv::Mat with_hairs(cv::Mat image) {
  cv::line(image, {0, 10}, {127, 120}, cv::Scalar(20, 20, 25), 2, cv::LINE_AA);
  cv::line(image, {10, 127}, {110, 0}, cv::Scalar(25, 22, 20), 2, cv::LINE_AA);
  cv::line(image, {0, 70}, {127, 60}, cv::Scalar(15, 15, 20), 1, cv::LINE_AA);
  return image;
}

double dark_line_energy(const cv::Mat& image) { return cv::mean(dark_line_response(image))[0]; }

}  // namespace

TEST(HairRemoval, LowersDarkThinLineEnergyOfHairyImage) {
  const cv::Mat hairy = with_hairs(hair_free_image());
  const double before = dark_line_energy(hairy);
  const double after = dark_line_energy(remove_hair(hairy));
  EXPECT_GT(before, 2.0) << "the synthetic hairs should register as dark thin lines";
  EXPECT_LT(after, 0.25 * before) << "before " << before << ", after " << after;
  // The lesion itself survives: its centre keeps its colour.
  const cv::Vec3b centre = remove_hair(hairy).at<cv::Vec3b>(64, 40);
  EXPECT_NEAR(centre[2], 120, 25);
}

TEST(HairRemoval, LeavesHairFreeImageNearlyUnchanged) {
  const cv::Mat clean = hair_free_image();
  const cv::Mat out = remove_hair(clean);
  cv::Mat diff;
  cv::absdiff(clean, out, diff);
  const cv::Scalar mean_diff = cv::mean(diff);
  EXPECT_LT((mean_diff[0] + mean_diff[1] + mean_diff[2]) / 3.0, 0.5);
  EXPECT_LT(cv::countNonZero(hair_mask(clean)), clean.rows * clean.cols / 100);
}

TEST(HairRemoval, MaskMarksTheHairPixels) {
  const cv::Mat hairy = with_hairs(hair_free_image());
  const cv::Mat mask = hair_mask(hairy);
  EXPECT_EQ(mask.at<uchar>(10, 0), 255);  // on the first hair (its start at x=0, y=10)
  EXPECT_EQ(mask.at<uchar>(100, 20), 0);  // plain skin far from every hair
}
