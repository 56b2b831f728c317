#include "io/tensor_image.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

namespace skingan::io {

void bgr_to_rgb_chw(const cv::Mat& bgr, std::uint8_t* out) {
  TORCH_CHECK(bgr.type() == CV_8UC3, "bgr_to_rgb_chw expects an 8-bit 3-channel image, got type ",
              bgr.type());
  const int plane = bgr.rows * bgr.cols;
  for (int y = 0; y < bgr.rows; ++y) {
    const auto* row = bgr.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      const int at = y * bgr.cols + x;
      out[at] = row[x][2];              // R
      out[plane + at] = row[x][1];      // G
      out[2 * plane + at] = row[x][0];  // B
    }
  }
}

cv::Mat rgb_chw_to_bgr(const at::Tensor& chw) {
  TORCH_CHECK(chw.dim() == 3 && chw.size(0) == 3, "rgb_chw_to_bgr expects [3,H,W], got ",
              chw.sizes());
  TORCH_CHECK(chw.scalar_type() == at::kByte, "rgb_chw_to_bgr expects uint8, got ",
              chw.scalar_type());
  // [3,H,W] RGB -> [H,W,3] BGR, contiguous on the CPU.
  const at::Tensor hwc = chw.flip({0}).permute({1, 2, 0}).contiguous().to(at::kCPU);
  cv::Mat view(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_8UC3,
               hwc.data_ptr<std::uint8_t>());
  return view.clone();
}

at::Tensor unit_range_to_uint8(const at::Tensor& images) {
  return images.detach().add(1.0).mul(127.5).round().clamp(0, 255).to(at::kByte).to(at::kCPU);
}

std::vector<cv::Mat> to_bgr_tiles(const at::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3, "to_bgr_tiles expects [N,3,H,W], got ",
              images.sizes());
  const at::Tensor bytes =
      images.scalar_type() == at::kByte ? images.to(at::kCPU) : unit_range_to_uint8(images);
  std::vector<cv::Mat> tiles;
  for (int64_t i = 0; i < bytes.size(0); ++i) tiles.push_back(rgb_chw_to_bgr(bytes[i]));
  return tiles;
}

}  // namespace skingan::io
