#include "augment/classic.h"

#include <cmath>

#include <torch/torch.h>

#include "core/error.h"
#include "core/host_to_device.h"

namespace skingan::augment {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Uniform [N] in [low, high) from the CPU generator (the same draws on every device), moved to
// `device` without waiting for it.
torch::Tensor uniform(int64_t n, double low, double high, at::Generator& g, torch::Device device) {
  return to_device(torch::rand({n}, g, torch::kFloat) * (high - low) + low, device);
}

torch::Tensor grayscale(const torch::Tensor& x) {  // [N,3,S,S] -> [N,1,S,S] (ITU-R 601 luma)
  return (0.299 * x.select(1, 0) + 0.587 * x.select(1, 1) + 0.114 * x.select(1, 2)).unsqueeze(1);
}

// Rotates hue by `turns` per image: a rotation about the grey axis in RGB (exact for the hue
// angle of the YIQ plane, and cheap: one 3x3 matrix per image).
torch::Tensor rotate_hue(const torch::Tensor& x, const torch::Tensor& turns) {
  const torch::Tensor angle = turns * (2 * kPi);
  const torch::Tensor c = torch::cos(angle), s = torch::sin(angle);
  const double third = 1.0 / 3.0, root = std::sqrt(third);
  // Rodrigues' rotation about the unit vector (1,1,1)/sqrt(3).
  auto entry = [&](double diagonal, double sign) {
    return c * (diagonal - third) + third + sign * root * s;
  };
  const torch::Tensor m = torch::stack({torch::stack({entry(1, 0), entry(0, -1), entry(0, 1)}, 1),
                                        torch::stack({entry(0, 1), entry(1, 0), entry(0, -1)}, 1),
                                        torch::stack({entry(0, -1), entry(0, 1), entry(1, 0)}, 1)},
                                       1);  // [N,3,3]
  return torch::einsum("nij,njhw->nihw", {m, x});
}

}  // namespace

bool ClassicPolicy::any() const {
  return flips || rotate90 || max_degrees > 0 || min_scale < 1 || max_aspect > 1 ||
         brightness > 0 || contrast > 0 || saturation > 0 || hue > 0;
}

ClassicPolicy parse_classic_policy(const std::string& name) {
  ClassicPolicy p;
  if (name == "none") return p;
  if (name == "classic") {
    p.flips = p.rotate90 = true;
    p.max_degrees = 15;
    p.min_scale = 0.75;
    p.max_aspect = 4.0 / 3.0;
    p.brightness = p.contrast = p.saturation = 0.2;
    p.hue = 0.03;
    return p;
  }
  throw ConfigError(
      describe_problem("--augment " + name, "an unknown policy", "none or classic", ""));
}

std::string describe(const ClassicPolicy& p) {
  if (!p.any()) return "none";
  char text[256];
  std::snprintf(text, sizeof(text),
                "flips %s, rot90 %s, rotate +-%.0f deg, crop scale %.2f..1 aspect 1/%.2f..%.2f, "
                "brightness/contrast/saturation %.2f/%.2f/%.2f, hue %.2f",
                p.flips ? "on" : "off", p.rotate90 ? "on" : "off", p.max_degrees, p.min_scale,
                p.max_aspect, p.max_aspect, p.brightness, p.contrast, p.saturation, p.hue);
  return text;
}

torch::Tensor classic_augment(const torch::Tensor& images, const ClassicPolicy& p, at::Generator& g,
                              BatchShard shard) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3, "classic_augment expects [N,3,S,S], got ",
              images.sizes());
  if (!p.any()) return images;
  const int64_t n = images.size(0);
  const int64_t total = shard.draw_rows(n);
  const auto device = images.device();
  // [n]: this batch's rows of `total` draws.
  auto draw = [&](double low, double high) {
    return uniform(total, low, high, g, device).slice(0, shard.first, shard.first + n);
  };
  torch::Tensor x = images;
  if (p.flips) {
    const torch::Tensor h = (draw(0, 1) < 0.5).view({n, 1, 1, 1});
    const torch::Tensor v = (draw(0, 1) < 0.5).view({n, 1, 1, 1});
    x = torch::where(h, x.flip({3}), x);
    x = torch::where(v, x.flip({2}), x);
  }
  // Rotation (k * 90 + small angle) and random resized crop as one affine map of the sampling
  // grid: output pixel p samples input at A p, A = R(angle) * diag(sx, sy) (normalised coords).
  if (p.rotate90 || p.max_degrees > 0 || p.min_scale < 1 || p.max_aspect > 1) {
    torch::Tensor angle = torch::zeros({n}, torch::TensorOptions(torch::kFloat).device(device));
    if (p.rotate90) {
      angle = angle + to_device(torch::randint(0, 4, {total}, g, torch::kLong)
                                    .slice(0, shard.first, shard.first + n)
                                    .to(torch::kFloat),
                                device) *
                          (kPi / 2);
    }
    if (p.max_degrees > 0) angle = angle + draw(-p.max_degrees, p.max_degrees) * (kPi / 180);
    const torch::Tensor area = draw(p.min_scale, 1);
    const torch::Tensor log_aspect = draw(-std::log(p.max_aspect), std::log(p.max_aspect));
    // Crop side lengths as fractions of the image: area = sx * sy, aspect = sx / sy.
    const torch::Tensor sx = torch::sqrt(area * torch::exp(log_aspect)).clamp_max(1.0);
    const torch::Tensor sy = torch::sqrt(area / torch::exp(log_aspect)).clamp_max(1.0);
    // The crop's centre anywhere that keeps it inside the image.
    const torch::Tensor cx = (draw(-1, 1)) * (1 - sx);
    const torch::Tensor cy = (draw(-1, 1)) * (1 - sy);
    const torch::Tensor c = torch::cos(angle), s = torch::sin(angle);
    const torch::Tensor theta = torch::stack(
        {torch::stack({c * sx, -s * sy, cx}, 1), torch::stack({s * sx, c * sy, cy}, 1)}, 1);
    const torch::Tensor grid = torch::nn::functional::affine_grid(theta, x.sizes(), false);
    x = torch::nn::functional::grid_sample(x, grid,
                                           torch::nn::functional::GridSampleFuncOptions()
                                               .mode(torch::kBilinear)
                                               .padding_mode(torch::kReflection)
                                               .align_corners(false));
  }
  if (p.brightness > 0) x = x * draw(1 - p.brightness, 1 + p.brightness).view({n, 1, 1, 1});
  if (p.contrast > 0) {
    const torch::Tensor mean = grayscale(x).mean({1, 2, 3}, true);
    const torch::Tensor f = draw(1 - p.contrast, 1 + p.contrast).view({n, 1, 1, 1});
    x = (x - mean) * f + mean;
  }
  if (p.saturation > 0) {
    const torch::Tensor grey = grayscale(x);
    const torch::Tensor f = draw(1 - p.saturation, 1 + p.saturation).view({n, 1, 1, 1});
    x = (x - grey) * f + grey;
  }
  if (p.hue > 0) x = rotate_hue(x, draw(-p.hue, p.hue));
  return x.clamp(0, 1);
}

}  // namespace skingan::augment
