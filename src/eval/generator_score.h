// `skingan score`: how good a synthetic set is, per class and overall, against the real images
// of a prepared set, always beside the real floor (the same metrics between two real samples).
//
//   distribution  FID, KID, precision/recall (k=3), density/coverage (k=5) of the synthetic
//                 images against the real reference split (val by default), in the feature
//                 space of `features` (eval/feature_model.h). The real floor compares the real
//                 training split with the same reference split.
//   class         conditional accuracy: the feature classifier's recall on each class's
//                 synthetic images (beside its recall on the real reference images).
//   teaching      CAS (Ravuri & Vinyals 2019), through the caller's `cas` hook (training lives
//                 above this layer).
//   texture       the synthetic images' mean power spectrum against the reference's: power at
//                 periods of 4 pixels and shorter, and the strongest single-frequency excess
//                 (eval/image_spectrum.h); a mesh or checkerboard shows here first.
//   copying       for every synthetic image its nearest real training image of the same class
//                 in feature and pixel space; near-copies are closer than the 1st percentile of
//                 the real-test-to-real-train nearest distances of that class.
//
// Sample counts: each class's synthetic images are subsampled (seeded) to at most its number of
// real training images (or max_per_class), so the score and the floor use comparable counts
// (FID's bias depends on them). Every count used is in the output.
//
// OUT/scores.json   everything below, with the feature space's description
//    /scores.md     the per-class table, score beside floor
//    /nearest.csv   one row per synthetic image: nearest training image and distances
//    (pictures come from the caller's extra_outputs hook: eval does not draw)
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include "eval/generative_metrics.h"

namespace skingan::eval {

// The closest synthetic/real pairs of one class, closest first.
struct NearestPairs {
  std::string label;
  at::Tensor synthetic, real;  // uint8 [n,3,S,S]
  std::vector<double> distances;
  std::vector<bool> near_copy;
};

// What the CAS hook is asked and answers: train on the synthetic set only, and on the real
// training split with the same budget, restricted to `classes`; both tested on real test images.
struct CasRequest {
  std::filesystem::path real, synthetic;
  std::vector<std::string> classes;
  std::filesystem::path work_dir;  // scratch space inside the staging folder
};
using CasHook = std::function<nlohmann::json(const CasRequest&)>;

struct ScoreOptions {
  std::filesystem::path synthetic;   // its synthetic rows (all rows when it has none)
  std::filesystem::path real;        // a prepared set with train, the reference split and test
  std::string split = "val";         // the real reference split: val | test | train
  std::filesystem::path features;    // model folder or TorchScript file
  std::filesystem::path classifier;  // conditional accuracy; empty: `features` when a folder
  std::vector<std::string> classes;  // empty: every class with synthetic images
  int64_t max_per_class = 0;         // 0: the class's real training count
  DistributionSettings metrics;      // KID subsets, k of precision/recall and density/coverage
  int64_t pairs_per_class = 4;
  // Leave out (and list in scores.json "left_out", with the reason) the classes that have too
  // few images for a metric, instead of refusing: for small data sets such as the demo data.
  bool skip_small_classes = false;
  uint64_t seed = 1;
  CasHook cas;  // empty: CAS not computed (said so in the output)
  std::filesystem::path output;
  bool force = false;
  c10::Device device{c10::kCPU};
  std::function<void(const std::filesystem::path& staging, const nlohmann::json& scores,
                     const std::vector<NearestPairs>& pairs)>
      extra_outputs;
};

// ConfigError before writing anything: an existing output without force, a synthetic class the
// real set lacks, a class without real images in a split a metric needs or without synthetic
// images, a feature model of another image size or class list, a non-TorchScript file, too few
// images for a metric (which, and how many are needed).
nlohmann::json score_synthetic_set(const ScoreOptions& options);

// The score table as Markdown (scores.md).
std::string scores_markdown(const nlohmann::json& scores);

}  // namespace skingan::eval
