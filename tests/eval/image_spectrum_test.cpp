// The texture measure of `skingan score`: the mean power spectrum against a direct DFT computed
// here by hand, and the comparison's ratios on sets with a known difference (the same set, a
// doubled spectrum, a planted checkerboard, a blur).
#include "eval/image_spectrum.h"

#include <cmath>
#include <complex>

#include <gtest/gtest.h>

#include <torch/torch.h>

using namespace skingan;

namespace {

constexpr double kPi = 3.14159265358979323846;

// Power at (u, v) of one image by the textbook formula, written out: luma, mean removed, Hann
// window w(n) = 0.5 - 0.5 cos(2 pi n / (S - 1)), |sum w(y) w(x) l(y,x) e^{-2 pi i (uy + vx)/S}|^2
// / S^2.
double direct_power(const torch::Tensor& image, int64_t u, int64_t v) {
  const int64_t s = image.size(1);
  const torch::Tensor rgb = image.to(torch::kDouble) / 255.0;
  const torch::Tensor luma = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
  const double mean = luma.mean().item<double>();
  std::complex<double> sum = 0;
  for (int64_t y = 0; y < s; ++y) {
    for (int64_t x = 0; x < s; ++x) {
      const double wy = 0.5 - 0.5 * std::cos(2 * kPi * y / (s - 1));
      const double wx = 0.5 - 0.5 * std::cos(2 * kPi * x / (s - 1));
      const double value = wy * wx * (luma[y][x].item<double>() - mean);
      sum += value * std::polar(1.0, -2 * kPi * static_cast<double>(u * y + v * x) / s);
    }
  }
  return std::norm(sum) / static_cast<double>(s * s);
}

torch::Tensor noise_images(int64_t n, int64_t size, uint64_t seed) {
  torch::manual_seed(seed);
  return (torch::randn({n, 3, size, size}) * 25 + 128).clamp(0, 255).to(torch::kUInt8);
}

// A +-amplitude checkerboard (period 2 both ways) on every image.
torch::Tensor with_checkerboard(const torch::Tensor& images, double amplitude) {
  const int64_t s = images.size(2);
  const torch::Tensor i = torch::arange(s);
  const torch::Tensor sign = ((i.view({s, 1}) + i.view({1, s})) % 2).to(torch::kFloat) * 2 - 1;
  return (images.to(torch::kFloat) + amplitude * sign).clamp(0, 255).to(torch::kUInt8);
}

}  // namespace

TEST(ImageSpectrum, MeanPowerSpectrumMatchesTheDirectFormula) {
  const torch::Tensor images = noise_images(3, 8, 1);
  const torch::Tensor spectrum = eval::mean_power_spectrum(images);
  ASSERT_EQ(spectrum.sizes(), (std::vector<int64_t>{8, 5}));
  EXPECT_EQ(spectrum.scalar_type(), torch::kDouble);
  for (int64_t u = 0; u < 8; ++u) {
    for (int64_t v = 0; v < 5; ++v) {
      double expected = 0;
      for (int64_t n = 0; n < 3; ++n) expected += direct_power(images[n], u, v) / 3;
      EXPECT_NEAR(spectrum[u][v].item<double>(), expected, 1e-12 + 1e-9 * expected)
          << "bin " << u << "," << v;
    }
  }
  // A flat image has no power anywhere once its mean is removed.
  EXPECT_EQ(eval::mean_power_spectrum(torch::full({1, 3, 8, 8}, 77, torch::kUInt8))
                .abs()
                .max()
                .item<double>(),
            0);
}

TEST(ImageSpectrum, PooledMeansEqualTheMeanOfAllImages) {
  // score pools the classes' spectra instead of transforming every image again.
  const torch::Tensor images = noise_images(7, 8, 5);
  eval::MeanSpectrum pooled;
  pooled.add({eval::mean_power_spectrum(images.slice(0, 0, 2)), 2});
  pooled.add({});  // an empty part changes nothing
  pooled.add({eval::mean_power_spectrum(images.slice(0, 2)), 5});
  EXPECT_EQ(pooled.count, 7);
  EXPECT_TRUE(torch::allclose(pooled.mean, eval::mean_power_spectrum(images), 1e-12, 0));
}

TEST(ImageSpectrum, RadialFrequencyIsInCyclesPerPixel) {
  const torch::Tensor r = eval::radial_frequency(8);
  ASSERT_EQ(r.sizes(), (std::vector<int64_t>{8, 5}));
  EXPECT_DOUBLE_EQ(r[0][0].item<double>(), 0);
  EXPECT_DOUBLE_EQ(r[0][4].item<double>(), 0.5);   // period 2 horizontally
  EXPECT_DOUBLE_EQ(r[2][0].item<double>(), 0.25);  // period 4 vertically
  EXPECT_DOUBLE_EQ(r[6][0].item<double>(), 0.25);  // the negative frequency -0.25
  EXPECT_NEAR(r[4][4].item<double>(), std::sqrt(0.5), 1e-15);
}

TEST(ImageSpectrum, TheSameSetIsOneAndADoubledSpectrumIsTwoInEveryBand) {
  const torch::Tensor spectrum = eval::mean_power_spectrum(noise_images(10, 16, 2));
  const eval::SpectrumComparison same = eval::compare_spectra(spectrum, spectrum);
  EXPECT_NEAR(same.high_frequency_ratio, 1, 1e-12);
  EXPECT_NEAR(same.peak_ratio, 1, 1e-12);
  ASSERT_EQ(same.band_ratios.size(), 8U);
  const eval::SpectrumComparison doubled = eval::compare_spectra(spectrum, 2 * spectrum);
  EXPECT_NEAR(doubled.high_frequency_ratio, 2, 1e-12);
  for (double b : doubled.band_ratios) EXPECT_NEAR(b, 2, 1e-12);
  const nlohmann::json j = doubled.to_json();
  EXPECT_EQ(j.at("band_ratios").size(), 8U);
  EXPECT_DOUBLE_EQ(j.at("high_frequency_start").get<double>(), 0.25);
  // At 8 px the first band (0, 1/16] holds no frequency: no ratio rather than 0.
  const torch::Tensor small = eval::mean_power_spectrum(noise_images(4, 8, 3));
  const eval::SpectrumComparison tiny = eval::compare_spectra(small, small);
  EXPECT_TRUE(std::isnan(tiny.band_ratios[0]));
  EXPECT_NEAR(tiny.band_ratios[1], 1, 1e-12);
  EXPECT_TRUE(tiny.to_json().at("band_ratios")[0].is_null());
}

TEST(ImageSpectrum, ACheckerboardIsAPeakAtNyquistAndBlurIsLessFineTexture) {
  const torch::Tensor real = eval::mean_power_spectrum(noise_images(40, 32, 3));
  const torch::Tensor other_real = eval::mean_power_spectrum(noise_images(40, 32, 4));
  const eval::SpectrumComparison floor = eval::compare_spectra(real, other_real);
  EXPECT_NEAR(floor.high_frequency_ratio, 1, 0.1);
  EXPECT_LT(floor.peak_ratio, 2);

  const eval::SpectrumComparison mesh = eval::compare_spectra(
      real, eval::mean_power_spectrum(with_checkerboard(noise_images(40, 32, 4), 20)));
  EXPECT_GT(mesh.high_frequency_ratio, 2);
  EXPECT_GT(mesh.peak_ratio, 50);
  EXPECT_DOUBLE_EQ(std::abs(mesh.peak_vertical), 0.5);
  EXPECT_DOUBLE_EQ(mesh.peak_horizontal, 0.5);
  EXPECT_GT(mesh.band_ratios.back(), 3);     // the corner band holds the checkerboard
  EXPECT_NEAR(mesh.band_ratios[0], 1, 0.2);  // coarse structure untouched

  // A 3x3 box blur removes fine texture: far less power at high frequencies than real.
  const torch::Tensor blurred =
      torch::avg_pool2d(noise_images(40, 32, 4).to(torch::kFloat), 3, 1, 1, false, false)
          .to(torch::kUInt8);
  const eval::SpectrumComparison blur =
      eval::compare_spectra(real, eval::mean_power_spectrum(blurred));
  EXPECT_LT(blur.high_frequency_ratio, 0.3);
}

TEST(ImageSpectrum, RefusesImagesOfTheWrongShape) {
  EXPECT_THROW(eval::mean_power_spectrum(torch::zeros({2, 1, 8, 8}, torch::kUInt8)), c10::Error);
  EXPECT_THROW(eval::mean_power_spectrum(torch::zeros({0, 3, 8, 8}, torch::kUInt8)), c10::Error);
  EXPECT_THROW(eval::compare_spectra(torch::ones({8, 5}), torch::ones({16, 9})), c10::Error);
}

TEST(ImageSpectrum, HannWindowIsTheOuterProductOfTheSymmetricWindow) {
  const torch::Tensor w = eval::hann_window_2d(5, torch::dtype(torch::kDouble));
  // Symmetric Hann of 5: 0, 0.5, 1, 0.5, 0.
  EXPECT_DOUBLE_EQ(w[2][2].item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(w[1][2].item<double>(), 0.5);
  EXPECT_DOUBLE_EQ(w[1][3].item<double>(), 0.25);
  EXPECT_DOUBLE_EQ(w[0][2].item<double>(), 0.0);
}
