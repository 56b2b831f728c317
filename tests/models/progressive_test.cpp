// The progressive GAN's layers against hand computations, its fade-in against the paths it joins,
// and its shapes at every level (models/gan/progressive.h, equalized_layers.h).
#include <gtest/gtest.h>

#include <cmath>

#include <torch/torch.h>

#include "core/error.h"
#include "models/gan/progressive.h"
#include "train/growth_schedule.h"

using namespace skingan;
using namespace skingan::models;

TEST(EqualizedLayers, ScaleWeightsByTheHeConstantAtEveryForward) {
  torch::NoGradGuard no_grad;
  EqualizedConv2d conv(2, 1, 3);
  EXPECT_DOUBLE_EQ(conv->scale(), std::sqrt(2.0) / std::sqrt(18.0));
  conv->weight.fill_(1.0);
  const torch::Tensor out = conv->forward(torch::ones({1, 2, 3, 3}));
  // Centre: 18 taps x sqrt(2)/sqrt(18) = 6; corner: 8 taps inside the 'same' padding.
  EXPECT_NEAR(out[0][0][1][1].item<double>(), 6.0, 1e-5);
  EXPECT_NEAR(out[0][0][0][0].item<double>(), 8.0 * std::sqrt(2.0) / std::sqrt(18.0), 1e-5);

  EqualizedLinear linear(8, 1, /*gain=*/1.0);
  linear->weight.fill_(1.0);
  EXPECT_NEAR(linear->forward(torch::ones({1, 8})).item<double>(), std::sqrt(8.0), 1e-5);

  // Stored weights are N(0,1): the scale, not the initialisation, sets the layer's gain.
  torch::manual_seed(3);
  EqualizedConv2d wide(64, 64, 3);
  EXPECT_NEAR(wide->weight.std().item<double>(), 1.0, 0.02);
  EXPECT_EQ(wide->bias.abs().sum().item<double>(), 0.0);
}

TEST(EqualizedLayers, PixelNormDividesByTheRootMeanSquareOverChannels) {
  // Channel 0 holds (3, 0), channel 1 (4, 2) over the two pixels.
  const torch::Tensor x = torch::tensor({3.0f, 0.0f, 4.0f, 2.0f}).view({1, 2, 1, 2});
  const torch::Tensor y = pixel_norm(x);
  // Pixel 0: channels (3, 4), mean square 12.5; pixel 1: (0, 2), mean square 2.
  EXPECT_NEAR(y[0][0][0][0].item<double>(), 3.0 / std::sqrt(12.5), 1e-6);
  EXPECT_NEAR(y[0][1][0][0].item<double>(), 4.0 / std::sqrt(12.5), 1e-6);
  EXPECT_NEAR(y[0][0][0][1].item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(y[0][1][0][1].item<double>(), 2.0 / std::sqrt(2.0), 1e-6);
}

TEST(EqualizedLayers, MinibatchStddevAppendsEachGroupsMeanStandardDeviation) {
  // Eight samples, one feature each; groups of 4 are samples {0,2,4,6} and {1,3,5,7}.
  const torch::Tensor x =
      torch::tensor({0.0f, 10.0f, 1.0f, 10.0f, 2.0f, 10.0f, 3.0f, 10.0f}).view({8, 1, 1, 1});
  const torch::Tensor y = minibatch_stddev(x, 4);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{8, 2, 1, 1}));
  EXPECT_TRUE(torch::equal(y.select(1, 0), x.select(1, 0)));
  for (int64_t n : {0, 2, 4, 6}) {  // population SD of 0,1,2,3
    EXPECT_NEAR(y[n][1][0][0].item<double>(), std::sqrt(1.25), 1e-5) << n;
  }
  for (int64_t n : {1, 3, 5, 7}) EXPECT_NEAR(y[n][1][0][0].item<double>(), 1e-4, 1e-6) << n;
  // A batch of 6: groups of 3 (the largest divisor of 6 not above 4), SD over H, W averaged.
  const torch::Tensor z = torch::arange(6 * 4, torch::kFloat).view({6, 1, 2, 2});
  const torch::Tensor w = minibatch_stddev(z, 4);
  // Each group {m, m+2, m+4} differs by steps of 8 at every pixel: SD = 8 * sqrt(2/3).
  EXPECT_NEAR(w[0][1][1][1].item<double>(), 8.0 * std::sqrt(2.0 / 3.0), 1e-4);
}

TEST(EqualizedLayers, ClassMinibatchStddevMeasuresTheVarietyWithinEachClass) {
  // Class 0: 0,1,2,3 (SD sqrt(1.25)); class 1: four 10s (SD 0); class 2: absent.
  const torch::Tensor x =
      torch::tensor({0.0f, 10.0f, 1.0f, 10.0f, 2.0f, 10.0f, 3.0f, 10.0f}).view({8, 1, 1, 1});
  const torch::Tensor labels = torch::tensor({0, 1, 0, 1, 0, 1, 0, 1}, torch::kLong);
  const torch::Tensor y = minibatch_stddev(x, labels, 3);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{8, 2, 1, 1}));
  for (int64_t n = 0; n < 8; ++n) {
    EXPECT_NEAR(y[n][1][0][0].item<double>(), n % 2 == 0 ? std::sqrt(1.25) : 1e-4, 1e-5) << n;
  }
  // Mixed classes in one group of the paper's statistic would read as variety: here a batch
  // whose classes differ but whose samples within a class are equal reads as none.
  const torch::Tensor same_within = torch::tensor({1.0f, 5.0f, 1.0f, 5.0f}).view({4, 1, 1, 1});
  const torch::Tensor two = torch::tensor({0, 1, 0, 1}, torch::kLong);
  EXPECT_GT(minibatch_stddev(same_within, 4)[0][1][0][0].item<double>(), 1.0);
  EXPECT_LT(minibatch_stddev(same_within, two, 2)[0][1][0][0].item<double>(), 1e-3);
}

TEST(EqualizedLayers, GradientsMatchFiniteDifferences) {
  // The runtime scale is part of the graph: d/dw of sum(layer(x)) = scale * sum of inputs.
  torch::manual_seed(6);
  EqualizedLinear linear(5, 3);
  const torch::Tensor x = torch::randn({4, 5}, torch::kDouble);
  linear->to(torch::kDouble);
  linear->forward(x).pow(2).sum().backward();
  const torch::Tensor analytic = linear->weight.grad().clone();
  const double eps = 1e-6;
  torch::NoGradGuard no_grad;
  for (int64_t o = 0; o < 3; ++o) {
    for (int64_t i = 0; i < 5; ++i) {
      const double w = linear->weight[o][i].item<double>();
      linear->weight[o][i].fill_(w + eps);
      const double plus = linear->forward(x).pow(2).sum().item<double>();
      linear->weight[o][i].fill_(w - eps);
      const double minus = linear->forward(x).pow(2).sum().item<double>();
      linear->weight[o][i].fill_(w);
      EXPECT_NEAR(analytic[o][i].item<double>(), (plus - minus) / (2 * eps), 1e-5) << o << i;
    }
  }
}

TEST(ProgressiveGan, GrowthStagesAndTheScheduleInImagesShown) {
  EXPECT_EQ(growth_stage(2.0, 64).resolution_log2, 2);
  EXPECT_DOUBLE_EQ(growth_stage(3.25, 64).alpha, 0.25);
  EXPECT_EQ(growth_stage(9.0, 64).resolution_log2, 6);  // clamped to the image size
  EXPECT_DOUBLE_EQ(growth_stage(9.0, 64).alpha, 0.0);
  // 1,000 images per phase at 64 px: 4x4, fade 8, 8, fade 16, 16, fade 32, 32, fade 64, 64 ...
  EXPECT_DOUBLE_EQ(train::growth_level(0, 1000, 64), 2.0);
  EXPECT_DOUBLE_EQ(train::growth_level(999, 1000, 64), 2.0);
  EXPECT_DOUBLE_EQ(train::growth_level(1250, 1000, 64), 2.25);
  EXPECT_DOUBLE_EQ(train::growth_level(2500, 1000, 64), 3.0);
  EXPECT_DOUBLE_EQ(train::growth_level(3500, 1000, 64), 3.5);
  EXPECT_DOUBLE_EQ(train::growth_level(8000, 1000, 64), 6.0);
  EXPECT_DOUBLE_EQ(train::growth_level(7999, 1000, 64), 5.999);
  EXPECT_DOUBLE_EQ(train::growth_level(1000000, 1000, 64), 6.0);
  EXPECT_DOUBLE_EQ(train::growth_level(0, 0, 32), 5.0);  // no growing
  EXPECT_EQ(train::images_to_full_size(1000, 64), 8000);
  EXPECT_EQ(train::images_to_full_size(1000, 32), 6000);
  // Grid names at the end of each phase up to the first at full size (32 px: 7 phases, 0..6).
  EXPECT_EQ(train::completed_phase_name(900, 1000, 1000, 32), "phase_00_4px");
  EXPECT_EQ(train::completed_phase_name(1900, 2000, 1000, 32), "phase_01_8px_fade_in");
  EXPECT_EQ(train::completed_phase_name(2900, 3000, 1000, 32), "phase_02_8px");
  EXPECT_EQ(train::completed_phase_name(6900, 7000, 1000, 32), "phase_06_32px");
  EXPECT_EQ(train::completed_phase_name(1000, 1100, 1000, 32), "");  // inside a phase
  EXPECT_EQ(train::completed_phase_name(7900, 8000, 1000, 32), "");  // past full size
  EXPECT_EQ(train::completed_phase_name(900, 1000, 0, 32), "");      // no growing
}

TEST(ProgressiveGan, FadedRealImagesArePooledToTheLevelAndBlendedDuringAFade) {
  torch::manual_seed(1);
  const torch::Tensor x = torch::rand({2, 3, 8, 8});
  const torch::Tensor pooled4 = torch::avg_pool2d(x, {2, 2});
  const torch::Tensor up4 = torch::upsample_nearest2d(pooled4, {8, 8});
  EXPECT_TRUE(torch::allclose(fade_images(x, 3.0), x));  // full size: unchanged
  EXPECT_TRUE(torch::allclose(fade_images(x, 2.0), up4));
  EXPECT_TRUE(torch::allclose(fade_images(x, 2.25), up4 + (x - up4) * 0.25, 1e-6, 1e-6));
}

namespace {

ProgressiveOptions tiny(int64_t size, int64_t classes) {
  return ProgressiveOptions().image_size(size).latent_dim(8).channels(4).num_classes(classes);
}

}  // namespace

TEST(ProgressiveGan, ShapesAndRangesAtEveryLevelFor32To128Pixels) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(2);
  for (int64_t size : {32, 64, 128}) {
    ProgressiveGenerator g(tiny(size, 3));
    ProgressiveDiscriminator d(tiny(size, 3));
    const torch::Tensor z = torch::randn({4, 8});
    const torch::Tensor labels = torch::tensor({0, 1, 2, 0}, torch::kLong);
    const double top = std::log2(static_cast<double>(size));
    for (double level = 2.0; level <= top; level += 0.5) {
      g->set_level(level);
      d->set_level(level);
      const torch::Tensor x = g->forward(z, labels);
      ASSERT_EQ(x.sizes(), (std::vector<int64_t>{4, 3, size, size})) << size << " " << level;
      EXPECT_LT(x.abs().max().item<double>(), 1.0);
      EXPECT_TRUE(torch::isfinite(x).all().item<bool>());
      const auto out = d->forward(x, labels);
      EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{4}));
      EXPECT_EQ(out.class_logits.sizes(), (std::vector<int64_t>{4, 3}));
    }
  }
}

TEST(ProgressiveGan, FadeInStartsAtTheOldPathAndEndsAtTheNewOne) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(4);
  ProgressiveGenerator g(tiny(32, 2));
  ProgressiveDiscriminator d(tiny(32, 2));
  const torch::Tensor z = torch::randn({4, 8});
  const torch::Tensor labels = torch::tensor({0, 1, 1, 0}, torch::kLong);
  for (int64_t r : {2, 3, 4}) {
    const torch::Tensor old_path = g->synthesize(z, labels, {r, 0.0});  // [4,3,2^r,2^r]
    const torch::Tensor new_path = g->synthesize(z, labels, {r + 1, 0.0});
    const torch::Tensor start = g->synthesize(z, labels, {r, 1e-7});
    const torch::Tensor end = g->synthesize(z, labels, {r, 1.0});
    const int64_t side = int64_t{2} << r;
    EXPECT_TRUE(
        torch::allclose(start, torch::upsample_nearest2d(old_path, {side, side}), 1e-5, 1e-5))
        << r;
    EXPECT_TRUE(torch::allclose(end, new_path, 1e-5, 1e-5)) << r;
    EXPECT_FALSE(torch::allclose(start, end, 1e-3, 1e-3)) << "the two paths differ at " << r;

    const torch::Tensor x = torch::rand({4, 3, side, side}) * 2 - 1;
    const torch::Tensor pooled = torch::avg_pool2d(x, {2, 2});
    const auto d_old = d->judge(pooled, labels, {r, 0.0});
    const auto d_new = d->judge(x, labels, {r + 1, 0.0});
    EXPECT_TRUE(torch::allclose(d->judge(x, labels, {r, 1e-7}).logits, d_old.logits, 1e-4, 1e-4));
    EXPECT_TRUE(torch::allclose(d->judge(x, labels, {r, 1.0}).logits, d_new.logits, 1e-4, 1e-4));
  }
}

TEST(ProgressiveGan, GrowingKeepsTheTrainedWeightsAndTheImage) {
  torch::manual_seed(5);
  ProgressiveGenerator g(tiny(32, 0));
  const torch::Tensor z = torch::randn({4, 8});
  // A few optimiser steps at 4x4 so the weights are trained ones, not the initialisation.
  torch::optim::Adam adam(g->parameters(), torch::optim::AdamOptions(1e-2));
  for (int i = 0; i < 3; ++i) {
    adam.zero_grad();
    g->forward(z).pow(2).mean().backward();
    adam.step();
  }
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> before;
  for (const auto& p : g->parameters()) before.push_back(p.clone());
  const torch::Tensor image = g->forward(z);
  g->set_level(2.0 + 1e-6);  // the 8x8 resolution starts fading in (a float level: 1e-6 is kept)
  const auto after = g->parameters();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], after[i])) << i;
  EXPECT_TRUE(torch::allclose(g->forward(z), image, 1e-5, 1e-5));
  EXPECT_NEAR(g->level(), 2.0 + 1e-6, 1e-7);
}

TEST(ProgressiveGan, RefusesSizesItCannotGrowTo) {
  EXPECT_THROW(ProgressiveGenerator(tiny(48, 0)), ConfigError);
  EXPECT_THROW(ProgressiveDiscriminator(tiny(4, 0)), ConfigError);
}
