// The prepared set's image cache: every image as uint8 RGB, N x C x H x W, after a 64-byte
// header, so training loads it in one read (or memory-maps it).
//
// Layout (little-endian): "SKGCACHE" | u32 version=1 | u32 channels | u64 count |
//                         u32 height | u32 width | zero padding to 64 bytes | pixels.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include <ATen/core/Tensor.h>

namespace skingan::io {

struct ImageCacheShape {
  std::int64_t count = 0, channels = 3, height = 0, width = 0;
  std::int64_t image_bytes() const { return channels * height * width; }
};

inline constexpr std::int64_t kImageCacheHeaderBytes = 64;

// Streams a cache to disk image by image, so no second copy of all pixels is ever held.
// finish() checks that exactly shape.count images were appended, then flushes and fsyncs; a
// writer destroyed unfinished removes its file.
class ImageCacheWriter {
 public:
  ImageCacheWriter(std::filesystem::path path, const ImageCacheShape& shape);
  ~ImageCacheWriter();
  ImageCacheWriter(const ImageCacheWriter&) = delete;
  ImageCacheWriter& operator=(const ImageCacheWriter&) = delete;

  // Appends one image of shape.image_bytes() bytes (RGB CHW).
  void append(const std::uint8_t* image);
  void finish();

 private:
  std::filesystem::path path_;
  ImageCacheShape shape_;
  std::FILE* file_ = nullptr;
  std::int64_t written_ = 0;
};

// Writes the header and `shape.count * shape.image_bytes()` bytes of pixels (CHW RGB per image)
// to `path` atomically.
void write_image_cache(const std::filesystem::path& path, const ImageCacheShape& shape,
                       const std::uint8_t* pixels);

// Checks the 64-byte header of a cache file of `file_size` bytes: magic, version, 3 channels,
// sides of 1..kMaxImageCacheSide, and a pixel count that matches the file size exactly (without
// integer overflow for any header). DataError naming `path` otherwise.
inline constexpr std::int64_t kMaxImageCacheSide = 8192;
ImageCacheShape parse_image_cache_header(const char* header, std::int64_t file_size,
                                         const std::filesystem::path& path);

// Reads just the header (DataError on a foreign or inconsistent file).
ImageCacheShape read_image_cache_shape(const std::filesystem::path& path);

// Loads the whole cache: uint8 tensor [N, C, H, W] on the CPU, in one read.
at::Tensor read_image_cache(const std::filesystem::path& path);

}  // namespace skingan::io
