// Procedural dermoscopy-like images for the built-in demo data set. Each class differs in lesion
// shape, colour and texture the way the real diagnoses do (in caricature): round uniform brown
// naevi, irregular multi-coloured melanomas, light waxy keratoses with milia-like dots, pink
// basal cell carcinomas with branching vessels, red-purple lobular vascular lesions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace skingan::data {

// The demo classes (HAM10000 codes) and the relative number of lesions of each.
struct DemoClass {
  std::string code;
  double share;
};
const std::vector<DemoClass>& demo_classes();

// A lesion: everything that stays the same across its images.
struct DemoLesion {
  std::string dx;
  std::uint64_t seed = 0;         // drives shape, colours and texture
  cv::Vec3d skin_bgr;             // background skin tone
  cv::Vec3d lesion_bgr;           // main pigment colour
  double radius_fraction = 0.3;   // lesion radius / image height
  std::vector<double> harmonics;  // border irregularity (amplitude, phase pairs)
};

// Draws a new lesion of class `dx` from `rng`.
DemoLesion make_demo_lesion(const std::string& dx, cv::RNG& rng);

// Renders one view of `lesion` (random rotation, zoom, shift, lighting from `rng`), with dark
// hairs when `hairy`. BGR uint8 [height, width].
cv::Mat render_demo_image(const DemoLesion& lesion, int width, int height, bool hairy,
                          cv::RNG& rng);

// Draws `count` dark curved hairs onto `image` in place.
void draw_hairs(cv::Mat& image, int count, cv::RNG& rng);

}  // namespace skingan::data
