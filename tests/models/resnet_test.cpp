// The ResNet GAN's blocks against the formulas they implement, and both networks' shapes, ranges,
// widths and conditioning (models/gan/resnet.h).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "core/error.h"
#include "models/gan/discriminator.h"
#include "models/gan/generator.h"
#include "models/gan/resnet.h"

using namespace skingan;
using namespace skingan::models;

namespace {

void set_to_zero(const torch::Tensor& t) {
  torch::NoGradGuard no_grad;
  t.zero_();
}

}  // namespace

TEST(ResNetGan, LinearConditionalBatchNormStartsAsBatchNormAndScalesByTheCondition) {
  torch::manual_seed(1);
  LinearConditionalBatchNorm2d cbn(2, 3);
  const torch::Tensor x = torch::randn({4, 2, 3, 3}) * 5 + 2;
  const torch::Tensor c = torch::randn({4, 3});
  // Batch statistics per channel, biased variance, eps 1e-5 (training mode).
  const torch::Tensor mean = x.mean({0, 2, 3}, true);
  const torch::Tensor var = x.var({0, 2, 3}, /*unbiased=*/false, true);
  const torch::Tensor normalised = (x - mean) / torch::sqrt(var + 1e-5);
  EXPECT_TRUE(torch::allclose(cbn->forward(x, c), normalised, 1e-4, 1e-5));
  {
    torch::NoGradGuard no_grad;
    cbn->gain->weight.copy_(torch::tensor({{1.0f, 0.0f, 0.0f}, {0.0f, 2.0f, 0.0f}}));
    cbn->bias->bias.copy_(torch::tensor({0.5f, -1.0f}));
  }
  // y = BN(x) * (1 + W_g c) + b_b: channel 0 scaled by 1 + c0, channel 1 by 1 + 2 c1.
  const torch::Tensor scale =
      torch::stack({1 + c.select(1, 0), 1 + 2 * c.select(1, 1)}, 1).view({4, 2, 1, 1});
  const torch::Tensor expected =
      normalised * scale + torch::tensor({0.5f, -1.0f}).view({1, 2, 1, 1});
  EXPECT_TRUE(torch::allclose(cbn->forward(x, c), expected, 1e-4, 1e-5));
}

TEST(ResNetGan, UpBlockIsItsShortcutPlusTheResidualPath) {
  torch::manual_seed(2);
  ResNetUpBlock block(4, 2, 5);
  const torch::Tensor x = torch::randn({3, 4, 4, 4});
  const torch::Tensor c = torch::randn({3, 5});
  const torch::Tensor full = block->forward(x, c);
  ASSERT_EQ(full.sizes(), (std::vector<int64_t>{3, 2, 8, 8}));
  // The shortcut: a 1x1 convolution of the nearest-upsampled input (every 2x2 cell one value).
  const torch::Tensor shortcut = torch::conv2d(torch::upsample_nearest2d(x, {8, 8}),
                                               block->shortcut->weight, block->shortcut->bias);
  const torch::Tensor residual = full - shortcut;
  EXPECT_GT(residual.abs().max().item<double>(), 1e-3);  // the residual path contributes
  // With the residual path's last convolution at zero, only the shortcut is left.
  set_to_zero(block->conv1->weight);
  set_to_zero(block->conv1->bias);
  EXPECT_TRUE(torch::allclose(block->forward(x, c), shortcut, 1e-5, 1e-6));
}

TEST(ResNetGan, DownBlockPoolsBothPathsAndItsFirstBlockSkipsTheLeadingRelu) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({2, 3, 8, 8});
  for (bool first : {true, false}) {
    ResNetDownBlock block(3, 4, /*downsample=*/true, first, /*spectral_norm=*/false);
    const auto p = block->named_parameters();
    const torch::Tensor in = first ? x : torch::relu(x);
    torch::Tensor h = torch::conv2d(in, p["conv0.weight"], p["conv0.bias"], 1, 1);
    h = torch::conv2d(torch::relu(h), p["conv1.weight"], p["conv1.bias"], 1, 1);
    // SNGAN's shortcut: 1x1 convolution, then average pooling (the block pools first; equal).
    const torch::Tensor skip =
        torch::avg_pool2d(torch::conv2d(x, p["shortcut.weight"], p["shortcut.bias"]), {2, 2});
    const torch::Tensor expected = torch::avg_pool2d(h, {2, 2}) + skip;
    const torch::Tensor out = block->forward(x);
    ASSERT_EQ(out.sizes(), (std::vector<int64_t>{2, 4, 4, 4}));
    EXPECT_TRUE(torch::allclose(out, expected, 1e-5, 1e-6)) << "first " << first;
  }
  // Same width, no pooling: the shortcut is the identity (no 1x1 convolution at all).
  ResNetDownBlock same(4, 4, /*downsample=*/false, false, false);
  EXPECT_FALSE(same->named_parameters().contains("shortcut.weight"));
}

TEST(ResNetGan, ShapesRangesAndWidthsAtEverySize) {
  torch::manual_seed(4);
  for (int64_t size : {32, 64, 128}) {
    for (int64_t classes : {0, 3}) {
      SCOPED_TRACE(std::to_string(size) + " px, classes " + std::to_string(classes));
      GeneratorOptions go;
      go.image_size(size).latent_dim(16).channels(4).family(NetworkFamily::kResNet);
      DiscriminatorOptions dop;
      dop.image_size(size).channels(4).family(NetworkFamily::kResNet).spectral_norm(true);
      if (classes > 0) {
        go.num_classes(classes).conditioning(Conditioning::kConcat);
        dop.num_classes(classes).head(DiscriminatorHead::kProjection);
      }
      Generator g(go);
      Discriminator d(dop);
      const torch::Tensor z = torch::randn({5, 16});
      const torch::Tensor labels = torch::tensor({0, 1, 2, 0, 1}, torch::kLong);
      const torch::Tensor x = g->forward(z, classes ? labels : torch::Tensor());
      ASSERT_EQ(x.sizes(), (std::vector<int64_t>{5, 3, size, size}));
      EXPECT_LT(x.abs().max().item<float>(), 1.0f);
      EXPECT_GT(x.std().item<float>(), 1e-3f);
      const DiscriminatorOutput out = d->forward(x, classes ? labels : torch::Tensor());
      ASSERT_EQ(out.logits.sizes(), (std::vector<int64_t>{5}));
      if (classes > 0) {
        ASSERT_EQ(out.class_logits.sizes(), (std::vector<int64_t>{5, 3}));
        for (int64_t n = 0; n < 5; ++n) {
          EXPECT_NEAR(out.class_logits[n][labels[n].item<int64_t>()].item<double>(),
                      out.logits[n].item<double>(), 1e-4);
        }
      }
      // One up block per doubling from 4x4; widths channels * S/(2r), capped at 8x (so 4 * 8 at
      // 4x4 from 64 px on) and at least 1.
      const auto gp = g->named_parameters();
      int64_t blocks = 0;
      while (gp.contains("resnet.blocks." + std::to_string(blocks) + ".conv0.weight")) ++blocks;
      int64_t log2_size = 0;
      while ((int64_t{1} << log2_size) < size) ++log2_size;
      EXPECT_EQ(blocks, log2_size - 2);
      EXPECT_EQ(gp["resnet.input.weight"].size(0), 4 * std::min<int64_t>(size / 8, 8) * 16);
      EXPECT_EQ(gp["resnet.to_rgb.weight"].size(1), std::max<int64_t>(4 / 2, 1));
    }
  }
}

TEST(ResNetGan, BilinearUpsamplingIsUsedByEveryBlockAndTransposedIsRefused) {
  // Same weights, two resizes: the images differ, and each block's shortcut is a 1x1
  // convolution of the bilinearly resized input.
  torch::manual_seed(6);
  GeneratorOptions go;
  go.image_size(32).latent_dim(16).channels(4).family(NetworkFamily::kResNet);
  Generator nearest(go);
  Generator bilinear(GeneratorOptions(go).upsample(Upsample::kBilinear));
  {
    torch::NoGradGuard no_grad;
    const auto from = nearest->named_parameters();
    for (auto& p : bilinear->named_parameters()) p.value().copy_(from[p.key()]);
  }
  nearest->eval();
  bilinear->eval();
  const torch::Tensor z = torch::randn({3, 16});
  const torch::Tensor a = nearest->forward(z), b = bilinear->forward(z);
  ASSERT_EQ(b.sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
  EXPECT_LT(b.abs().max().item<float>(), 1.0f);
  EXPECT_GT((a - b).abs().max().item<float>(), 1e-3f);
  // With the residual path's last convolution at zero a block is its shortcut.
  ResNetUpBlock up(2, 3, 4, Upsample::kBilinear);
  set_to_zero(up->conv1->weight);
  set_to_zero(up->conv1->bias);
  const torch::Tensor x = torch::randn({2, 2, 4, 4});
  const torch::Tensor shortcut = torch::conv2d(torch::upsample_bilinear2d(x, {8, 8}, false),
                                               up->shortcut->weight, up->shortcut->bias);
  EXPECT_TRUE(torch::allclose(up->forward(x, torch::randn({2, 4})), shortcut, 1e-5, 1e-6));
  EXPECT_THROW(ResNetGenerator(ResNetOptions().upsample(Upsample::kTransposed)), ConfigError);
}

TEST(ResNetGan, SkipBilinearResizesTheBranchByNearestAndTheShortcutBilinearly) {
  torch::manual_seed(7);
  const torch::Tensor x = torch::randn({2, 2, 4, 4}), c = torch::randn({2, 4});
  ResNetUpBlock skip(2, 3, 4, Upsample::kSkipBilinear);
  ResNetUpBlock nearest(2, 3, 4, Upsample::kResizeConv);
  {
    torch::NoGradGuard no_grad;
    const auto from = skip->named_parameters();
    for (auto& p : nearest->named_parameters()) p.value().copy_(from[p.key()]);
    // The conditional norms start as plain BatchNorm; make the branch's last convolution live.
    skip->conv1->weight.normal_();
    nearest->conv1->weight.copy_(skip->conv1->weight);
  }
  // Same weights: the blocks differ only in the shortcut, so their difference is the difference
  // of the two shortcuts: a 1x1 convolution (bias cancels) of bilinear minus nearest resizing.
  const torch::Tensor weight = skip->shortcut->weight;
  const torch::Tensor expected =
      torch::conv2d(torch::upsample_bilinear2d(x, {8, 8}, false), weight) -
      torch::conv2d(torch::upsample_nearest2d(x, {8, 8}), weight);
  const torch::Tensor a = skip->forward(x, c), b = nearest->forward(x, c);
  EXPECT_TRUE(torch::allclose(a - b, expected, 1e-5, 1e-6));
  EXPECT_GT(expected.abs().max().item<float>(), 1e-3f);
  // With the branch at zero the nearest block is made of 2x2 tiles; skip-bilinear's is not.
  for (ResNetUpBlock* block : {&skip, &nearest}) {
    set_to_zero((*block)->conv1->weight);
    set_to_zero((*block)->conv1->bias);
  }
  auto tile_step = [](const torch::Tensor& y) {  // largest jump between a pixel and its right twin
    return (y.slice(3, 0, 8, 2) - y.slice(3, 1, 8, 2)).abs().max().item<float>();
  };
  EXPECT_LT(tile_step(nearest->forward(x, c)), 1e-6f);
  EXPECT_GT(tile_step(skip->forward(x, c)), 1e-3f);
  // A whole generator at every size, and the families without shortcuts refuse it.
  for (int64_t size : {32, 64, 128}) {
    Generator g(GeneratorOptions()
                    .image_size(size)
                    .latent_dim(8)
                    .channels(4)
                    .family(NetworkFamily::kResNet)
                    .upsample(Upsample::kSkipBilinear));
    const torch::Tensor images = g->forward(torch::randn({2, 8}));
    EXPECT_EQ(images.sizes(), (std::vector<int64_t>{2, 3, size, size}));
    EXPECT_LE(images.abs().max().item<float>(), 1.0f);
  }
  for (NetworkFamily family : {NetworkFamily::kDcgan, NetworkFamily::kFastGan}) {
    try {
      Generator(GeneratorOptions().family(family).upsample(Upsample::kSkipBilinear));
      FAIL() << "accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("skip-bilinear"), std::string::npos) << e.what();
    }
  }
}

TEST(ResNetGan, TheClassChangesTheImageAndSpectralNormIsOptional) {
  torch::manual_seed(5);
  Generator g(GeneratorOptions()
                  .image_size(32)
                  .latent_dim(8)
                  .channels(4)
                  .num_classes(2)
                  .conditioning(Conditioning::kConcat)
                  .family(NetworkFamily::kResNet));
  g->eval();  // running statistics: each image depends on its own z and label only
  const torch::Tensor z = torch::randn({1, 8}).repeat({2, 1});
  const torch::Tensor x = g->forward(z, torch::tensor({0, 1}, torch::kLong));
  EXPECT_GT((x[0] - x[1]).abs().max().item<double>(), 1e-4);

  auto buffers_named_u = [](const Discriminator& d) {
    int64_t n = 0;
    for (const auto& b : d->named_buffers()) n += b.key().find("weight_u") != std::string::npos;
    return n;
  };
  const DiscriminatorOptions o =
      DiscriminatorOptions().image_size(32).channels(4).family(NetworkFamily::kResNet);
  EXPECT_GT(buffers_named_u(Discriminator(DiscriminatorOptions(o).spectral_norm(true))), 0);
  EXPECT_EQ(buffers_named_u(Discriminator(DiscriminatorOptions(o).spectral_norm(false))), 0);
}

TEST(ResNetGan, RefusesAnAuxiliaryHeadAndConditionalBatchNormConditioning) {
  EXPECT_THROW(Discriminator(DiscriminatorOptions()
                                 .family(NetworkFamily::kResNet)
                                 .num_classes(2)
                                 .head(DiscriminatorHead::kAuxiliary)),
               ConfigError);
  EXPECT_THROW(Generator(GeneratorOptions()
                             .family(NetworkFamily::kResNet)
                             .num_classes(2)
                             .conditioning(Conditioning::kBatchNorm)),
               ConfigError);
  EXPECT_THROW(ResNetGenerator(ResNetOptions().image_size(48)), ConfigError);
}

TEST(ResNetGan, MinibatchStddevLetsTheDiscriminatorSeeAClassDrawnAsOneImage) {
  torch::manual_seed(8);
  const DiscriminatorOptions base = DiscriminatorOptions()
                                        .image_size(32)
                                        .channels(4)
                                        .num_classes(2)
                                        .head(DiscriminatorHead::kProjection)
                                        .spectral_norm(false)
                                        .family(NetworkFamily::kResNet);
  Discriminator plain(base);
  Discriminator with(DiscriminatorOptions(base).minibatch_stddev(true));
  // The last block takes one more channel, the statistic.
  const auto plain_params = plain->named_parameters(), with_params = with->named_parameters();
  const std::string last = "resnet.blocks." + std::to_string(3) + ".conv0.weight";
  ASSERT_TRUE(with_params.contains(last)) << last;
  EXPECT_EQ(with_params[last].size(1), plain_params[last].size(1) + 1);
  // Image 0 of class 0 in two batches: beside three copies of itself (class 0 drawn as one
  // image), and beside three other images. Class 1 is the same in both batches.
  const torch::Tensor image = torch::rand({1, 3, 32, 32}) * 2 - 1;
  const torch::Tensor others = torch::rand({3, 3, 32, 32}) * 2 - 1;
  const torch::Tensor class1 = torch::rand({4, 3, 32, 32}) * 2 - 1;
  const torch::Tensor collapsed = torch::cat({image.repeat({4, 1, 1, 1}), class1});
  const torch::Tensor varied = torch::cat({image, others, class1});
  const torch::Tensor labels = torch::tensor({0, 0, 0, 0, 1, 1, 1, 1}, torch::kLong);
  torch::NoGradGuard no_grad;
  // Without the statistic each image's logit is its own; with it, image 0's depends on its class
  // mates (and class 1's does not depend on class 0's).
  EXPECT_NEAR(plain->forward(collapsed, labels).logits[0].item<float>(),
              plain->forward(varied, labels).logits[0].item<float>(), 1e-5);
  const torch::Tensor a = with->forward(collapsed, labels).logits;
  const torch::Tensor b = with->forward(varied, labels).logits;
  EXPECT_GT(std::abs(a[0].item<float>() - b[0].item<float>()), 1e-4);
  EXPECT_TRUE(torch::allclose(a.slice(0, 4), b.slice(0, 4), 1e-5, 1e-6));
  // Unconditional: groups of 4, as the paper's.
  Discriminator unconditional(DiscriminatorOptions(base)
                                  .num_classes(0)
                                  .head(DiscriminatorHead::kUnconditional)
                                  .minibatch_stddev(true));
  EXPECT_EQ(unconditional->forward(varied).logits.sizes(), (std::vector<int64_t>{8}));
  // Only the ResNet discriminator takes the option.
  try {
    Discriminator(DiscriminatorOptions(base)
                      .family(NetworkFamily::kDcgan)
                      .head(DiscriminatorHead::kProjection)
                      .minibatch_stddev(true));
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("minibatch_stddev"), std::string::npos) << e.what();
  }
}

TEST(ResNetGan, SkipBilinearLastResizesOnlyTheLastBlocksBranchBilinearly) {
  for (int64_t size : {32, 64, 128}) {
    auto options = [size](Upsample u) {
      return GeneratorOptions()
          .image_size(size)
          .latent_dim(8)
          .channels(4)
          .family(NetworkFamily::kResNet)
          .upsample(u);
    };
    Generator last(options(Upsample::kSkipBilinearLast)), skip(options(Upsample::kSkipBilinear));
    auto blocks = last->resnet()->named_modules();
    const int64_t n = last->resnet()->blocks();
    for (int64_t i = 0; i < n; ++i) {
      const auto* block = blocks["blocks." + std::to_string(i)]->as<ResNetUpBlock>();
      ASSERT_NE(block, nullptr);
      EXPECT_EQ(block->upsample, i + 1 == n ? Upsample::kBilinear : Upsample::kSkipBilinear)
          << "block " << i << " of " << n << " at " << size << " px";
    }
    {
      torch::NoGradGuard no_grad;
      const auto from = last->named_parameters();
      for (auto& p : skip->named_parameters()) p.value().copy_(from[p.key()]);
    }
    const torch::Tensor z = torch::randn({2, 8});
    const torch::Tensor a = last->forward(z), b = skip->forward(z);
    EXPECT_EQ(a.sizes(), (std::vector<int64_t>{2, 3, size, size}));
    EXPECT_LE(a.abs().max().item<float>(), 1.0f);
    EXPECT_GT((a - b).abs().max().item<float>(), 1e-5f) << "the last branch resized the same";
  }
  try {
    Generator(
        GeneratorOptions().family(NetworkFamily::kDcgan).upsample(Upsample::kSkipBilinearLast));
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("skip-bilinear-last"), std::string::npos) << e.what();
  }
}
