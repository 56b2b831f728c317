// Fuzzes the prepared set's image cache reader. Mode byte 0: the rest is a whole cache file, read
// by io::read_image_cache; it opens with a tensor that holds every byte after the header, or is
// refused with DataError. Mode 1: a 64-byte header and a claimed file size (8 bytes), so sizes far
// beyond the input are tried: an accepted header's counts must add up to that size exactly.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <ATen/ATen.h>

#include "core/error.h"
#include "io/image_cache.h"

namespace fs = std::filesystem;
using namespace skingan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const char* bytes = reinterpret_cast<const char*>(data) + 1;
  const size_t length = size - 1;
  if (data[0] % 2 == 0) {
    static const fs::path file =
        fs::temp_directory_path() / ("skingan_fuzz_cache_" + std::to_string(::getpid()));
    std::ofstream(file, std::ios::binary | std::ios::trunc).write(bytes, length);
    try {
      const at::Tensor images = io::read_image_cache(file);
      if (images.dim() != 4 || images.size(1) != 3 ||
          static_cast<size_t>(images.numel()) + 64 != length) {
        std::abort();
      }
    } catch (const DataError&) {
    }
    return 0;
  }
  if (length < 72) return 0;
  std::int64_t file_size = 0;
  std::memcpy(&file_size, bytes + 64, sizeof(file_size));
  try {
    const io::ImageCacheShape shape = io::parse_image_cache_header(bytes, file_size, "fuzz.cache");
    const __int128 total =
        static_cast<__int128>(shape.count) * shape.image_bytes() + io::kImageCacheHeaderBytes;
    if (shape.count < 0 || shape.channels != 3 || total != file_size) std::abort();
  } catch (const DataError&) {
  }
  return 0;
}
