// The pixel dimensions an image file declares in its header, read without decoding it, so a
// decompression bomb (a small file that declares billions of pixels) is refused before the
// decoder allocates for it. Hand-written: OpenCV 4.6 has no public header-only reader and only a
// process-wide limit of 2^30 pixels (CV_IO_MAX_IMAGE_PIXELS), 3 GB of BGR per image.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace skingan::io {

struct ImageDimensions {
  std::int64_t width = 0, height = 0;
};

// Width and height declared by a JPEG (first SOFn marker), PNG (IHDR), BMP (info header) or
// TIFF (first IFD); nullopt when the header is not readable (the decoder then says why).
std::optional<ImageDimensions> declared_dimensions(const std::string& bytes);

// The largest image skingan decodes: 179 megapixels (Pillow's decompression-bomb limit; a
// dermoscopy image is at most a few tens of megapixels).
inline constexpr std::int64_t kMaxImagePixels = 178956970;

}  // namespace skingan::io
