#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/error.h"
#include "io/files.h"
#include "io/image_cache.h"
#include "test_util.h"

using namespace skingan;

TEST(ImageCache, RoundTripKeepsShapeAndBytes) {
  test::TempDir dir;
  std::vector<std::uint8_t> pixels(2 * 3 * 4 * 5);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 7);
  io::write_image_cache(dir / "c.cache", {2, 3, 4, 5}, pixels.data());
  const at::Tensor images = io::read_image_cache(dir / "c.cache");
  ASSERT_EQ(images.sizes(), (std::vector<int64_t>{2, 3, 4, 5}));
  ASSERT_EQ(images.scalar_type(), at::kByte);
  EXPECT_TRUE(std::equal(pixels.begin(), pixels.end(), images.data_ptr<std::uint8_t>()));
}

TEST(ImageCache, RefusesTruncatedAndForeignFiles) {
  test::TempDir dir;
  std::vector<std::uint8_t> pixels(3 * 8 * 8, 1);
  io::write_image_cache(dir / "c.cache", {1, 3, 8, 8}, pixels.data());
  std::string bytes = io::read_file(dir / "c.cache");
  test::write_text(dir / "short.cache", bytes.substr(0, bytes.size() - 5));
  EXPECT_THROW(io::read_image_cache(dir / "short.cache"), DataError);
  test::write_text(dir / "foreign.cache", std::string(100, 'x'));
  try {
    io::read_image_cache(dir / "foreign.cache");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("not a skingan image cache"), std::string::npos);
  }
}
