// Image file decoding with integrity checks, and PNG encoding. The one place that calls
// OpenCV's codecs, so every reader refuses broken files the same way.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <opencv2/core.hpp>

namespace skingan::io {

enum class ImageFormat { kJpeg, kPng, kBmp, kTiff, kUnknown };

// Format from the file's first bytes (never from its extension).
ImageFormat sniff_image_format(const std::string& bytes);

// Why these bytes are not a complete image ("not an image file", "truncated JPEG: no end
// marker", "cannot be decoded"), or nullopt when `decoded` holds a BGR uint8 image.
std::optional<std::string> decode_image(const std::string& bytes, cv::Mat& decoded);

// Encodes a BGR uint8 image as PNG bytes (fast compression: caches are re-read far more
// often than written, and PNG size matters less than prepare throughput).
std::string encode_png(const cv::Mat& bgr);

// Encodes a BGR uint8 image as JPEG bytes with `quality` in [1,100].
std::string encode_jpeg(const cv::Mat& bgr, int quality);

// Reads a PNG/JPEG file as BGR uint8; IoError/DataError naming the path on failure.
cv::Mat read_image(const std::filesystem::path& path);

}  // namespace skingan::io
