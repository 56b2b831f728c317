// The preprocessing pipeline applied to each image by `skingan prepare`:
//   crop to square -> shrink to the working side -> hair removal -> colour constancy -> resize.
// Hair removal and colour constancy run at a working side of at most max(2*size, 256) px, so a
// 6000 px ISIC original costs about as much as a 600 px one while thin hairs stay resolvable.
#pragma once

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "preprocess/crop_resize.h"
#include "preprocess/hair_removal.h"

namespace skingan::preprocess {

struct PreprocessOptions {
  int size = 64;  // output side, 32..512
  CropMode crop = CropMode::kCenter;
  bool remove_hair = true;
  HairRemovalOptions hair;
  bool color_constancy = true;
  double minkowski_p = 6.0;
};

// ConfigError when a value is out of range (size outside 32..512, p < 1).
void validate(const PreprocessOptions& options);

// Side at which hair removal and colour constancy run for a square crop of side `crop_side`.
int working_side(int crop_side, int size);

// BGR uint8 [H,W] -> BGR uint8 [size,size].
cv::Mat preprocess_image(const cv::Mat& bgr, const PreprocessOptions& options);

// The settings as recorded in meta.json (and hashed to decide whether a rerun can skip).
nlohmann::json to_json(const PreprocessOptions& options);

}  // namespace skingan::preprocess
