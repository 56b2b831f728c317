#include <gtest/gtest.h>

#include <cmath>

#include <torch/torch.h>

#include "core/error.h"
#include "test_util.h"
#include "train/gan_config.h"
#include "train/gan_trainer.h"
#include "train/spectrum_match.h"

using namespace skingan;
using namespace skingan::train;

namespace {

// Smooth random "lesions": blurred noise per class, class 1 brighter in red. uint8 [2n,3,S,S].
struct Blobs {
  torch::Tensor images, labels;
};

Blobs smooth_blobs(int64_t per_class, int64_t size) {
  torch::manual_seed(5);
  const torch::Tensor noise = torch::randn({2 * per_class, 3, size / 8, size / 8});
  torch::Tensor smooth =
      torch::nn::functional::interpolate(noise, torch::nn::functional::InterpolateFuncOptions()
                                                    .size(std::vector<int64_t>{size, size})
                                                    .mode(torch::kBicubic)
                                                    .align_corners(false));
  smooth.slice(0, per_class).select(1, 0).add_(1.0);
  Blobs b;
  b.images = (smooth * 40 + 128).clamp(0, 255).to(torch::kByte);
  b.labels =
      torch::cat({torch::zeros({per_class}, torch::kLong), torch::ones({per_class}, torch::kLong)});
  return b;
}

torch::Tensor to_unit(const torch::Tensor& images) {
  return images.to(torch::kFloat).div(127.5).sub(1.0);
}

// A +-amplitude checkerboard (Nyquist in both directions), [1,1,S,S] in [-1,1] units.
torch::Tensor checkerboard(int64_t size, double amplitude) {
  const torch::Tensor i = torch::arange(size).view({size, 1});
  const torch::Tensor j = torch::arange(size).view({1, size});
  return ((i + j).remainder(2) * 2 - 1).to(torch::kFloat).mul(amplitude).view({1, 1, size, size});
}

}  // namespace

TEST(SpectrumMatch, PowerOfACosineIsAtItsFrequencyWithItsEnergy) {
  // Without a window, rfft2 of a cos(2 pi k x / S) puts a S^2 / 2 at (0, k): power a^2 S^2 / 4
  // after the 1/S^2 normalisation, and nothing elsewhere.
  const int64_t s = 16, k = 3;
  const double a = 0.5;
  const torch::Tensor x = torch::arange(s).to(torch::kDouble);
  const torch::Tensor row = a * torch::cos(2 * M_PI * k * x / s);
  torch::Tensor image = torch::zeros({1, 3, s, s}, torch::kDouble);
  image[0][1] = row.view({1, s}).expand({s, s});
  const torch::Tensor power = channel_power_spectra(image, torch::ones({s, s}, torch::kDouble));
  ASSERT_EQ(power.sizes(), (std::vector<int64_t>{1, 3, s, s / 2 + 1}));
  EXPECT_NEAR(power[0][1][0][k].item<double>(), a * a * s * s / 4, 1e-9);
  EXPECT_NEAR(power.sum().item<double>(), a * a * s * s / 4, 1e-9);  // nothing else
  // The image's mean is removed: a constant channel has no power at all.
  EXPECT_LT(channel_power_spectra(image + 0.7, torch::ones({s, s}, torch::kDouble))[0][0]
                .abs()
                .max()
                .item<double>(),
            1e-20);
}

TEST(SpectrumMatch, TheRealSetItselfHasNoLossConditionalOrNot) {
  const Blobs b = smooth_blobs(12, 32);
  const SpectrumMatch unconditional(b.images, torch::Tensor(), 2, torch::kCPU);
  EXPECT_EQ(unconditional.reference().sizes(), (std::vector<int64_t>{1, 3, 32, 17}));
  EXPECT_LT(unconditional.loss(to_unit(b.images), torch::Tensor()).item<double>(), 1e-5);
  // Too little fine texture costs as well as too much: the same images blurred by a 3x3 mean.
  const torch::Tensor blurred = torch::nn::functional::avg_pool2d(
      to_unit(b.images),
      torch::nn::functional::AvgPool2dFuncOptions(3).stride(1).padding(1).count_include_pad(false));
  EXPECT_GT(unconditional.loss(blurred, torch::Tensor()).item<double>(), 0.1);
  // Conditional: the batch's labels pick the per-class references; a batch of all the real
  // images with their labels averages to the same spectrum.
  const SpectrumMatch conditional(b.images, b.labels, 2, torch::kCPU);
  EXPECT_EQ(conditional.reference().size(0), 2);
  EXPECT_LT(conditional.loss(to_unit(b.images), b.labels).item<double>(), 1e-5);
  // The classes' spectra differ, so the labels matter: the class-1 images called class 0 cost.
  const torch::Tensor class1 = to_unit(b.images.slice(0, 12));
  EXPECT_LT(conditional.loss(class1, torch::ones({12}, torch::kLong)).item<double>(),
            conditional.loss(class1, torch::zeros({12}, torch::kLong)).item<double>());
}

TEST(SpectrumMatch, PlantedMeshCostsAndDescendingTheLossRemovesIt) {
  const int64_t s = 32;
  const Blobs b = smooth_blobs(16, s);
  const SpectrumMatch match(b.images, torch::Tensor(), 2, torch::kCPU);
  const torch::Tensor mesh = checkerboard(s, 0.05);
  const torch::Tensor clean = to_unit(b.images);
  const double clean_loss = match.loss(clean, torch::Tensor()).item<double>();
  EXPECT_LT(clean_loss, 1e-5);  // the whole set: its own reference
  // The mesh's amplitude is learnable, starting planted at full strength; only the spectral
  // term pulls on it.
  torch::Tensor amplitude = torch::ones({1}).requires_grad_(true);
  auto meshed = [&] { return clean + amplitude * mesh; };
  const double meshed_loss = match.loss(meshed(), torch::Tensor()).item<double>();
  EXPECT_GT(meshed_loss, clean_loss + 0.01);
  torch::optim::Adam optimiser({amplitude}, torch::optim::AdamOptions(0.05));
  for (int i = 0; i < 100; ++i) {
    optimiser.zero_grad();
    match.loss(meshed(), torch::Tensor()).backward();
    optimiser.step();
  }
  EXPECT_LT(std::abs(amplitude.item<double>()), 0.1);
  EXPECT_LT(match.loss(meshed(), torch::Tensor()).item<double>(), 0.5 * meshed_loss);
}

TEST(SpectrumMatch, AClassWithoutImagesIsRefused) {
  const Blobs b = smooth_blobs(4, 16);
  try {
    SpectrumMatch(b.images, b.labels, 3, torch::kCPU);  // class 2 has no image
    FAIL() << "an empty class was accepted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("class 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--spectral-loss"), std::string::npos) << e.what();
  }
}

TEST(SpectrumMatch, ConfigKeepsTheWeightAndRefusesWhatItCannotServe) {
  GanConfig c = default_gan_config(GanArch::kResnet);
  c.spectral_weight = 0.5;
  EXPECT_DOUBLE_EQ(gan_config_from_json(to_json(c)).spectral_weight, 0.5);
  nlohmann::json old = to_json(c);
  old.erase("spectral_weight");  // runs written before --spectral-loss
  EXPECT_DOUBLE_EQ(gan_config_from_json(old).spectral_weight, 0.0);
  auto refused = [](const GanConfig& config, const std::string& expected) {
    try {
      validate(config);
      ADD_FAILURE() << "accepted: " << expected;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  c.spectral_weight = -1;
  refused(c, "--spectral-loss");
  GanConfig progan = default_gan_config(GanArch::kProgan);
  progan.spectral_weight = 1;
  refused(progan, "--arch progan");
}

TEST(SpectrumMatch, TheTrainerAddsItToTheGeneratorUpdateOnly) {
  const Blobs b = smooth_blobs(8, 32);
  // Conditional (resnet) and unconditional (dcgan) generators.
  for (GanArch arch : {GanArch::kResnet, GanArch::kDcgan}) {
    GanConfig plain = test::tiny_gan_config(arch);
    plain.ema_decay = 0;
    GanConfig spectral = plain;
    spectral.spectral_weight = 10.0;
    GanTrainer without(plain, b.images, b.labels, 2, torch::kCPU);
    GanTrainer with(spectral, b.images, b.labels, 2, torch::kCPU);
    const GanStepMetrics m_without = without.train_step();
    const GanStepMetrics m_with = with.train_step();
    EXPECT_EQ(m_without.spectral, -1.0);
    EXPECT_GT(m_with.spectral, 0.1) << "a fresh generator's spectrum is far from the real one";
    EXPECT_TRUE(std::isfinite(m_with.spectral));
    EXPECT_DOUBLE_EQ(m_with.d_loss, m_without.d_loss);  // D's update comes first, unchanged
    // D's weights after the step are the same; G's differ by the spectral term's gradient.
    const auto d_with = with.discriminator()->parameters();
    const auto d_without = without.discriminator()->parameters();
    for (size_t i = 0; i < d_with.size(); ++i) EXPECT_TRUE(torch::equal(d_with[i], d_without[i]));
    double g_difference = 0;
    const auto g_with = with.generator()->parameters();
    const auto g_without = without.generator()->parameters();
    for (size_t i = 0; i < g_with.size(); ++i) {
      g_difference += (g_with[i] - g_without[i]).abs().sum().item<double>();
    }
    EXPECT_GT(g_difference, 0.0);
  }
}
