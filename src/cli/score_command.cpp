#include <cmath>
#include <cstdio>

#include <opencv2/imgproc.hpp>

#include "cli/commands.h"
#include "io/files.h"
#include "io/image_codec.h"
#include "io/tensor_image.h"
#include "report/image_grid.h"
#include "train/cas.h"

namespace skingan::cli {
namespace {

// One row per class: synthetic image, its nearest real training image, ... closest first; a red
// frame marks a near-copy.
cv::Mat pairs_picture(const std::vector<eval::NearestPairs>& pairs) {
  std::vector<cv::Mat> tiles;
  report::GridOptions grid;
  grid.title = "synthetic | nearest real (features); red: near-copy";
  size_t columns = 0;
  for (const auto& p : pairs) columns = std::max(columns, 2 * p.distances.size());
  grid.columns = static_cast<int>(columns);
  for (const auto& p : pairs) {
    const std::vector<cv::Mat> synthetic = io::to_bgr_tiles(p.synthetic);
    const std::vector<cv::Mat> real = io::to_bgr_tiles(p.real);
    cv::Mat blank;
    for (size_t i = 0; i < columns / 2; ++i) {
      if (i >= synthetic.size()) {
        if (blank.empty()) blank = cv::Mat(real.front().size(), CV_8UC3, cv::Scalar(255, 255, 255));
        tiles.push_back(blank);
        tiles.push_back(blank);
        continue;
      }
      cv::Mat tile = synthetic[i].clone();
      if (p.near_copy[i]) {
        cv::rectangle(tile, cv::Rect(0, 0, tile.cols, tile.rows), cv::Scalar(0, 0, 255), 2);
      }
      tiles.push_back(tile);
      tiles.push_back(real[i]);
    }
    grid.row_labels.push_back(p.label);
  }
  return report::make_grid(tiles, grid);
}

std::string cell(const nlohmann::json& v, double scale = 1, const char* spec = "%8.3f") {
  if (!v.is_number()) return "       -";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), spec, v.get<double>() * scale);
  return buffer;
}

}  // namespace

CLI::App* add_score_command(CLI::App& app, ScoreArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "score",
      "how good a synthetic set is against the real images, per class, beside the real floor "
      "(FID, KID, precision/recall, density/coverage, conditional accuracy, CAS, near-copies, "
      "texture: fine-scale power and mesh peaks in the power spectrum)");
  cmd->add_option("synthetic", args.synthetic, "synthetic set from `skingan generate`")->required();
  cmd->add_option("--real", args.real, "the real prepared set")->required();
  cmd->add_option("--features", args.features,
                  "feature space: a model folder from `skingan train-classifier` trained on the "
                  "real set (penultimate layer) or a TorchScript image model file")
      ->required();
  cmd->add_option("-o,--output", args.output, "output folder")->required();
  cmd->add_option("--split", args.split, "real reference split: val (default), test or train")
      ->check(CLI::IsMember({"val", "test", "train"}));
  cmd->add_option("--classifier", args.classifier,
                  "model folder for the conditional accuracy (default: --features when it is a "
                  "model folder)");
  cmd->add_option("--classes", args.classes, "score only these classes")->delimiter(',');
  cmd->add_option("--max-per-class", args.max_per_class,
                  "synthetic images per class for the distribution metrics (default: the class's "
                  "real training count, the floor's sample size)")
      ->check(CLI::Range(int64_t{0}, int64_t{1000000}));
  cmd->add_option("--kid-subsets", args.kid_subsets, "KID subsets (100)")
      ->check(CLI::Range(2, 10000));
  cmd->add_option("--kid-subset-size", args.kid_subset_size, "KID subset size at most (1000)")
      ->check(CLI::Range(int64_t{2}, int64_t{100000}));
  cmd->add_flag("--no-cas", args.no_cas, "skip CAS (it trains two classifiers)");
  cmd->add_flag("--skip-small-classes", args.skip_small_classes,
                "leave out (and list) classes with too few images for a metric instead of "
                "refusing");
  cmd->add_option("--cas-epochs", args.cas_epochs, "CAS classifier epochs (5)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}));
  cmd->add_option("--cas-width", args.cas_width, "CAS classifier width (32)")
      ->check(CLI::Range(int64_t{4}, int64_t{512}));
  cmd->add_option("--seed", args.seed, "subsampling, KID subsets and CAS seed");
  cmd->add_flag("--force", args.force, "replace an existing output folder");
  return cmd;
}

eval::ScoreOptions to_score_options(const ScoreArgs& args, const Runtime& runtime) {
  eval::ScoreOptions o;
  o.synthetic = args.synthetic;
  o.real = args.real;
  o.split = args.split;
  o.features = args.features;
  o.classifier = args.classifier;
  o.classes = args.classes;
  o.max_per_class = args.max_per_class;
  o.metrics.kid_subsets = args.kid_subsets;
  o.metrics.kid_subset_size = args.kid_subset_size;
  o.seed = args.seed;
  o.skip_small_classes = args.skip_small_classes;
  o.output = args.output;
  o.force = args.force;
  o.device = runtime.device;
  if (!args.no_cas) {
    train::CasSettings cas;
    cas.epochs = args.cas_epochs;
    cas.width = args.cas_width;
    cas.seed = args.seed;
    cas.device = runtime.device;
    cas.progress = runtime.progress;
    o.cas = [cas](const eval::CasRequest& request) { return train::run_cas(request, cas); };
  }
  o.extra_outputs = [](const std::filesystem::path& staging, const nlohmann::json&,
                       const std::vector<eval::NearestPairs>& pairs) {
    if (pairs.empty()) return;
    io::write_file_in_staging(staging / "nearest_pairs.png", io::encode_png(pairs_picture(pairs)));
  };
  return o;
}

int run_score(const ScoreArgs& args, const Runtime& runtime) {
  const nlohmann::json s = eval::score_synthetic_set(to_score_options(args, runtime));
  if (s.at("classes").empty()) {
    std::printf("nothing scored: no class has enough images (%s/scores.json lists why)\n",
                args.output.c_str());
    return 0;
  }
  std::printf("feature space: %s\n", s.at("feature_space_description").get<std::string>().c_str());
  std::printf("score against the real %s split; (floor) = %s\n\n",
              s.at("reference_split").get<std::string>().c_str(),
              s.at("floor").get<std::string>().c_str());
  std::printf(
      "class      n_syn    FID  (floor)  KIDx1e3  (floor)  prec  rec  cond.acc  near-copies\n");
  auto line = [&](const std::string& name, const nlohmann::json& e, double copies) {
    const auto& sc = e.at("score");
    const auto& fl = e.at("floor");
    std::printf("%-8s %7lld %s %s %s %s %5.2f %5.2f %s %8.1f%%\n", name.c_str(),
                sc.at("synthetic").get<long long>(), cell(sc.at("fid")).c_str(),
                cell(fl.at("fid")).c_str(), cell(sc.at("kid").at("mean"), 1000).c_str(),
                cell(fl.at("kid").at("mean"), 1000).c_str(), sc.at("precision").get<double>(),
                sc.at("recall").get<double>(),
                cell(e.value("conditional_accuracy", nlohmann::json())).c_str(), 100 * copies);
  };
  for (const auto& c : s.at("classes")) {
    const auto& e = s.at("per_class").at(c.get<std::string>());
    line(c.get<std::string>(), e,
         e.at("memorisation").at("features").at("synthetic_near_copy_share").get<double>());
  }
  line("all", s.at("overall"),
       s.at("overall").at("memorisation").at("near_copy_share_features").get<double>());
  const auto& cas = s.at("cas");
  if (cas.value("computed", false)) {
    std::printf(
        "\nCAS: balanced accuracy %.3f trained on synthetic only, %.3f on real (ratio %.2f)\n",
        cas.at("synthetic_balanced_accuracy").get<double>(),
        cas.at("real_balanced_accuracy").get<double>(), cas.at("ratio").get<double>());
  }
  std::printf("\n%s\nwritten: %s/scores.json, scores.md, nearest.csv, nearest_pairs.png\n",
              s.at("note").get<std::string>().c_str(), args.output.c_str());
  return 0;
}

}  // namespace skingan::cli
