#include "io/image_header.h"

#include <cstdlib>

namespace skingan::io {
namespace {

// Unsigned big- and little-endian fields at `at`; the caller checks the bounds.
std::uint32_t be16(const std::string& b, size_t at) {
  return (static_cast<std::uint8_t>(b[at]) << 8) | static_cast<std::uint8_t>(b[at + 1]);
}
std::uint32_t be32(const std::string& b, size_t at) {
  return (be16(b, at) << 16) | be16(b, at + 2);
}
std::uint32_t le16(const std::string& b, size_t at) {
  return static_cast<std::uint8_t>(b[at]) | (static_cast<std::uint8_t>(b[at + 1]) << 8);
}
std::uint32_t le32(const std::string& b, size_t at) {
  return le16(b, at) | (le16(b, at + 2) << 16);
}

std::optional<ImageDimensions> jpeg_dimensions(const std::string& b) {
  // Markers after SOI: FF xx [length(2) payload]. SOF0..SOF15 except DHT (C4), JPG (C8) and
  // DAC (CC) carry [precision(1) height(2) width(2)]. Standalone markers have no length.
  size_t at = 2;
  while (at + 4 <= b.size()) {
    if (static_cast<std::uint8_t>(b[at]) != 0xFF) return std::nullopt;
    const std::uint8_t marker = static_cast<std::uint8_t>(b[at + 1]);
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      at += 2;
      continue;
    }
    const std::uint32_t length = be16(b, at + 2);
    if (length < 2) return std::nullopt;
    const bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (at + 9 > b.size()) return std::nullopt;
      return ImageDimensions{be16(b, at + 7), be16(b, at + 5)};
    }
    if (marker == 0xDA || marker == 0xD9) return std::nullopt;  // scan data before any frame
    at += 2 + length;
  }
  return std::nullopt;
}

std::optional<ImageDimensions> tiff_dimensions(const std::string& b) {
  const bool little = b[0] == 'I';
  auto u16 = [&](size_t at) { return little ? le16(b, at) : be16(b, at); };
  auto u32 = [&](size_t at) { return little ? le32(b, at) : be32(b, at); };
  if (b.size() < 8) return std::nullopt;
  const size_t ifd = u32(4);
  if (ifd + 2 > b.size()) return std::nullopt;
  const size_t entries = u16(ifd);
  std::optional<std::int64_t> width, height;
  for (size_t i = 0; i < entries; ++i) {
    const size_t e = ifd + 2 + 12 * i;
    if (e + 12 > b.size()) break;
    const std::uint32_t tag = u16(e), type = u16(e + 2);
    // SHORT (3) values sit in the entry's first two bytes, LONG (4) in all four.
    const std::int64_t value = type == 3 ? u16(e + 8) : type == 4 ? u32(e + 8) : -1;
    if (value < 0) continue;
    if (tag == 256) width = value;
    if (tag == 257) height = value;
  }
  if (!width || !height) return std::nullopt;
  return ImageDimensions{*width, *height};
}

}  // namespace

std::optional<ImageDimensions> declared_dimensions(const std::string& b) {
  if (b.size() >= 4 && b.compare(0, 3, "\xFF\xD8\xFF", 3) == 0) return jpeg_dimensions(b);
  if (b.size() >= 24 && b.compare(0, 8, "\x89PNG\r\n\x1A\n", 8) == 0 &&
      b.compare(12, 4, "IHDR") == 0) {
    return ImageDimensions{be32(b, 16), be32(b, 20)};
  }
  if (b.size() >= 26 && b.compare(0, 2, "BM") == 0) {
    // BITMAPINFOHEADER: signed 32-bit width and height (negative height: top-down rows).
    const auto width = static_cast<std::int32_t>(le32(b, 18));
    const auto height = static_cast<std::int32_t>(le32(b, 22));
    return ImageDimensions{std::llabs(width), std::llabs(height)};
  }
  if (b.size() >= 8 && (b.compare(0, 4, "II*\0", 4) == 0 || b.compare(0, 4, "MM\0*", 4) == 0)) {
    return tiff_dimensions(b);
  }
  return std::nullopt;
}

}  // namespace skingan::io
