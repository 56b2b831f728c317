#include "preprocess/pipeline.h"

#include <algorithm>

#include "core/error.h"
#include "preprocess/color_constancy.h"

namespace skingan::preprocess {

void validate(const PreprocessOptions& options) {
  if (options.size < 32 || options.size > 512) {
    throw ConfigError(describe_problem("--size", std::to_string(options.size),
                                       "an image side between 32 and 512 pixels", ""));
  }
  if (!(options.minkowski_p >= 1.0)) {
    throw ConfigError(describe_problem("Shades of Gray p", std::to_string(options.minkowski_p),
                                       "p >= 1 (6 is the usual choice)", ""));
  }
}

int working_side(int crop_side, int size) { return std::min(crop_side, std::max(2 * size, 256)); }

cv::Mat preprocess_image(const cv::Mat& bgr, const PreprocessOptions& options) {
  cv::Mat image = crop_square(bgr, options.crop);
  if (options.remove_hair || options.color_constancy) {
    image = resize_square(image, working_side(std::min(image.rows, image.cols), options.size));
    if (options.remove_hair) image = remove_hair(image, options.hair);
    if (options.color_constancy) image = shades_of_gray(image, options.minkowski_p);
  }
  image = resize_square(image, options.size);
  return image.isContinuous() ? image : image.clone();
}

nlohmann::json to_json(const PreprocessOptions& options) {
  nlohmann::json j;
  j["size"] = options.size;
  j["crop"] = crop_mode_name(options.crop);
  j["working_side"] = "min(crop side, max(2*size, 256))";
  j["hair_removal"] = options.remove_hair
                          ? nlohmann::json{{"method", "dullrazor"},
                                           {"kernel_fraction", options.hair.kernel_fraction},
                                           {"threshold", options.hair.threshold},
                                           {"inpaint_fraction", options.hair.inpaint_fraction},
                                           {"inpaint", "telea"}}
                          : nlohmann::json(nullptr);
  j["color_constancy"] = options.color_constancy ? nlohmann::json{{"method", "shades_of_gray"},
                                                                  {"p", options.minkowski_p}}
                                                 : nlohmann::json(nullptr);
  j["resize"] = "area when shrinking, bicubic when enlarging";
  return j;
}

}  // namespace skingan::preprocess
