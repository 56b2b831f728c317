#include <gtest/gtest.h>

#include "core/error.h"
#include "preprocess/crop_resize.h"
#include "preprocess/pipeline.h"
#include "test_util.h"

using namespace skingan;
using namespace skingan::preprocess;

TEST(CropResize, CenterCropKeepsTheMiddle) {
  cv::Mat image(30, 40, CV_8UC3, cv::Scalar(0, 0, 0));
  image(cv::Rect(0, 0, 5, 30)).setTo(cv::Scalar(255, 255, 255));  // left edge, cropped away
  const cv::Mat square = crop_square(image, CropMode::kCenter);
  EXPECT_EQ(square.size(), cv::Size(30, 30));
  EXPECT_EQ(cv::countNonZero(square.reshape(1)), 0);
}

TEST(CropResize, PadKeepsEverythingAndMirrors) {
  cv::Mat image(30, 40, CV_8UC3, cv::Scalar(10, 20, 30));
  const cv::Mat square = crop_square(image, CropMode::kPad);
  EXPECT_EQ(square.size(), cv::Size(40, 40));
  EXPECT_EQ(square.at<cv::Vec3b>(0, 0), cv::Vec3b(10, 20, 30));  // mirrored, not black
}

TEST(CropResize, NoneSquashes) {
  const cv::Mat image(30, 40, CV_8UC3, cv::Scalar(1, 2, 3));
  EXPECT_EQ(crop_square(image, CropMode::kNone).size(), cv::Size(40, 30));
  EXPECT_EQ(resize_square(image, 16).size(), cv::Size(16, 16));
}

TEST(CropResize, RefusesUnknownCropMode) {
  try {
    parse_crop_mode("circle");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("center, pad or none"), std::string::npos);
  }
}

TEST(Pipeline, OutputIsSquareOfRequestedSizeForEveryOption) {
  const cv::Mat image = test::make_lesion_image(200, 150, 3);
  for (int size : {32, 64, 128, 512}) {
    for (bool hair : {false, true}) {
      PreprocessOptions options;
      options.size = size;
      options.remove_hair = hair;
      options.color_constancy = !hair;
      const cv::Mat out = preprocess_image(image, options);
      EXPECT_EQ(out.size(), cv::Size(size, size));
      EXPECT_EQ(out.type(), CV_8UC3);
      EXPECT_TRUE(out.isContinuous());
    }
  }
}

TEST(Pipeline, RefusesSizesOutside32To512) {
  PreprocessOptions options;
  for (int size : {0, 31, 513}) {
    options.size = size;
    EXPECT_THROW(validate(options), ConfigError) << size;
  }
  options.size = 33;  // any side in range is fine, not only powers of two
  EXPECT_NO_THROW(validate(options));
}
