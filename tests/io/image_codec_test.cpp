#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "io/image_codec.h"
#include "io/image_header.h"
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

TEST(ImageHeader, ReadsTheDeclaredSizeOfEachFormatWithoutDecoding) {
  const cv::Mat image = test::make_lesion_image(37, 21, 3);
  for (const char* extension : {".jpg", ".png", ".bmp", ".tiff"}) {
    std::vector<uchar> buffer;
    ASSERT_TRUE(cv::imencode(extension, image, buffer)) << extension;
    const auto size = io::declared_dimensions(std::string(buffer.begin(), buffer.end()));
    ASSERT_TRUE(size.has_value()) << extension;
    EXPECT_EQ(size->width, 37) << extension;
    EXPECT_EQ(size->height, 21) << extension;
  }
  EXPECT_FALSE(io::declared_dimensions("not an image").has_value());
  EXPECT_FALSE(io::declared_dimensions(std::string("\xFF\xD8\xFF\xE0", 4)).has_value());
}

namespace {

// Overwrites two big-endian 16-bit (JPEG) or 32-bit (PNG) fields: a decompression bomb is a
// small valid-looking file whose header declares a huge canvas.
void put_be(std::string& bytes, size_t at, std::uint32_t value, int width) {
  for (int i = 0; i < width; ++i) bytes[at + i] = static_cast<char>(value >> (8 * (width - 1 - i)));
}

}  // namespace

TEST(ImageCodec, RefusesDecompressionBombsByTheirDeclaredSizeBeforeDecoding) {
  const cv::Mat image = test::make_lesion_image(32, 32, 4);
  std::string png = io::encode_png(image);
  put_be(png, 16, 20000, 4);  // IHDR width
  put_be(png, 20, 20000, 4);  // IHDR height
  std::string jpeg = io::encode_jpeg(image, 90);
  const size_t sof = jpeg.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  put_be(jpeg, sof + 5, 65000, 2);  // height
  put_be(jpeg, sof + 7, 65000, 2);  // width
  for (const std::string* bytes : {&png, &jpeg}) {
    cv::Mat decoded;
    const auto problem = io::decode_image(*bytes, decoded);
    ASSERT_TRUE(problem.has_value());
    EXPECT_NE(problem->find("declares"), std::string::npos) << *problem;
    EXPECT_NE(problem->find("decompression bomb"), std::string::npos) << *problem;
    EXPECT_TRUE(decoded.empty());
  }
}
