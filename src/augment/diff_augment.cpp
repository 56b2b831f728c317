#include "augment/diff_augment.h"

#include <sstream>

#include <torch/torch.h>

#include "core/error.h"
#include "core/host_to_device.h"

namespace skingan::augment {

DiffAugmentPolicy parse_diff_augment(const std::string& text) {
  DiffAugmentPolicy policy;
  if (text.empty() || text == "none") return policy;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == "color") {
      policy.color = true;
    } else if (item == "translation") {
      policy.translation = true;
    } else if (item == "cutout") {
      policy.cutout = true;
    } else {
      throw ConfigError(describe_problem("--diffaugment", "'" + item + "'",
                                         "a comma-separated subset of color,translation,cutout "
                                         "(or none)",
                                         ""));
    }
  }
  return policy;
}

std::string to_string(const DiffAugmentPolicy& policy) {
  std::string text;
  if (policy.color) text += "color";
  if (policy.translation) text += std::string(text.empty() ? "" : ",") + "translation";
  if (policy.cutout) text += std::string(text.empty() ? "" : ",") + "cutout";
  return text.empty() ? "none" : text;
}

namespace {

// Uniform [0,1) of shape [N,1,1,1] drawn on the CPU (the same draws on every device) for the
// shard's whole batch, this shard's rows moved to x's device and dtype.
torch::Tensor per_sample_uniform(const torch::Tensor& x, at::Generator& generator,
                                 const BatchShard& shard) {
  const int64_t n = x.size(0);
  const torch::Tensor drawn = torch::rand({shard.draw_rows(n), 1, 1, 1}, generator, torch::kFloat);
  return to_device(shard.take(drawn, n).to(x.scalar_type()), x.device());
}

// Integers in [low, high) of shape [N,1,1] for the shard's whole batch, this shard's rows on
// x's device.
torch::Tensor per_sample_integer(const torch::Tensor& x, int64_t low, int64_t high,
                                 at::Generator& generator, const BatchShard& shard) {
  const int64_t n = x.size(0);
  const torch::Tensor drawn =
      torch::randint(low, high, {shard.draw_rows(n), 1, 1}, generator, torch::kLong);
  return to_device(shard.take(drawn, n), x.device());
}

torch::Tensor color(const torch::Tensor& x, at::Generator& generator, const BatchShard& shard) {
  auto uniform = [&] { return per_sample_uniform(x, generator, shard); };
  torch::Tensor out = x + (uniform() - 0.5);                               // brightness
  const torch::Tensor channel_mean = out.mean(1, /*keepdim=*/true);        // [N,1,H,W]
  out = (out - channel_mean) * (uniform() * 2) + channel_mean;             // saturation
  const torch::Tensor image_mean = out.mean({1, 2, 3}, /*keepdim=*/true);  // [N,1,1,1]
  return (out - image_mean) * (uniform() + 0.5) + image_mean;              // contrast
}

torch::Tensor translation(const torch::Tensor& x, double ratio, at::Generator& generator,
                          const BatchShard& shard) {
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  const int64_t sh = static_cast<int64_t>(h * ratio + 0.5),
                sw = static_cast<int64_t>(w * ratio + 0.5);
  const auto device = torch::TensorOptions().dtype(torch::kLong).device(x.device());
  const torch::Tensor shift_y = per_sample_integer(x, -sh, sh + 1, generator, shard);  // [N,1,1]
  const torch::Tensor shift_x = per_sample_integer(x, -sw, sw + 1, generator, shard);
  // Source row/column of every output pixel in a 1-pixel zero-padded copy: [N,H,W] each.
  const torch::Tensor rows =
      (torch::arange(h, device).view({1, h, 1}) + shift_y + 1).clamp(0, h + 1).expand({n, h, w});
  const torch::Tensor cols =
      (torch::arange(w, device).view({1, 1, w}) + shift_x + 1).clamp(0, w + 1).expand({n, h, w});
  const torch::Tensor batch = torch::arange(n, device).view({n, 1, 1}).expand({n, h, w});
  const torch::Tensor padded =
      torch::constant_pad_nd(x, {1, 1, 1, 1}).permute({0, 2, 3, 1});  // [N,H+2,W+2,C]
  return padded.index({batch, rows, cols}).permute({0, 3, 1, 2});     // [N,C,H,W]
}

torch::Tensor cutout(const torch::Tensor& x, double ratio, at::Generator& generator,
                     const BatchShard& shard) {
  const int64_t h = x.size(2), w = x.size(3);
  const int64_t ch = static_cast<int64_t>(h * ratio + 0.5),
                cw = static_cast<int64_t>(w * ratio + 0.5);
  const auto device = torch::TensorOptions().dtype(torch::kLong).device(x.device());
  // Square centres anywhere such that the square may hang over the border (as in the paper).
  const torch::Tensor top = per_sample_integer(x, 0, h + (1 - ch % 2), generator, shard) - ch / 2;
  const torch::Tensor left = per_sample_integer(x, 0, w + (1 - cw % 2), generator, shard) - cw / 2;
  const torch::Tensor ys = torch::arange(h, device).view({1, h, 1});
  const torch::Tensor xs = torch::arange(w, device).view({1, 1, w});
  const torch::Tensor inside =
      (ys >= top) & (ys < top + ch) & (xs >= left) & (xs < left + cw);  // [N,H,W]
  return x * (~inside).unsqueeze(1).to(x.scalar_type());
}

// Every operation of the policy on x, each kept per image where keep(before, after) says so.
template <typename Keep>
torch::Tensor apply_policy(const torch::Tensor& x, const DiffAugmentPolicy& policy,
                           at::Generator& generator, const BatchShard& shard, Keep keep) {
  torch::Tensor out = x;
  if (policy.color) out = keep(out, color(out, generator, shard));
  if (policy.translation) {
    out = keep(out, translation(out, policy.translation_ratio, generator, shard));
  }
  if (policy.cutout) out = keep(out, cutout(out, policy.cutout_ratio, generator, shard));
  return out;
}

}  // namespace

torch::Tensor diff_augment(const torch::Tensor& x, const DiffAugmentPolicy& policy,
                           at::Generator& generator, double probability, BatchShard shard) {
  TORCH_CHECK(x.dim() == 4, "diff_augment expects [N,C,H,W], got ", x.sizes());
  TORCH_CHECK(probability >= 0 && probability <= 1, "diff_augment: probability ", probability,
              " outside [0,1]");
  if (probability <= 0) return x;
  // Each operation, kept for the images whose draw falls under `probability` ([N,1,1,1] mask).
  return apply_policy(
      x, policy, generator, shard, [&](const torch::Tensor& before, const torch::Tensor& after) {
        if (probability >= 1) return after;
        const torch::Tensor apply = per_sample_uniform(before, generator, shard) < probability;
        return torch::where(apply, after, before);
      });
}

torch::Tensor diff_augment(const torch::Tensor& x, const DiffAugmentPolicy& policy,
                           at::Generator& generator, const torch::Tensor& probability,
                           BatchShard shard) {
  TORCH_CHECK(x.dim() == 4, "diff_augment expects [N,C,H,W], got ", x.sizes());
  TORCH_CHECK(probability.dim() == 1 && probability.size(0) == x.size(0),
              "diff_augment: one probability per image expected, [", x.size(0), "], got ",
              probability.sizes());
  const torch::Tensor threshold = probability.to(x.scalar_type()).view({-1, 1, 1, 1});  // [N,1,1,1]
  return apply_policy(
      x, policy, generator, shard, [&](const torch::Tensor& before, const torch::Tensor& after) {
        const torch::Tensor apply = per_sample_uniform(before, generator, shard) < threshold;
        return torch::where(apply, after, before);
      });
}

}  // namespace skingan::augment
