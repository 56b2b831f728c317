// `skingan make-demo-data`: a small procedurally generated data set in HAM10000's layout
// (HAM10000_metadata.csv + JPEGs split over HAM10000_images_part_1/_part_2), so every command
// can be tried without downloading anything. Seeded: the same options give the same files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace skingan::data {

struct DemoDataOptions {
  std::filesystem::path output;
  std::uint64_t seed = 7;
  int lesions = 120;              // total lesions over all classes (imbalanced by demo_classes())
  int max_views = 3;              // images per lesion: 1..max_views
  int width = 200, height = 150;  // HAM10000's 600x450 scaled by 1/3, like the shared copy
  double hair_fraction = 0.3;     // share of images with hairs
  bool force = false;
};

struct DemoDataResult {
  int images = 0;
  std::map<std::string, int> images_per_class;
  std::map<std::string, int> lesions_per_class;
};

// ConfigError for bad options or an existing different output without force.
DemoDataResult make_demo_data(const DemoDataOptions& options);

}  // namespace skingan::data
