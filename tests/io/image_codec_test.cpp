#include <gtest/gtest.h>

#include "io/image_codec.h"
#include "test_util.h"

using namespace skingan;

TEST(ImageCodec, DecodesJpegAndPng) {
  const cv::Mat image = test::make_lesion_image(20, 10, 1);
  for (const std::string& bytes : {io::encode_jpeg(image, 95), io::encode_png(image)}) {
    cv::Mat decoded;
    EXPECT_FALSE(io::decode_image(bytes, decoded).has_value());
    EXPECT_EQ(decoded.rows, 10);
    EXPECT_EQ(decoded.cols, 20);
    EXPECT_EQ(decoded.type(), CV_8UC3);
  }
}

TEST(ImageCodec, RefusesTruncatedJpegAndPng) {
  const cv::Mat image = test::make_lesion_image(32, 32, 2);
  cv::Mat decoded;
  const std::string jpeg = io::encode_jpeg(image, 95);
  auto problem = io::decode_image(jpeg.substr(0, jpeg.size() / 2), decoded);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("truncated JPEG"), std::string::npos) << *problem;
  const std::string png = io::encode_png(image);
  problem = io::decode_image(png.substr(0, png.size() - 20), decoded);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("truncated PNG"), std::string::npos) << *problem;
}

TEST(ImageCodec, RefusesNonImagesAndEmptyFiles) {
  cv::Mat decoded;
  EXPECT_EQ(*io::decode_image("hello, I am text", decoded), "not an image file (unknown format)");
  EXPECT_EQ(*io::decode_image("", decoded), "empty file");
  // A JPEG header followed by garbage and an end marker is caught by the decoder itself.
  const auto problem =
      io::decode_image(std::string("\xFF\xD8\xFF\xE0garbage\xFF\xD9", 13), decoded);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("cannot be decoded"), std::string::npos) << *problem;
}
