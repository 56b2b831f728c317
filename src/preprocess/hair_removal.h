// Hair removal after DullRazor (Lee et al. 1997), in its common OpenCV form: a black-hat
// morphology finds thin dark structures, a threshold turns them into a mask, and inpainting
// fills the masked pixels from their surroundings.
#pragma once

#include <opencv2/core.hpp>

namespace skingan::preprocess {

struct HairRemovalOptions {
  // Structuring element side as a fraction of the image side (17 px at 600 px in DullRazor
  // ports, ~1/35). Hairs thinner than this are found; lesion structures wider than it are kept.
  double kernel_fraction = 1.0 / 35.0;
  // Black-hat response (0..255 grey levels) above which a pixel counts as hair.
  double threshold = 12.0;
  // Inpainting radius as a fraction of the image side (at least 1 px).
  double inpaint_fraction = 1.0 / 200.0;
};

// Black-hat response of the grey image [H,W] uint8: how much darker each pixel is than its
// morphological closing, i.e. the "dark thin line" signal DullRazor thresholds.
cv::Mat dark_line_response(const cv::Mat& bgr, const HairRemovalOptions& options = {});

// Mask (uint8 0/255, [H,W]) of the pixels classified as hair.
cv::Mat hair_mask(const cv::Mat& bgr, const HairRemovalOptions& options = {});

// The image with hair pixels inpainted (Telea). Returns `bgr` unchanged if no pixel is hair.
cv::Mat remove_hair(const cv::Mat& bgr, const HairRemovalOptions& options = {});

}  // namespace skingan::preprocess
