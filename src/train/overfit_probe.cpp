#include "train/overfit_probe.h"

#include <algorithm>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace skingan::train {

torch::Tensor pixels_to_unit_range(const torch::Tensor& pixels) {
  return pixels.to(torch::kFloat).div(127.5).sub(1.0);
}

std::vector<int64_t> evenly_spaced(int64_t count, int64_t keep) {
  keep = std::min(count, keep);
  std::vector<int64_t> positions;
  for (int64_t j = 0; j < keep; ++j) {
    // j (keep - 1) / (count - 1) rounded, in integers
    positions.push_back(keep == 1 ? 0 : (j * (count - 1) + (keep - 1) / 2) / (keep - 1));
  }
  return positions;
}

torch::Tensor evenly_spaced_per_class(const torch::Tensor& labels, int64_t classes,
                                      int64_t per_class) {
  const torch::Tensor l = labels.to(torch::kCPU, torch::kLong).contiguous();
  std::vector<std::vector<int64_t>> rows(static_cast<size_t>(classes));
  for (int64_t i = 0; i < l.size(0); ++i) {
    const int64_t k = l[i].item<int64_t>();
    TORCH_CHECK(k >= 0 && k < classes, "evenly_spaced_per_class: label ", k, " outside [0, ",
                classes, ")");
    rows[static_cast<size_t>(k)].push_back(i);
  }
  std::vector<int64_t> kept;
  for (const auto& r : rows) {
    for (int64_t position : evenly_spaced(static_cast<int64_t>(r.size()), per_class)) {
      kept.push_back(r[static_cast<size_t>(position)]);
    }
  }
  return torch::tensor(kept, torch::kLong);
}

OverfitProbe make_overfit_probe(const torch::Tensor& train_images,
                                const torch::Tensor& train_labels,
                                const torch::Tensor& validation_images,
                                const torch::Tensor& validation_labels, int64_t classes,
                                int64_t latent_dim, uint64_t seed) {
  OverfitProbe probe;
  const torch::Tensor t = evenly_spaced_per_class(train_labels, classes, kOverfitProbeImages);
  probe.train_images = train_images.index_select(0, t.to(train_images.device()));
  probe.train_labels = train_labels.to(torch::kCPU, torch::kLong).index_select(0, t);
  const torch::Tensor v = evenly_spaced_per_class(validation_labels, classes, kOverfitProbeImages);
  probe.validation_images = validation_images.index_select(0, v.to(validation_images.device()));
  probe.validation_labels = validation_labels.to(torch::kCPU, torch::kLong).index_select(0, v);
  probe.fake_labels = torch::arange(classes, torch::kLong).repeat_interleave(kOverfitProbeImages);
  at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(seed);
  probe.noise = torch::randn({probe.fake_labels.size(0), latent_dim}, rng, torch::kFloat);
  return probe;
}

std::pair<torch::Tensor, torch::Tensor> overfit_ratio(
    const torch::Tensor& train_logits, const torch::Tensor& train_labels,
    const torch::Tensor& validation_logits, const torch::Tensor& validation_labels,
    const torch::Tensor& fake_logits, const torch::Tensor& fake_labels, int64_t groups) {
  // Per group: [groups] sums and counts of one kind of image.
  auto mean_and_count = [&](const torch::Tensor& logits, const torch::Tensor& labels) {
    const torch::Tensor x = logits.to(torch::kCPU, torch::kDouble).reshape({-1});
    const torch::Tensor g = groups == 1 ? torch::zeros({x.size(0)}, torch::kLong)
                                        : labels.to(torch::kCPU, torch::kLong);
    const torch::Tensor zeros = torch::zeros({groups}, torch::kDouble);
    const torch::Tensor sums = zeros.index_add(0, g, x);
    const torch::Tensor counts = zeros.index_add(0, g, torch::ones_like(x));
    return std::make_pair(sums / counts.clamp_min(1), counts);
  };
  const auto [on_train, n_train] = mean_and_count(train_logits, train_labels);
  const auto [on_validation, n_validation] = mean_and_count(validation_logits, validation_labels);
  const auto [on_fake, n_fake] = mean_and_count(fake_logits, fake_labels);
  const torch::Tensor separation = on_train - on_fake;
  const torch::Tensor valid =
      ((n_train > 0) & (n_validation > 0) & (n_fake > 0) & (separation.abs() > 1e-6))
          .to(torch::kDouble);
  const torch::Tensor r_v =
      torch::where(valid > 0, (on_train - on_validation) / separation, torch::zeros_like(valid));
  return {r_v, valid};
}

}  // namespace skingan::train
