#include "data/demo_data.h"

#include <cmath>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "core/error.h"
#include "data/demo_render.h"
#include "io/csv.h"
#include "io/files.h"
#include "io/image_codec.h"

namespace fs = std::filesystem;

namespace skingan::data {
namespace {

nlohmann::json options_json(const DemoDataOptions& o) {
  return {{"generator", "skingan make-demo-data"},
          {"seed", o.seed},
          {"lesions", o.lesions},
          {"max_views", o.max_views},
          {"width", o.width},
          {"height", o.height},
          {"hair_fraction", o.hair_fraction}};
}

std::string numbered(const char* prefix, int n) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%s%07d", prefix, n);
  return buffer;
}

void validate(const DemoDataOptions& o) {
  if (o.lesions < static_cast<int>(demo_classes().size())) {
    throw ConfigError(describe_problem(
        "--lesions", std::to_string(o.lesions),
        "at least one lesion per class (" + std::to_string(demo_classes().size()) + ")", ""));
  }
  if (o.max_views < 1 || o.max_views > 10) {
    throw ConfigError(describe_problem("--max-views", std::to_string(o.max_views), "1..10", ""));
  }
  if (o.width < 32 || o.height < 32 || o.width > 2048 || o.height > 2048) {
    throw ConfigError(describe_problem("demo image size",
                                       std::to_string(o.width) + "x" + std::to_string(o.height),
                                       "sides between 32 and 2048", ""));
  }
  if (!(o.hair_fraction >= 0 && o.hair_fraction <= 1)) {
    throw ConfigError(
        describe_problem("--hair-fraction", std::to_string(o.hair_fraction), "0..1", ""));
  }
}

}  // namespace

DemoDataResult make_demo_data(const DemoDataOptions& options) {
  validate(options);
  const std::string marker = options_json(options).dump(2) + "\n";
  DemoDataResult result;
  if (fs::exists(options.output) && !options.force) {
    const fs::path existing = options.output / "demo.json";
    if (fs::exists(existing) && io::read_file(existing) == marker) {
      // Same options: the files are already there (the generator is deterministic).
      const auto table = io::read_csv(options.output / "HAM10000_metadata.csv");
      std::map<std::string, std::set<std::string>> lesions;
      for (const auto& row : table.rows) {
        ++result.images_per_class[row[2]];
        lesions[row[2]].insert(row[0]);
      }
      for (const auto& [dx, ids] : lesions)
        result.lesions_per_class[dx] = static_cast<int>(ids.size());
      result.images = static_cast<int>(table.rows.size());
      return result;
    }
    throw ConfigError(describe_problem("output " + options.output.string() + " already exists",
                                       "a folder not made by make-demo-data with these options",
                                       "a new folder",
                                       "Pass --force to replace it, or choose another -o."));
  }

  io::remove_stale_staging(options.output);
  io::StagingDir staging(options.output);
  const fs::path parts[2] = {staging.path() / "HAM10000_images_part_1",
                             staging.path() / "HAM10000_images_part_2"};
  fs::create_directories(parts[0]);
  fs::create_directories(parts[1]);

  cv::RNG rng(options.seed);
  std::string csv =
      io::csv_line({"lesion_id", "image_id", "dx", "dx_type", "age", "sex", "localization"});
  const char* sites[] = {"back", "trunk", "lower extremity", "upper extremity", "face", "abdomen"};
  int lesion_number = 0, image_number = 0;
  for (const auto& cls : demo_classes()) {
    const int lesions = std::max(1, static_cast<int>(std::lround(cls.share * options.lesions)));
    result.lesions_per_class[cls.code] = lesions;
    for (int l = 0; l < lesions; ++l) {
      const DemoLesion lesion = make_demo_lesion(cls.code, rng);
      const std::string lesion_id = numbered("DEMOL_", ++lesion_number);
      const int views = 1 + rng.uniform(0, options.max_views);
      const int age = 20 + 5 * rng.uniform(0, 14);
      const char* sex = rng.uniform(0, 2) ? "male" : "female";
      const char* site = sites[rng.uniform(0, 6)];
      for (int v = 0; v < views; ++v) {
        const std::string image_id = numbered("DEMO_", ++image_number);
        const bool hairy = rng.uniform(0.0, 1.0) < options.hair_fraction;
        const cv::Mat image = render_demo_image(lesion, options.width, options.height, hairy, rng);
        io::write_file_in_staging(parts[image_number % 2] / (image_id + ".jpg"),
                                  io::encode_jpeg(image, 92));
        csv += io::csv_line(
            {lesion_id, image_id, cls.code, "synthetic", std::to_string(age), sex, site});
        ++result.images_per_class[cls.code];
        ++result.images;
      }
    }
  }
  io::write_file_atomic(staging.path() / "HAM10000_metadata.csv", csv);
  io::write_file_atomic(staging.path() / "demo.json", marker);
  staging.commit(options.force);
  return result;
}

}  // namespace skingan::data
