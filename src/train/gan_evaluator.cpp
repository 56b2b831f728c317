#include "train/gan_evaluator.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "eval/generative_metrics.h"
#include "eval/image_spectrum.h"

namespace skingan::train {

namespace {

// uint8 [N,3,S,S] -> float in [-1,1], as the trainer feeds D.
torch::Tensor to_unit_range(const torch::Tensor& pixels) {
  return pixels.to(torch::kFloat).div(127.5).sub(1.0);
}

}  // namespace

std::vector<EvalClass> eval_classes(const data::PreparedSet& set, const at::Tensor& all_images,
                                    const std::vector<std::string>& row_labels,
                                    const std::vector<std::string>& classes,
                                    nlohmann::json& left_out) {
  std::vector<EvalClass> out;
  for (size_t k = 0; k < row_labels.size(); ++k) {
    const std::string& label = row_labels[k];
    std::vector<int64_t> rows, train_rows;
    for (size_t i = 0; i < set.rows().size(); ++i) {
      const auto& r = set.rows()[i];
      if (r.source != "real") continue;
      const bool wanted = label == "all"
                              ? std::find(classes.begin(), classes.end(), r.label) != classes.end()
                              : r.label == label;
      if (!wanted) continue;
      if (r.split == data::Split::kValidation) rows.push_back(static_cast<int64_t>(i));
      if (r.split == data::Split::kTrain) train_rows.push_back(static_cast<int64_t>(i));
    }
    if (rows.size() < 4) {
      const std::string why =
          std::to_string(rows.size()) + " real validation images, fewer than KID's minimum of 4";
      left_out[label] = why;
      continue;
    }
    out.push_back({label, static_cast<int64_t>(k),
                   all_images.index_select(0, torch::tensor(rows, torch::kLong)),
                   all_images.index_select(0, torch::tensor(train_rows, torch::kLong))});
  }
  return out;
}

GanEvaluator::GanEvaluator(const eval::FeatureModel& features,
                           const std::vector<EvalClass>& reference, int64_t images_per_class,
                           uint64_t seed, int64_t latent_dim)
    : features_(features) {
  TORCH_CHECK(!reference.empty(), "GanEvaluator needs at least one class to score");
  std::vector<torch::Tensor> reference_images;
  for (const auto& c : reference) {
    labels_.push_back(c.label);
    indices_.push_back(c.index);
    reference_features_.push_back(features_.extract(c.images));
    reference_images.push_back(c.images);
    reference_images_.push_back(c.images);
    // At most images_per_class training images, evenly spaced through the class's rows.
    const int64_t m = c.train_images.defined() ? c.train_images.size(0) : 0;
    const int64_t keep = std::min(m, images_per_class);
    train_images_.push_back(
        keep == 0
            ? torch::Tensor()
            : c.train_images.index_select(
                  0,
                  torch::linspace(0, static_cast<double>(m - 1), keep).round().to(torch::kLong)));
  }
  reference_spectrum_ = eval::mean_power_spectrum(torch::cat(reference_images));
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
      auto mean_logit = [&](const torch::Tensor& x) {
        const torch::Tensor y = torch::full({x.size(0)}, indices_[k], torch::kLong);
        return trainer.discriminator_logits(x, y).to(torch::kDouble).mean().item<double>();
      };
      const double on_train = mean_logit(to_unit_range(train_images_[k]));
      const double on_validation = mean_logit(to_unit_range(reference_images_[k]));
      const double on_generated = mean_logit(images);
      if (std::abs(on_train - on_generated) > 1e-6) {
        const double r_v = (on_train - on_validation) / (on_train - on_generated);
        overfit_per_class[labels_[k]] = r_v;
        overfit_sum += r_v;
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
