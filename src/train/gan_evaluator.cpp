#include "train/gan_evaluator.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "core/error.h"
#include "core/text.h"
#include "eval/generative_metrics.h"
#include "eval/image_spectrum.h"
#include "train/overfit_probe.h"

namespace skingan::train {

namespace {

// The set's real rows of `label` ("all": of every class in `classes`) in `split`.
std::vector<int64_t> label_rows(const data::PreparedSet& set, const std::string& label,
                                const std::vector<std::string>& classes, data::Split split) {
  std::vector<int64_t> rows;
  for (size_t i = 0; i < set.rows().size(); ++i) {
    const auto& r = set.rows()[i];
    if (r.source != "real" || r.split != split) continue;
    const bool wanted = label == "all"
                            ? std::find(classes.begin(), classes.end(), r.label) != classes.end()
                            : r.label == label;
    if (wanted) rows.push_back(static_cast<int64_t>(i));
  }
  return rows;
}

}  // namespace

std::vector<EvalClass> eval_classes(const data::PreparedSet& set, const at::Tensor& all_images,
                                    const std::vector<std::string>& row_labels,
                                    const std::vector<std::string>& classes,
                                    nlohmann::json& left_out) {
  std::vector<EvalClass> out;
  for (size_t k = 0; k < row_labels.size(); ++k) {
    const std::string& label = row_labels[k];
    const std::vector<int64_t> rows = label_rows(set, label, classes, data::Split::kValidation);
    if (rows.size() < 4) {
      const std::string why =
          std::to_string(rows.size()) + " real validation images, fewer than KID's minimum of 4";
      left_out[label] = why;
      continue;
    }
    const std::vector<int64_t> train_rows = label_rows(set, label, classes, data::Split::kTrain);
    out.push_back({label, static_cast<int64_t>(k),
                   all_images.index_select(0, torch::tensor(rows, torch::kLong)),
                   all_images.index_select(0, torch::tensor(train_rows, torch::kLong))});
  }
  return out;
}

std::pair<at::Tensor, at::Tensor> validation_images(const data::PreparedSet& set,
                                                    const at::Tensor& all_images,
                                                    const std::vector<std::string>& row_labels,
                                                    const std::vector<std::string>& classes) {
  std::vector<int64_t> rows, labels;
  for (size_t k = 0; k < row_labels.size(); ++k) {
    for (int64_t row : label_rows(set, row_labels[k], classes, data::Split::kValidation)) {
      rows.push_back(row);
      labels.push_back(static_cast<int64_t>(k));
    }
  }
  if (rows.empty()) {
    throw ConfigError(describe_problem(
        "--ada-heuristic rv", "no real validation images of " + join(row_labels, ", "),
        "held-out images to measure D's memorisation on",
        "Prepare the set with a validation split, or use --ada-heuristic rt."));
  }
  return {all_images.index_select(0, torch::tensor(rows, torch::kLong)),
          torch::tensor(labels, torch::kLong)};
}

GanEvaluator::GanEvaluator(const eval::FeatureModel& features,
                           const std::vector<EvalClass>& reference, int64_t images_per_class,
                           uint64_t seed, int64_t latent_dim)
    : features_(features) {
  TORCH_CHECK(!reference.empty(), "GanEvaluator needs at least one class to score");
  for (const auto& c : reference) {
    labels_.push_back(c.label);
    indices_.push_back(c.index);
    reference_features_.push_back(features_.extract(c.images));
    reference_images_.push_back(c.images);
    // At most images_per_class training images, evenly spaced through the class's rows.
    const int64_t m = c.train_images.defined() ? c.train_images.size(0) : 0;
    train_images_.push_back(
        m == 0 ? torch::Tensor()
               : c.train_images.index_select(
                     0, torch::tensor(evenly_spaced(m, images_per_class), torch::kLong)));
  }
  reference_spectrum_ = eval::mean_power_spectrum(torch::cat(reference_images_));
  // Its own generator, so evaluating never moves the training RNG (resume stays exact).
  at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(seed);
  noise_ = torch::randn({images_per_class, latent_dim}, rng, torch::kFloat);
}

nlohmann::json GanEvaluator::evaluate(GanTrainer& trainer) const {
  eval::DistributionSettings settings;
  settings.kid_subsets = 50;
  nlohmann::json kid_per_class = nlohmann::json::object(), fid_per_class = nlohmann::json::object();
  double kid_sum = 0, kid_std_sum = 0, fid_sum = 0;
  int64_t fid_count = 0;
  const GanTrainer::Sampler sampler(trainer, /*use_ema=*/true);  // one standing-statistics pass
  std::vector<torch::Tensor> all_pixels;
  nlohmann::json overfit_per_class = nlohmann::json::object();
  double overfit_sum = 0;
  int64_t overfit_count = 0;
  for (size_t k = 0; k < labels_.size(); ++k) {
    const torch::Tensor labels = torch::full({noise_.size(0)}, indices_[k], torch::kLong);
    const torch::Tensor images = sampler.generate(noise_, labels);  // [-1,1]
    overfit_per_class[labels_[k]] = nullptr;
    if (train_images_[k].defined()) {
      // D's logits on each kind of image, all of this label: [n], [v], [images_per_class].
      auto logits = [&](const torch::Tensor& x) {
        return trainer.discriminator_logits(x, torch::full({x.size(0)}, indices_[k], torch::kLong));
      };
      auto group = [](const torch::Tensor& x) { return torch::zeros({x.size(0)}, torch::kLong); };
      const torch::Tensor on_train = logits(pixels_to_unit_range(train_images_[k]));
      const torch::Tensor on_validation = logits(pixels_to_unit_range(reference_images_[k]));
      const torch::Tensor on_generated = logits(images);
      const auto [r_v, valid] =
          overfit_ratio(on_train, group(on_train), on_validation, group(on_validation),
                        on_generated, group(on_generated), /*groups=*/1);
      if (valid.item<double>() > 0) {
        overfit_per_class[labels_[k]] = r_v.item<double>();
        overfit_sum += r_v.item<double>();
        ++overfit_count;
      }
    }
    const torch::Tensor pixels =
        images.add(1).mul(127.5).round().clamp(0, 255).to(torch::kCPU, torch::kByte);
    all_pixels.push_back(pixels);
    const torch::Tensor synthetic = features_.extract(pixels);
    const nlohmann::json m = eval::distribution_metrics(
        reference_features_[k], synthetic, settings, kFidMinImages, /*with_neighbourhoods=*/false);
    kid_per_class[labels_[k]] = m.at("kid").at("mean");
    kid_sum += m.at("kid").at("mean").get<double>();
    kid_std_sum += m.at("kid").at("std").get<double>();
    if (!m.at("fid").is_null()) {
      fid_per_class[labels_[k]] = m.at("fid");
      fid_sum += m.at("fid").get<double>();
      ++fid_count;
    }
  }
  const double n = static_cast<double>(labels_.size());
  const eval::SpectrumComparison texture =
      eval::compare_spectra(reference_spectrum_, eval::mean_power_spectrum(torch::cat(all_pixels)));
  return {{"kid", kid_sum / n},
          {"texture_high_frequency", texture.high_frequency_ratio},
          {"texture_peak", texture.peak_ratio},
          {"kid_std", kid_std_sum / n},
          {"fid", fid_count > 0 ? nlohmann::json(fid_sum / fid_count) : nlohmann::json(nullptr)},
          {"kid_per_class", kid_per_class},
          {"fid_per_class", fid_per_class},
          {"d_overfit", overfit_count > 0 ? nlohmann::json(overfit_sum / overfit_count)
                                          : nlohmann::json(nullptr)},
          {"d_overfit_per_class", overfit_per_class}};
}

}  // namespace skingan::train
