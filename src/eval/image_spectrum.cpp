#include "eval/image_spectrum.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>  // with torch/fft.h (1.13's fft.h alone does not compile)

namespace skingan::eval {
namespace {

constexpr int64_t kBands = 8;  // width 1/16 over 0..0.5
constexpr int64_t kChunk = 256;

}  // namespace

at::Tensor radial_frequency(int64_t size) {
  const auto opts = torch::dtype(torch::kDouble);
  const torch::Tensor vertical = torch::fft::fftfreq(size, 1.0, opts).view({size, 1});
  const torch::Tensor horizontal = torch::fft::rfftfreq(size, 1.0, opts).view({1, size / 2 + 1});
  return (vertical.square() + horizontal.square()).sqrt();  // [S, S/2+1]
}

at::Tensor mean_power_spectrum(const at::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) == images.size(3) &&
                  images.size(0) >= 1,
              "mean_power_spectrum expects images [N>=1,3,S,S], got ", images.sizes());
  const int64_t n = images.size(0), s = images.size(2);
  const auto opts = torch::dtype(torch::kDouble);
  const torch::Tensor window = hann_window_2d(s, opts);  // [S,S]
  const torch::Tensor luma_weights = torch::tensor({0.299, 0.587, 0.114}, opts).view({1, 3, 1, 1});
  torch::Tensor sum = torch::zeros({s, s / 2 + 1}, opts);
  // In chunks: 10,000 images at 128 px in double would otherwise take gigabytes at once.
  for (int64_t start = 0; start < n; start += kChunk) {
    const torch::Tensor chunk =
        images.slice(0, start, std::min(n, start + kChunk)).to(torch::kCPU, torch::kDouble) / 255.0;
    torch::Tensor luma = (chunk * luma_weights).sum(1);  // [n,S,S]
    luma = (luma - luma.mean({1, 2}, /*keepdim=*/true)) * window;
    sum += torch::fft::rfft2(luma).abs().square().sum(0);  // [S, S/2+1]
  }
  return sum / (static_cast<double>(n) * s * s);
}

at::Tensor hann_window_2d(int64_t size, const at::TensorOptions& options) {
  const torch::Tensor hann = torch::hann_window(size, /*periodic=*/false, options);
  return hann.view({size, 1}) * hann.view({1, size});  // [S,S]
}

SpectrumComparison compare_spectra(const at::Tensor& real, const at::Tensor& synthetic) {
  TORCH_CHECK(real.sizes() == synthetic.sizes() && real.dim() == 2,
              "compare_spectra expects two spectra of one size, got ", real.sizes(), " and ",
              synthetic.sizes());
  const int64_t s = real.size(0);
  const torch::Tensor radius = radial_frequency(s);
  const torch::Tensor high = radius >= kHighFrequencyStart;
  SpectrumComparison c;
  // A tiny floor keeps a constant real image (zero power) from dividing by zero.
  constexpr double kTiny = 1e-30;
  // Synthetic over real power summed over the bins of `mask`.
  auto power_ratio = [&](const torch::Tensor& mask) {
    return (synthetic.masked_select(mask).sum() / real.masked_select(mask).sum().clamp_min(kTiny))
        .item<double>();
  };
  c.high_frequency_ratio = power_ratio(high);
  const torch::Tensor ratio =
      torch::where(high, synthetic / real.clamp_min(kTiny), torch::zeros_like(real));
  const int64_t at = ratio.argmax().item<int64_t>();
  c.peak_ratio = ratio.view(-1)[at].item<double>();
  const int64_t row = at / real.size(1), column = at % real.size(1);
  c.peak_vertical = static_cast<double>(row < (s + 1) / 2 ? row : row - s) / s;
  c.peak_horizontal = static_cast<double>(column) / s;
  // Band b holds the radii in (b/16, (b+1)/16]; the DC bin (radius 0) falls in none.
  const torch::Tensor band =
      ((radius * (2 * kBands)).ceil() - 1).clamp_max(kBands - 1).to(torch::kLong);  // [S, S/2+1]
  for (int64_t b = 0; b < kBands; ++b) {
    const torch::Tensor in = band == b;
    // Images too small to have a frequency in the band: no ratio (null in JSON).
    c.band_ratios.push_back(in.any().item<bool>() ? power_ratio(in) : std::nan(""));
  }
  return c;
}

nlohmann::json SpectrumComparison::to_json() const {
  nlohmann::json bands = nlohmann::json::array();
  for (double b : band_ratios)
    bands.push_back(std::isnan(b) ? nlohmann::json(nullptr) : nlohmann::json(b));
  return {{"high_frequency_ratio", high_frequency_ratio},
          {"high_frequency_start", kHighFrequencyStart},
          {"peak_ratio", peak_ratio},
          {"peak_frequency", {{"vertical", peak_vertical}, {"horizontal", peak_horizontal}}},
          {"band_ratios", bands},
          {"band_width", 0.5 / kBands}};
}

void MeanSpectrum::add(const MeanSpectrum& other) {
  if (other.count == 0) return;
  const double total = static_cast<double>(count + other.count);
  mean = count == 0 ? other.mean.clone()
                    : mean * (static_cast<double>(count) / total) +
                          other.mean * (static_cast<double>(other.count) / total);
  count += other.count;
}

nlohmann::json texture_against_floor(const at::Tensor& reference, const at::Tensor& floor,
                                     const at::Tensor& synthetic) {
  return {{"score", compare_spectra(reference, synthetic).to_json()},
          {"floor", compare_spectra(reference, floor).to_json()}};
}

}  // namespace skingan::eval
