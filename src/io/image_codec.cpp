#include "io/image_codec.h"

#include <opencv2/imgcodecs.hpp>

#include "core/error.h"
#include "io/files.h"
#include "io/image_header.h"

namespace skingan::io {
namespace {

bool starts_with(const std::string& bytes, const char* magic, size_t size) {
  return bytes.size() >= size && bytes.compare(0, size, magic, size) == 0;
}

// A JPEG ends with the EOI marker FF D9; some writers append a few padding bytes after it.
bool jpeg_has_end_marker(const std::string& bytes) {
  const size_t window = std::min<size_t>(bytes.size(), 64);
  const std::string tail = bytes.substr(bytes.size() - window);
  return tail.find("\xFF\xD9") != std::string::npos;
}

}  // namespace

ImageFormat sniff_image_format(const std::string& bytes) {
  if (starts_with(bytes, "\xFF\xD8\xFF", 3)) return ImageFormat::kJpeg;
  if (starts_with(bytes, "\x89PNG\r\n\x1A\n", 8)) return ImageFormat::kPng;
  if (starts_with(bytes, "BM", 2)) return ImageFormat::kBmp;
  if (starts_with(bytes, "II*\0", 4) || starts_with(bytes, "MM\0*", 4)) return ImageFormat::kTiff;
  return ImageFormat::kUnknown;
}

std::optional<std::string> decode_image(const std::string& bytes, cv::Mat& decoded) {
  if (bytes.empty()) return std::string("empty file");
  const ImageFormat format = sniff_image_format(bytes);
  if (format == ImageFormat::kUnknown) return std::string("not an image file (unknown format)");
  if (format == ImageFormat::kJpeg && !jpeg_has_end_marker(bytes)) {
    return std::string("truncated JPEG (no end-of-image marker)");
  }
  if (format == ImageFormat::kPng && bytes.size() >= 12 &&
      bytes.find("IEND", bytes.size() - 12) == std::string::npos) {
    return std::string("truncated PNG (no IEND chunk)");
  }
  if (const auto size = declared_dimensions(bytes)) {
    const double pixels = static_cast<double>(size->width) * static_cast<double>(size->height);
    if (pixels > static_cast<double>(kMaxImagePixels)) {
      return "declares " + std::to_string(size->width) + " x " + std::to_string(size->height) +
             " pixels, more than the " + std::to_string(kMaxImagePixels / 1000000) +
             " megapixels skingan decodes (a decompression bomb, or an image to shrink first)";
    }
  }
  const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8UC1,
                    const_cast<char*>(bytes.data()));  // imdecode only reads
  try {
    decoded = cv::imdecode(raw, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return std::string("cannot be decoded (") + e.what() + ")";
  }
  if (decoded.empty()) return std::string("cannot be decoded (corrupt image data)");
  if (decoded.depth() != CV_8U || decoded.channels() != 3) {
    return std::string("unsupported pixel format (expected 8-bit colour)");
  }
  return std::nullopt;
}

std::string encode_png(const cv::Mat& bgr) {
  std::vector<uchar> buffer;
  cv::imencode(".png", bgr, buffer, {cv::IMWRITE_PNG_COMPRESSION, 1});
  return std::string(buffer.begin(), buffer.end());
}

std::string encode_jpeg(const cv::Mat& bgr, int quality) {
  std::vector<uchar> buffer;
  cv::imencode(".jpg", bgr, buffer, {cv::IMWRITE_JPEG_QUALITY, quality});
  return std::string(buffer.begin(), buffer.end());
}

cv::Mat read_image(const std::filesystem::path& path) {
  cv::Mat image;
  if (auto problem = decode_image(read_file(path), image)) {
    throw DataError(path.string() + ": " + *problem + ". Replace or remove the file.");
  }
  return image;
}

}  // namespace skingan::io
