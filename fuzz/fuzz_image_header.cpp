// Fuzzes io::declared_dimensions, which reads JPEG/PNG/BMP/TIFF headers of files from strangers
// before any decoder runs: it must never read out of bounds or overflow, whatever the bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "io/image_header.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  if (const auto d = skingan::io::declared_dimensions(bytes)) {
    if (d->width < 0 || d->height < 0) std::abort();
  }
  return 0;
}
