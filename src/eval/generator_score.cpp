#include "eval/generator_score.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/random.h"
#include "core/text.h"
#include "data/prepared_set.h"
#include "eval/copy_audit.h"
#include "eval/feature_model.h"
#include "eval/generative_metrics.h"
#include "eval/image_spectrum.h"
#include "io/csv.h"
#include "io/files.h"

namespace fs = std::filesystem;

namespace skingan::eval {
namespace {

constexpr const char* kFeatureSpaceNote =
    "FID and KID depend on the feature space: numbers in a domain classifier's feature space are "
    "comparable with each other and with the real floor printed beside them, but not comparable "
    "with Inception-v3 FIDs in papers.";

// Manifest row indices of one class, per role.
struct ClassRows {
  std::vector<int64_t> synthetic_all, synthetic_used, train, reference, floor, test;
};

torch::Tensor rows_tensor(const std::vector<int64_t>& rows) {
  return torch::tensor(rows, torch::kLong);
}

torch::Tensor images_at(const torch::Tensor& images, const std::vector<int64_t>& rows) {
  return images.index_select(0, rows_tensor(rows));
}

double recall_of(const torch::Tensor& probabilities, int64_t class_index) {
  if (probabilities.size(0) == 0) return std::nan("");
  return (probabilities.argmax(1) == class_index).to(torch::kDouble).mean().item<double>();
}

void require_count(const std::string& what, int64_t have, int64_t need, const std::string& why) {
  if (have >= need) return;
  throw ConfigError(describe_problem(what, std::to_string(have) + " images",
                                     "at least " + std::to_string(need) + " (" + why + ")",
                                     "Score more synthetic images, or leave the class out with "
                                     "--classes."));
}

}  // namespace

nlohmann::json score_synthetic_set(const ScoreOptions& o) {
  const std::vector<std::string> splits = {"train", "val", "test"};
  if (!contains(splits, o.split)) {
    throw ConfigError(describe_problem("--split " + o.split, "unknown", "val, test or train", ""));
  }
  if (fs::exists(o.output) && !o.force) {
    throw ConfigError(describe_problem("output " + o.output.string(), "already exists",
                                       "a new folder", "Pass --force to replace it."));
  }
  const data::PreparedSet real = data::PreparedSet::open(o.real);
  const data::PreparedSet synthetic = data::PreparedSet::open(o.synthetic);
  if (synthetic.image_size() != real.image_size()) {
    throw ConfigError(describe_problem("synthetic set " + o.synthetic.string(),
                                       std::to_string(synthetic.image_size()) + " px",
                                       std::to_string(real.image_size()) + " px like the real set",
                                       "Generate or prepare it at the real set's size."));
  }

  // Which rows play which part, per class.
  bool has_synthetic_rows = false;
  for (const auto& r : synthetic.rows()) has_synthetic_rows |= r.source == "synthetic";
  std::map<std::string, ClassRows> by_class;
  for (size_t i = 0; i < synthetic.rows().size(); ++i) {
    const auto& r = synthetic.rows()[i];
    if (has_synthetic_rows && r.source != "synthetic") continue;
    if (!contains(real.classes(), r.label)) {
      throw ConfigError(describe_problem(
          "synthetic set " + o.synthetic.string(), "images of class '" + r.label + "'",
          "only classes of the real set " + o.real.string() + " (" + join(real.classes()) + ")",
          "Score it against the real set its generator was trained on."));
    }
    by_class[r.label].synthetic_all.push_back(static_cast<int64_t>(i));
  }
  std::vector<std::string> classes;
  if (o.classes.empty()) {
    for (const auto& c : real.classes()) {
      if (by_class.count(c)) classes.push_back(c);
    }
  } else {
    classes = o.classes;
  }
  if (classes.empty()) {
    throw ConfigError(describe_problem("synthetic set " + o.synthetic.string(), "no images",
                                       "synthetic images of at least one class",
                                       "Generate some with `skingan generate`."));
  }
  for (const auto& c : classes) {
    if (!contains(real.classes(), c)) {
      throw ConfigError(describe_problem("--classes: class '" + c + "'",
                                         "not a class of " + o.real.string(),
                                         "one of: " + join(real.classes()), ""));
    }
    if (by_class[c].synthetic_all.empty()) {
      throw ConfigError(describe_problem("class '" + c + "'",
                                         "no synthetic images in " + o.synthetic.string(),
                                         "synthetic images of every scored class",
                                         "Generate images of it, or leave it out with --classes."));
    }
  }
  // The floor: another real split against the same reference (train, or val when the reference
  // is train itself).
  const std::string floor_split = o.split == "train" ? "val" : "train";
  for (size_t i = 0; i < real.rows().size(); ++i) {
    const auto& r = real.rows()[i];
    if (r.source != "real" || !by_class.count(r.label)) continue;
    ClassRows& rows = by_class[r.label];
    const std::string split = data::split_name(r.split);
    if (split == "train") rows.train.push_back(static_cast<int64_t>(i));
    if (split == o.split) rows.reference.push_back(static_cast<int64_t>(i));
    if (split == "test") rows.test.push_back(static_cast<int64_t>(i));
    if (split == floor_split) rows.floor.push_back(static_cast<int64_t>(i));
  }
  SplitMix rng(o.seed);
  DistributionSettings metric_settings = o.metrics;
  metric_settings.seed = o.seed;
  const int64_t neighbourhood_need = std::max(o.metrics.pr_k, o.metrics.dc_k) + 1;
  const int64_t need =
      std::max<int64_t>({neighbourhood_need, minimum_samples(GenerativeMetric::kKid),
                         minimum_samples(GenerativeMetric::kFid)});
  const std::string need_why =
      "KID needs 4, precision/recall k+1 = " + std::to_string(o.metrics.pr_k + 1) +
      ", density/coverage k+1 = " + std::to_string(o.metrics.dc_k + 1);
  nlohmann::json left_out = nlohmann::json::object();
  std::vector<std::string> kept;
  for (const auto& c : classes) {
    ClassRows& rows = by_class[c];
    // Comparable counts: at most the class's real training count (the floor's sample size).
    const int64_t cap =
        o.max_per_class > 0 ? o.max_per_class : static_cast<int64_t>(rows.train.size());
    rows.synthetic_used = rows.synthetic_all;
    rng.shuffle(rows.synthetic_used);
    rows.synthetic_used.resize(std::min<size_t>(rows.synthetic_used.size(), cap));
    std::sort(rows.synthetic_used.begin(), rows.synthetic_used.end());
    const std::string where = "class '" + c + "' of " + o.real.string();
    try {
      require_count(where + ", split " + o.split, static_cast<int64_t>(rows.reference.size()), need,
                    need_why);
      require_count(where + ", split " + floor_split, static_cast<int64_t>(rows.floor.size()), need,
                    need_why);
      require_count(where + ", split train", static_cast<int64_t>(rows.train.size()), 1,
                    "the copy audit's training images");
      require_count(where + ", split test (the copy audit's real reference)",
                    static_cast<int64_t>(rows.test.size()), 1, "one real test image at least");
      require_count("class '" + c + "' of the synthetic set " + o.synthetic.string(),
                    static_cast<int64_t>(rows.synthetic_used.size()), need, need_why);
      kept.push_back(c);
    } catch (const ConfigError& e) {
      if (!o.skip_small_classes) throw;
      spdlog::warn("score: class {} left out: {}", c, e.what());
      left_out[c] = e.what();
    }
  }
  // Without skip_small_classes a class with too few images has already been refused, so an empty
  // `kept` only happens here.
  if (kept.empty()) {
    // Nothing to measure: say so in the outputs rather than fail a whole study on small data.
    const nlohmann::json scores = {
        {"synthetic", fs::absolute(o.synthetic).lexically_normal().string()},
        {"real", fs::absolute(o.real).lexically_normal().string()},
        {"reference_split", o.split},
        {"classes", nlohmann::json::array()},
        {"left_out", left_out},
        {"note", "no class has enough images to score (see left_out)"}};
    io::remove_stale_staging(o.output);
    io::StagingDir staging(o.output);
    io::write_file_in_staging(staging.path() / "scores.json", scores.dump(2) + "\n");
    io::write_file_in_staging(staging.path() / "scores.md", scores_markdown(scores));
    staging.commit(o.force);
    return scores;
  }
  classes = kept;

  const FeatureModel features = FeatureModel::open(o.features, o.device);
  features.check_compatible("the real set " + o.real.string(), real.image_size(), classes);
  std::unique_ptr<FeatureModel> separate_classifier;
  if (!o.classifier.empty()) {
    separate_classifier =
        std::make_unique<FeatureModel>(FeatureModel::open(o.classifier, o.device));
    if (!separate_classifier->has_classifier()) {
      throw ConfigError(describe_problem("--classifier " + o.classifier.string(),
                                         "a TorchScript file", "a skingan model folder", ""));
    }
    separate_classifier->check_compatible("the real set " + o.real.string(), real.image_size(),
                                          classes);
  }
  const FeatureModel* classifier = separate_classifier
                                       ? separate_classifier.get()
                                       : (features.has_classifier() ? &features : nullptr);

  // Features of every image involved, one pass per set.
  const torch::Tensor real_images = real.load_images(), synthetic_images = synthetic.load_images();
  std::vector<int64_t> real_needed, synthetic_needed;
  for (const auto& c : classes) {
    const ClassRows& r = by_class[c];
    for (const auto* v : {&r.train, &r.reference, &r.floor, &r.test}) {
      real_needed.insert(real_needed.end(), v->begin(), v->end());
    }
    synthetic_needed.insert(synthetic_needed.end(), r.synthetic_all.begin(), r.synthetic_all.end());
  }
  std::sort(real_needed.begin(), real_needed.end());
  real_needed.erase(std::unique(real_needed.begin(), real_needed.end()), real_needed.end());
  spdlog::info("score: features of {} real and {} synthetic images ({})", real_needed.size(),
               synthetic_needed.size(), features.description());
  torch::Tensor real_probabilities, synthetic_probabilities;
  const torch::Tensor real_subset = images_at(real_images, real_needed);
  const torch::Tensor synthetic_subset = images_at(synthetic_images, synthetic_needed);
  // One pass gives features and class probabilities when the feature model is the classifier.
  const bool same = classifier == &features;
  const torch::Tensor real_features =
      features.extract(real_subset, 256, same ? &real_probabilities : nullptr);
  const torch::Tensor synthetic_features =
      features.extract(synthetic_subset, 256, same ? &synthetic_probabilities : nullptr);
  if (classifier && !same) {
    classifier->extract(real_subset, 256, &real_probabilities);
    classifier->extract(synthetic_subset, 256, &synthetic_probabilities);
  }
  // Manifest row -> row of the feature matrices.
  std::map<int64_t, int64_t> real_at, synthetic_at;
  for (size_t i = 0; i < real_needed.size(); ++i) real_at[real_needed[i]] = static_cast<int64_t>(i);
  for (size_t i = 0; i < synthetic_needed.size(); ++i)
    synthetic_at[synthetic_needed[i]] = static_cast<int64_t>(i);
  auto pick = [](const torch::Tensor& m, const std::map<int64_t, int64_t>& at,
                 const std::vector<int64_t>& rows) {
    std::vector<int64_t> idx;
    for (int64_t r : rows) idx.push_back(at.at(r));
    return m.index_select(0, rows_tensor(idx));
  };

  nlohmann::json per_class = nlohmann::json::object();
  std::vector<torch::Tensor> all_ref, all_floor, all_used;
  std::vector<NearestPairs> pairs;
  MeanSpectrum pooled_spectra[3];  // reference, floor, synthetic used: for the pooled texture
  std::string nearest_csv = io::csv_line(
      {"synthetic_id", "label", "nearest_train_id_features", "feature_distance",
       "near_copy_features", "nearest_train_id_pixels", "pixel_distance", "near_copy_pixels"});
  double conditional_sum = 0, conditional_floor_sum = 0;
  int64_t near_feature = 0, near_pixel = 0, synthetic_total = 0;
  int64_t inside_feature = 0, inside_pixel = 0;  // closer than their training image's neighbour
  for (const auto& c : classes) {
    const ClassRows& r = by_class[c];
    const torch::Tensor ref = pick(real_features, real_at, r.reference);
    const torch::Tensor floor = pick(real_features, real_at, r.floor);
    const torch::Tensor train = pick(real_features, real_at, r.train);
    const torch::Tensor test = pick(real_features, real_at, r.test);
    const torch::Tensor used = pick(synthetic_features, synthetic_at, r.synthetic_used);
    const torch::Tensor all = pick(synthetic_features, synthetic_at, r.synthetic_all);
    all_ref.push_back(ref);
    all_floor.push_back(floor);
    all_used.push_back(used);
    const MeanSpectrum spectra[3] = {
        {mean_power_spectrum(images_at(real_images, r.reference)),
         static_cast<int64_t>(r.reference.size())},
        {mean_power_spectrum(images_at(real_images, r.floor)),
         static_cast<int64_t>(r.floor.size())},
        {mean_power_spectrum(images_at(synthetic_images, r.synthetic_used)),
         static_cast<int64_t>(r.synthetic_used.size())}};
    for (int k = 0; k < 3; ++k) pooled_spectra[k].add(spectra[k]);
    nlohmann::json entry = {
        {"score", distribution_metrics(ref, used, metric_settings)},
        {"floor", distribution_metrics(ref, floor, metric_settings)},
        {"synthetic_images", r.synthetic_all.size()},
        {"texture", texture_against_floor(spectra[0].mean, spectra[1].mean, spectra[2].mean)}};
    if (classifier) {
      const int64_t index =
          std::find(classifier->classes().begin(), classifier->classes().end(), c) -
          classifier->classes().begin();
      entry["conditional_accuracy"] =
          recall_of(pick(synthetic_probabilities, synthetic_at, r.synthetic_used), index);
      entry["conditional_accuracy_floor"] =
          recall_of(pick(real_probabilities, real_at, r.reference), index);
      conditional_sum += entry["conditional_accuracy"].get<double>();
      conditional_floor_sum += entry["conditional_accuracy_floor"].get<double>();
    }
    // Copy audit over every synthetic image of the class, in both spaces.
    const CopyAudit in_features = audit_copies(all, train, test);
    const torch::Tensor train_pixels = pixel_vectors(images_at(real_images, r.train));
    const torch::Tensor all_images = images_at(synthetic_images, r.synthetic_all);
    const CopyAudit in_pixels = audit_copies(pixel_vectors(all_images), train_pixels,
                                             pixel_vectors(images_at(real_images, r.test)));
    entry["memorisation"] = {
        {"features", in_features.to_json(static_cast<int64_t>(r.test.size()))},
        {"pixels", in_pixels.to_json(static_cast<int64_t>(r.test.size()))},
        {"reference", "real test images of the class vs its real training images, 1st percentile"}};
    near_feature += in_features.near_copies();
    near_pixel += in_pixels.near_copies();
    inside_feature += in_features.inside_neighbour;
    inside_pixel += in_pixels.inside_neighbour;
    synthetic_total += static_cast<int64_t>(r.synthetic_all.size());
    const auto feature_index = in_features.index.accessor<int64_t, 1>();
    const auto pixel_index = in_pixels.index.accessor<int64_t, 1>();
    const auto feature_distance = in_features.distance.accessor<double, 1>();
    const auto pixel_distance = in_pixels.distance.accessor<double, 1>();
    for (size_t i = 0; i < r.synthetic_all.size(); ++i) {
      const auto at = static_cast<int64_t>(i);
      const double fd = feature_distance[at], pd = pixel_distance[at];
      nearest_csv += io::csv_line(
          {synthetic.rows()[r.synthetic_all[i]].id, c, real.rows()[r.train[feature_index[at]]].id,
           format_number(fd, "%.6g"), fd < in_features.threshold ? "1" : "0",
           real.rows()[r.train[pixel_index[at]]].id, format_number(pd, "%.6g"),
           pd < in_pixels.threshold ? "1" : "0"});
    }
    // The closest pairs in feature space, for the picture.
    const torch::Tensor order = in_features.distance.argsort();
    NearestPairs p;
    p.label = c;
    std::vector<int64_t> syn_rows, real_rows;
    for (int64_t i = 0; i < std::min<int64_t>(o.pairs_per_class, order.size(0)); ++i) {
      const int64_t s_i = order[i].item<int64_t>();
      syn_rows.push_back(r.synthetic_all[s_i]);
      real_rows.push_back(r.train[in_features.index[s_i].item<int64_t>()]);
      p.distances.push_back(in_features.distance[s_i].item<double>());
      p.near_copy.push_back(p.distances.back() < in_features.threshold);
    }
    p.synthetic = images_at(synthetic_images, syn_rows);
    p.real = images_at(real_images, real_rows);
    pairs.push_back(std::move(p));
    per_class[c] = std::move(entry);
  }
  const torch::Tensor ref_all = torch::cat(all_ref), floor_all = torch::cat(all_floor),
                      used_all = torch::cat(all_used);
  nlohmann::json overall = {
      {"score", distribution_metrics(ref_all, used_all, metric_settings)},
      {"floor", distribution_metrics(ref_all, floor_all, metric_settings)},
      {"memorisation",
       {{"synthetic_images", synthetic_total},
        {"near_copies_features", near_feature},
        {"near_copies_pixels", near_pixel},
        {"near_copy_share_features", static_cast<double>(near_feature) / synthetic_total},
        {"near_copy_share_pixels", static_cast<double>(near_pixel) / synthetic_total},
        {"inside_neighbour_share_features", static_cast<double>(inside_feature) / synthetic_total},
        {"inside_neighbour_share_pixels", static_cast<double>(inside_pixel) / synthetic_total}}},
      {"texture", texture_against_floor(pooled_spectra[0].mean, pooled_spectra[1].mean,
                                        pooled_spectra[2].mean)}};
  const double k = static_cast<double>(classes.size());
  if (classifier) {
    overall["conditional_accuracy"] = conditional_sum / k;
    overall["conditional_accuracy_floor"] = conditional_floor_sum / k;
  }

  nlohmann::json scores = {
      {"synthetic", fs::absolute(o.synthetic).lexically_normal().string()},
      {"real", fs::absolute(o.real).lexically_normal().string()},
      {"reference_split", o.split},
      {"floor", "real " + floor_split + " split vs real " + o.split + " split"},
      {"feature_space", features.to_json()},
      {"feature_space_description", features.description()},
      {"note", kFeatureSpaceNote},
      {"classifier", classifier ? classifier->to_json() : nlohmann::json(nullptr)},
      {"classes", classes},
      {"left_out", left_out},
      {"per_class", per_class},
      {"overall", overall},
      {"settings",
       {{"kid_subsets", o.metrics.kid_subsets},
        {"kid_subset_size", o.metrics.kid_subset_size},
        {"precision_recall_k", o.metrics.pr_k},
        {"density_coverage_k", o.metrics.dc_k},
        {"max_per_class", o.max_per_class},
        {"synthetic_per_class",
         o.max_per_class > 0 ? "at most max_per_class" : "at most the class's real training count"},
        {"near_copy_quantile", kNearCopyQuantile},
        {"seed", o.seed}}}};

  io::remove_stale_staging(o.output);
  io::StagingDir staging(o.output);
  if (o.cas) {
    CasRequest request{o.real, o.synthetic, classes, staging.path() / "cas"};
    scores["cas"] = o.cas(request);
  } else {
    scores["cas"] = {{"computed", false}, {"reason", "not requested (--no-cas)"}};
  }
  io::write_file_in_staging(staging.path() / "nearest.csv", nearest_csv);
  io::write_file_in_staging(staging.path() / "scores.json", scores.dump(2) + "\n");
  io::write_file_in_staging(staging.path() / "scores.md", scores_markdown(scores));
  if (o.extra_outputs) o.extra_outputs(staging.path(), scores, pairs);
  staging.commit(o.force);
  return scores;
}

}  // namespace skingan::eval
