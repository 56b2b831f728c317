// Fuzzes what `skingan prepare` does with each image file of a data folder: decode (JPEG, PNG,
// BMP, TIFF through OpenCV, after skingan's own header and pixel-limit checks) and preprocess
// (crop, hair removal, colour constancy, resize) to 32 px. Any bytes give either a reason the file
// is unusable or a 32x32 BGR image; nothing may throw or crash.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <opencv2/core.hpp>

#include "data/prepare.h"

using namespace skingan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  static const preprocess::PreprocessOptions options = [] {
    preprocess::PreprocessOptions o;
    o.size = 32;
    return o;
  }();
  cv::setNumThreads(0);  // the fuzzer's one thread, as prepare runs OpenCV per worker
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  cv::Mat image;
  if (!data::prepare_image_bytes(bytes, options, image)) {
    if (image.rows != 32 || image.cols != 32 || image.type() != CV_8UC3) std::abort();
  }
  return 0;
}
