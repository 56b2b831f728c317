// FastGAN's parts against the formulas they implement (skip-layer excitation, quarters, the
// block plan), both networks' shapes and ranges, and a discriminator whose decoders learn to
// rebuild what it sees (models/gan/fastgan.h).
#include <gtest/gtest.h>

#include <cmath>

#include <torch/torch.h>

#include "core/error.h"
#include "models/gan/discriminator.h"
#include "models/gan/fastgan.h"
#include "models/gan/generator.h"
#include "test_util.h"
#include "train/gan_config.h"

using namespace skingan;
using namespace skingan::models;

namespace {

void fill(const torch::Tensor& t, double value) {
  torch::NoGradGuard no_grad;
  t.fill_(value);
}

GeneratorOptions generator_at(int64_t size, int64_t classes) {
  GeneratorOptions o;
  o.image_size(size).latent_dim(16).channels(4).family(NetworkFamily::kFastGan);
  if (classes > 0) o.num_classes(classes).conditioning(Conditioning::kConcat);
  return o;
}

DiscriminatorOptions discriminator_at(int64_t size, int64_t classes) {
  DiscriminatorOptions o;
  o.image_size(size).channels(4).family(NetworkFamily::kFastGan).spectral_norm(true);
  if (classes > 0) o.num_classes(classes).head(DiscriminatorHead::kProjection);
  return o;
}

}  // namespace

TEST(FastGan, SkipLayerExcitationGatesEachChannelByTheSmallMapsPooledContent) {
  SkipLayerExcitation sle(2, 3);
  // small: channel 0 all 1, channel 1 all 2, at 8x8 (pooled to 4x4: the same values).
  const torch::Tensor small =
      torch::cat({torch::ones({1, 1, 8, 8}), torch::full({1, 1, 8, 8}, 2.0)}, 1);
  fill(sle->squeeze->weight, 0.01);
  fill(sle->squeeze->bias, 0.0);
  fill(sle->excite->weight, 0.0);
  {
    torch::NoGradGuard no_grad;
    for (int64_t c = 0; c < 3; ++c) sle->excite->weight[c][c][0][0] = 2.0;  // 2 x identity
    sle->excite->bias.copy_(torch::tensor({-0.1, 0.0, 0.3}));
  }
  // squeeze: 0.01 x 16 taps x (1 + 2) = 0.48 in every out channel; swish(0.48); then
  // sigmoid(2 swish + bias_c).
  const double s = 0.48, swish = s / (1 + std::exp(-s));
  const torch::Tensor gate = sle->gate(small);
  ASSERT_EQ(gate.sizes(), (std::vector<int64_t>{1, 3, 1, 1}));
  const double bias[3] = {-0.1, 0.0, 0.3};
  for (int64_t c = 0; c < 3; ++c) {
    EXPECT_NEAR(gate[0][c][0][0].item<double>(), 1 / (1 + std::exp(-(2 * swish + bias[c]))), 1e-6)
        << "channel " << c;
  }
  const torch::Tensor big = torch::randn({1, 3, 16, 16});
  EXPECT_TRUE(torch::allclose(sle->forward(small, big), big * gate));
}

TEST(FastGan, QuartersAreTheFourCornersInReadingOrder) {
  const torch::Tensor x = torch::arange(16, torch::kFloat).view({1, 1, 4, 4});
  EXPECT_TRUE(torch::equal(quarter(x, 0).flatten(), torch::tensor({0.0f, 1.0f, 4.0f, 5.0f})));
  EXPECT_TRUE(torch::equal(quarter(x, 1).flatten(), torch::tensor({2.0f, 3.0f, 6.0f, 7.0f})));
  EXPECT_TRUE(torch::equal(quarter(x, 2).flatten(), torch::tensor({8.0f, 9.0f, 12.0f, 13.0f})));
  EXPECT_TRUE(torch::equal(quarter(x, 3).flatten(), torch::tensor({10.0f, 11.0f, 14.0f, 15.0f})));
}

TEST(FastGan, BlocksAlternateAsThePapersAndExcitationsReachEightTimesUp) {
  FastGanGenerator g(FastGanOptions().image_size(128).latent_dim(8).channels(4));
  ASSERT_EQ(g->blocks(), 5);  // 8, 16, 32, 64, 128
  const auto p = g->named_parameters();
  const bool second[5] = {true, false, true, false, true};  // sides 8, 32, 128
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(p.contains("blocks." + std::to_string(i) + ".conv1.weight"), second[i])
        << "block " << i;
  }
  // 32 <- 4, 64 <- 8, 128 <- 16, with the channels of both ends: channels * S/(2r), capped at 8x.
  EXPECT_EQ(g->excitation_source(0), 0);
  EXPECT_EQ(g->excitation_source(2), 4);
  EXPECT_EQ(g->excitation_source(4), 16);
  EXPECT_EQ(p["excitations.0.squeeze.weight"].sizes(), (std::vector<int64_t>{8, 32, 4, 4}));
  EXPECT_EQ(p["excitations.2.squeeze.weight"].sizes(), (std::vector<int64_t>{2, 16, 4, 4}));
  EXPECT_FALSE(p.contains("excitations.3.squeeze.weight"));
}

TEST(FastGan, ShapesRangesAndReconstructionOnlyWhenAsked) {
  torch::manual_seed(4);
  for (int64_t size : {32, 64, 128}) {
    for (int64_t classes : {0, 3}) {
      SCOPED_TRACE(std::to_string(size) + " px, classes " + std::to_string(classes));
      Generator g(generator_at(size, classes));
      Discriminator d(discriminator_at(size, classes));
      const torch::Tensor z = torch::randn({5, 16});
      const torch::Tensor labels = torch::tensor({0, 1, 2, 0, 1}, torch::kLong);
      const torch::Tensor y = classes ? labels : torch::Tensor();
      const torch::Tensor x = g->forward(z, y);
      ASSERT_EQ(x.sizes(), (std::vector<int64_t>{5, 3, size, size}));
      EXPECT_LT(x.abs().max().item<float>(), 1.0f);
      EXPECT_GT(x.std().item<float>(), 1e-3f);
      const DiscriminatorOutput plain = d->forward(x, y);
      ASSERT_EQ(plain.logits.sizes(), (std::vector<int64_t>{5}));
      EXPECT_FALSE(plain.reconstruction_loss.defined());
      if (classes > 0) {
        ASSERT_EQ(plain.class_logits.sizes(), (std::vector<int64_t>{5, 3}));
        for (int64_t n = 0; n < 5; ++n) {
          EXPECT_NEAR(plain.class_logits[n][labels[n].item<int64_t>()].item<double>(),
                      plain.logits[n].item<double>(), 1e-4);
        }
      }
      const DiscriminatorOutput rebuilt = d->forward(x, y, /*reconstruct_part=*/3);
      ASSERT_TRUE(rebuilt.reconstruction_loss.defined());
      EXPECT_EQ(rebuilt.reconstruction_loss.dim(), 0);
      EXPECT_GT(rebuilt.reconstruction_loss.item<double>(), 0.0);
      // Its decoders rebuild at S/2 from 8x8: one doubling per factor 2 above 16 px.
      int64_t doublings = 0;
      while ((int64_t{16} << doublings) < size) ++doublings;
      const auto dp = d->named_parameters();
      EXPECT_TRUE(
          dp.contains("fastgan.decode_whole.convs." + std::to_string(doublings - 1) + ".weight"));
      EXPECT_FALSE(
          dp.contains("fastgan.decode_whole.convs." + std::to_string(doublings) + ".weight"));
    }
  }
}

TEST(FastGan, TheClassChangesTheImage) {
  torch::manual_seed(5);
  Generator g(generator_at(32, 2));
  // The conditional BatchNorm's maps start at zero (plain BatchNorm), so give them a value.
  for (auto& p : g->named_parameters()) {
    if (p.key().find("gain.weight") != std::string::npos) {
      torch::NoGradGuard no_grad;
      p.value().normal_(0, 0.5);
    }
  }
  g->eval();
  const torch::Tensor z = torch::randn({4, 16});
  const torch::Tensor a = g->forward(z, torch::zeros({4}, torch::kLong));
  const torch::Tensor b = g->forward(z, torch::ones({4}, torch::kLong));
  EXPECT_GT((a - b).abs().mean().item<double>(), 1e-3);
}

TEST(FastGan, TheDiscriminatorLearnsToRebuildWhatItSees) {
  torch::manual_seed(6);
  Discriminator d(discriminator_at(32, 0));
  // Eight smooth images: colour gradients, with a bright square in one corner.
  const torch::Tensor ramp = torch::linspace(-0.8, 0.8, 32);
  torch::Tensor x = (ramp.view({1, 1, 1, 32}) * torch::rand({8, 3, 1, 1})).expand({8, 3, 32, 32});
  x = x.clone();
  x.slice(2, 0, 8).slice(3, 24, 32).fill_(0.9);
  torch::optim::Adam optimizer(d->parameters(), torch::optim::AdamOptions(2e-3));
  double first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    optimizer.zero_grad();
    const torch::Tensor loss = d->forward(x, {}, step % 4).reconstruction_loss;
    loss.backward();
    optimizer.step();
    if (step < 4) first += loss.item<double>() / 4;
    if (step >= 56) last += loss.item<double>() / 4;
  }
  EXPECT_LT(last, 0.5 * first) << "first " << first << ", last " << last;
}

TEST(FastGan, RefusesSmallImagesTransposedUpsamplingAndAnAuxiliaryHead) {
  test::expect_refusal<ConfigError>([] { FastGanGenerator g(FastGanOptions().image_size(16)); },
                                    "32 or more");
  test::expect_refusal<ConfigError>(
      [] { FastGanGenerator g(FastGanOptions().upsample(Upsample::kTransposed)); },
      "not transposed");
  test::expect_refusal<ConfigError>(
      [] { Discriminator d(discriminator_at(32, 2).head(DiscriminatorHead::kAuxiliary)); },
      "projection head");
}

TEST(FastGan, TrainGanRefusesTheGradientPenaltyAndTransposedUpsamplingSayingWhy) {
  train::GanConfig c = train::default_gan_config(train::GanArch::kFastgan);
  EXPECT_NO_THROW(train::validate(c));
  c.loss = train::GanLoss::kWganGp;
  test::expect_refusal<ConfigError>([&] { train::validate(c); }, "BatchNorm mixes the samples");
  c = train::default_gan_config(train::GanArch::kFastgan);
  c.upsample = Upsample::kTransposed;
  test::expect_refusal<ConfigError>([&] { train::validate(c); }, "with --arch fastgan");
}
