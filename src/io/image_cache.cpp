#include "io/image_cache.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include "core/error.h"
#include "io/files.h"

namespace fs = std::filesystem;

namespace skingan::io {
namespace {

constexpr char kMagic[8] = {'S', 'K', 'G', 'C', 'A', 'C', 'H', 'E'};
constexpr std::uint32_t kVersion = 1;

template <typename T>
void put(char* at, T value) {
  std::memcpy(at, &value, sizeof(T));
}
template <typename T>
T get(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

}  // namespace

ImageCacheShape parse_image_cache_header(const char* header, std::int64_t file_size,
                                         const fs::path& path) {
  if (std::memcmp(header, kMagic, sizeof(kMagic)) != 0) {
    throw DataError(describe_problem(path.string() + ": not a skingan image cache",
                                     "another file type", "a file starting with SKGCACHE",
                                     "Re-run `skingan prepare` to rebuild the set."));
  }
  if (get<std::uint32_t>(header + 8) != kVersion) {
    throw DataError(
        path.string() + ": image cache version " + std::to_string(get<std::uint32_t>(header + 8)) +
        " is not supported (expected " + std::to_string(kVersion) + "). Re-run `skingan prepare`.");
  }
  ImageCacheShape shape;
  shape.channels = get<std::uint32_t>(header + 12);
  const std::uint64_t count = get<std::uint64_t>(header + 16);
  shape.height = get<std::uint32_t>(header + 24);
  shape.width = get<std::uint32_t>(header + 28);
  if (shape.channels != 3 || shape.height < 1 || shape.width < 1 ||
      shape.height > kMaxImageCacheSide || shape.width > kMaxImageCacheSide) {
    throw DataError(describe_problem(
        path.string() + ": image cache header",
        std::to_string(shape.channels) + " channels of " + std::to_string(shape.height) + "x" +
            std::to_string(shape.width) + " px",
        "3 channels and sides of 1.." + std::to_string(kMaxImageCacheSide) + " px",
        "The file is damaged or not from skingan; re-run `skingan prepare`."));
  }
  // image_bytes() <= 3 * 8192^2 < 2^28, so the division cannot overflow and the product
  // below stays under the file size.
  const std::uint64_t pixels_available =
      file_size > kImageCacheHeaderBytes
          ? static_cast<std::uint64_t>(file_size - kImageCacheHeaderBytes)
          : 0;
  const auto image_bytes = static_cast<std::uint64_t>(shape.image_bytes());
  if (file_size < kImageCacheHeaderBytes || count > pixels_available / image_bytes ||
      count * image_bytes != pixels_available) {
    throw DataError(describe_problem(
        path.string() + ": image cache has the wrong size", std::to_string(file_size) + " bytes",
        std::to_string(count) + " images of " + std::to_string(image_bytes) +
            " bytes after a 64-byte header",
        "The file is truncated or damaged; re-run `skingan prepare`."));
  }
  shape.count = static_cast<std::int64_t>(count);
  return shape;
}

ImageCacheWriter::ImageCacheWriter(fs::path path, const ImageCacheShape& shape)
    : path_(std::move(path)), shape_(shape) {
  file_ = std::fopen(path_.c_str(), "wb");
  if (!file_) {
    throw IoError("cannot create " + path_.string() + ": " + std::strerror(errno) +
                  ". Check that the folder is writable.");
  }
  char header[kImageCacheHeaderBytes] = {};
  std::memcpy(header, kMagic, sizeof(kMagic));
  put<std::uint32_t>(header + 8, kVersion);
  put<std::uint32_t>(header + 12, static_cast<std::uint32_t>(shape.channels));
  put<std::uint64_t>(header + 16, static_cast<std::uint64_t>(shape.count));
  put<std::uint32_t>(header + 24, static_cast<std::uint32_t>(shape.height));
  put<std::uint32_t>(header + 28, static_cast<std::uint32_t>(shape.width));
  if (std::fwrite(header, 1, sizeof(header), file_) != sizeof(header)) {
    throw IoError("cannot write " + path_.string() + " (disk full?).");
  }
}

ImageCacheWriter::~ImageCacheWriter() {
  if (file_) {
    std::fclose(file_);
    std::error_code ec;
    fs::remove(path_, ec);
  }
}

void ImageCacheWriter::append(const std::uint8_t* image) {
  TORCH_CHECK(written_ < shape_.count, "ImageCacheWriter: more than the declared ", shape_.count,
              " images appended");
  const auto bytes = static_cast<size_t>(shape_.image_bytes());
  if (std::fwrite(image, 1, bytes, file_) != bytes) {
    throw IoError("cannot write " + path_.string() + " (disk full?).");
  }
  ++written_;
}

void ImageCacheWriter::finish() {
  TORCH_CHECK(written_ == shape_.count, "ImageCacheWriter: ", written_, " images appended, ",
              shape_.count, " declared");
  const bool flushed = std::fflush(file_) == 0 && ::fsync(fileno(file_)) == 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!flushed || !closed) throw IoError("cannot finish " + path_.string() + " (disk full?).");
}

void write_image_cache(const fs::path& path, const ImageCacheShape& shape,
                       const std::uint8_t* pixels) {
  const fs::path temp = path.string() + ".tmp-" + std::to_string(::getpid());
  {
    ImageCacheWriter writer(temp, shape);
    for (std::int64_t i = 0; i < shape.count; ++i) writer.append(pixels + i * shape.image_bytes());
    writer.finish();
  }
  fs::rename(temp, path);
}

ImageCacheShape read_image_cache_shape(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw IoError("cannot read image cache " + path.string() + ". Re-run `skingan prepare`.");
  char header[kImageCacheHeaderBytes] = {};
  in.read(header, kImageCacheHeaderBytes);
  if (in.gcount() != kImageCacheHeaderBytes) {
    throw DataError(path.string() + ": image cache is shorter than its header. Re-run prepare.");
  }
  return parse_image_cache_header(header, static_cast<std::int64_t>(fs::file_size(path)), path);
}

at::Tensor read_image_cache(const fs::path& path) {
  const ImageCacheShape shape = read_image_cache_shape(path);
  at::Tensor images = at::empty({shape.count, shape.channels, shape.height, shape.width},
                                at::TensorOptions().dtype(at::kByte));
  std::ifstream in(path, std::ios::binary);
  in.seekg(kImageCacheHeaderBytes);
  in.read(reinterpret_cast<char*>(images.data_ptr<std::uint8_t>()),
          static_cast<std::streamsize>(shape.count * shape.image_bytes()));
  if (in.gcount() != shape.count * shape.image_bytes()) {
    throw IoError("could not read all pixels of " + path.string() + ". Re-run `skingan prepare`.");
  }
  return images;
}

}  // namespace skingan::io
