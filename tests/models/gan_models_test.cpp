#include <cmath>

#include <gtest/gtest.h>

#include <torch/torch.h>  // with torch/fft.h (1.13's fft.h alone does not compile)

#include "core/error.h"
#include "models/gan/discriminator.h"
#include "models/gan/generator.h"
#include "models/gan/layers.h"
#include "models/gan/upsample.h"

using namespace skingan;
using namespace skingan::models;

namespace {

struct ArchCase {
  Conditioning conditioning;
  DiscriminatorHead head;
  bool spectral_norm;
};

const ArchCase kArchs[] = {
    {Conditioning::kNone, DiscriminatorHead::kUnconditional, false},   // dcgan
    {Conditioning::kConcat, DiscriminatorHead::kAuxiliary, false},     // acgan
    {Conditioning::kBatchNorm, DiscriminatorHead::kProjection, true},  // cgan
};

}  // namespace

TEST(GanModels, ShapesAndRangesForEveryArchitectureAndSize) {
  torch::manual_seed(0);
  for (const auto& arch : kArchs) {
    for (int64_t size : {32, 64, 128}) {
      for (Upsample upsample :
           {Upsample::kTransposed, Upsample::kResizeConv, Upsample::kBilinear}) {
        SCOPED_TRACE(upsample_name(upsample) + " " + std::to_string(size));
        const int64_t classes = arch.conditioning == Conditioning::kNone ? 0 : 3;
        Generator g(GeneratorOptions()
                        .image_size(size)
                        .latent_dim(16)
                        .channels(4)
                        .num_classes(classes)
                        .conditioning(arch.conditioning)
                        .upsample(upsample));
        Discriminator d(DiscriminatorOptions()
                            .image_size(size)
                            .channels(4)
                            .num_classes(classes)
                            .head(arch.head)
                            .spectral_norm(arch.spectral_norm));
        const torch::Tensor z = torch::randn({5, 16});
        const torch::Tensor labels = torch::tensor({0, 1, 2, 0, 1}, torch::kLong);
        const torch::Tensor x = g->forward(z, classes ? labels : torch::Tensor());
        ASSERT_EQ(x.sizes(), (std::vector<int64_t>{5, 3, size, size})) << size;
        EXPECT_LT(x.abs().max().item<float>(), 1.0f);  // tanh: strictly inside (-1,1)
        const DiscriminatorOutput out = d->forward(x, classes ? labels : torch::Tensor());
        ASSERT_EQ(out.logits.sizes(), (std::vector<int64_t>{5}));
        if (arch.head == DiscriminatorHead::kAuxiliary) {
          ASSERT_EQ(out.class_logits.sizes(), (std::vector<int64_t>{5, 3}));
        } else if (arch.head == DiscriminatorHead::kProjection) {
          // The logit given every class; each sample's own column is its logit.
          ASSERT_EQ(out.class_logits.sizes(), (std::vector<int64_t>{5, 3}));
          EXPECT_TRUE(torch::allclose(out.class_logits.gather(1, labels.unsqueeze(1)).squeeze(1),
                                      out.logits, 1e-5, 1e-6));
        } else {
          EXPECT_FALSE(out.class_logits.defined());
        }
      }
    }
  }
}

TEST(GanModels, ResizeUpsamplingReplacesEveryStridedTransposedConvolution) {
  // 64 px, ngf 8: the 1x1 -> 4x4 projection stays a 4x4 transposed convolution (100 x 64 x 16
  // weights); the four doublings become 3x3 convolutions 64->32->16->8->3 (weight [out,in,3,3]).
  Generator g(GeneratorOptions().image_size(64).latent_dim(100).channels(8).upsample(
      Upsample::kResizeConv));
  std::vector<std::vector<int64_t>> shapes;
  for (const auto& p : g->named_parameters()) {
    if (p.key().rfind("blocks.", 0) == 0) shapes.push_back(p.value().sizes().vec());
  }
  const std::vector<std::vector<int64_t>> expected = {
      {100, 64, 4, 4}, {32, 64, 3, 3}, {16, 32, 3, 3}, {8, 16, 3, 3}, {3, 8, 3, 3}};
  EXPECT_EQ(shapes, expected);
}

// How far even and odd rows/columns differ systematically: per channel, the mean over the batch
// and the interior of x[2i] - x[2i+1] along each axis, in units of the channel's standard
// deviation; the mean of those magnitudes. A 2-periodic lattice gives a clear offset; an image
// without one gives about 0.
static double parity_offset(const torch::Tensor& x) {
  const torch::Tensor inner = x.slice(2, 4, -4).slice(3, 4, -4);
  const torch::Tensor sd = inner.std({0, 2, 3});
  const torch::Tensor rows =
      (inner.slice(2, 0, c10::nullopt, 2) - inner.slice(2, 1, c10::nullopt, 2)).mean({0, 2, 3});
  const torch::Tensor cols =
      (inner.slice(3, 0, c10::nullopt, 2) - inner.slice(3, 1, c10::nullopt, 2)).mean({0, 2, 3});
  return ((rows.abs() + cols.abs()) / (2 * sd)).mean().item<double>();
}

TEST(GanModels, ResizeUpsamplingHasNoParityLatticeAtInitialisation) {
  // A stride-2 transposed convolution computes even and odd pixels from different kernel taps,
  // so a freshly initialised DCGAN generator already draws a lattice; nearest x2 + 3x3 does not.
  torch::NoGradGuard no_grad;
  torch::manual_seed(4);
  const torch::Tensor z = torch::randn({64, 32});
  double offset[2];
  for (int i = 0; i < 2; ++i) {
    torch::manual_seed(8);
    Generator g(GeneratorOptions().image_size(32).latent_dim(32).channels(16).upsample(
        i == 0 ? Upsample::kTransposed : Upsample::kResizeConv));
    offset[i] = parity_offset(g->forward(z));  // training mode: batch statistics
  }
  EXPECT_GT(offset[0], 0.3) << "transposed";
  EXPECT_LT(offset[1], 0.1) << "resize";
  EXPECT_GT(offset[0], 5 * offset[1]);
}

TEST(GanModels, UpsamplingNamesRoundTripAndAnUnknownOneIsRefused) {
  for (Upsample u : {Upsample::kTransposed, Upsample::kResizeConv, Upsample::kBilinear,
                     Upsample::kSkipBilinear, Upsample::kSkipBilinearLast}) {
    EXPECT_EQ(parse_upsample(upsample_name(u)), u);
  }
  try {
    parse_upsample("bicubic");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'bicubic'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(
                  "transposed, resize, bilinear, skip-bilinear or skip-bilinear-last"),
              std::string::npos)
        << e.what();
  }
}

// Power of a row signal's DFT at `bin`, averaged over the rows of x [N,C,H,W] (the last axis).
static double row_power(const torch::Tensor& x, int64_t bin) {
  return torch::fft::rfft(x.to(torch::kDouble), c10::nullopt, 3)
      .select(3, bin)
      .abs()
      .square()
      .mean()
      .item<double>();
}

TEST(GanModels, BilinearResizingKeepsTheMirrorFrequencyOutOfTheFineScale) {
  // A cosine of 2 cycles across a 16-px map (f = 1/16 cycles per output pixel after doubling).
  // Doubling the side puts its mirror image at 1/2 - f: bin 14 of the 32-px output. Nearest
  // resizing leaves it at tan^2(pi f) = 4% of the power, bilinear at tan^6 = 0.006% (plus what
  // the clamped borders add).
  const torch::Tensor x = torch::cos(torch::arange(16, torch::kDouble) * (2 * M_PI * 2 / 16))
                              .view({1, 1, 1, 16})
                              .expand({1, 1, 16, 16})
                              .to(torch::kFloat)
                              .contiguous();
  const double tan_f = std::tan(M_PI / 16);
  const torch::Tensor nearest = resize_twice(x, Upsample::kResizeConv);
  const torch::Tensor bilinear = resize_twice(x, Upsample::kBilinear);
  ASSERT_EQ(bilinear.sizes(), (std::vector<int64_t>{1, 1, 32, 32}));
  EXPECT_NEAR(row_power(nearest, 14) / row_power(nearest, 2), std::pow(tan_f, 2), 1e-6);
  EXPECT_LT(row_power(bilinear, 14) / row_power(bilinear, 2), 1e-3);
  // The wanted frequency passes both (|cos(pi f)|^2 and |cos(pi f)|^6 of the original power).
  EXPECT_GT(row_power(bilinear, 2), 0.8 * row_power(nearest, 2));
  EXPECT_THROW(resize_twice(x, Upsample::kTransposed), c10::Error);
}

TEST(GanModels, Dcgan64MatchesPytorchExamplesParameterCount) {
  // pytorch/examples dcgan with nz=100, ngf=ndf=64, nc=3: G has 3,576,704 parameters, D has
  // 2,765,568. Our D replaces the last 4x4 conv (no bias) by a linear layer with a bias: +1.
  Generator g(GeneratorOptions().image_size(64).latent_dim(100).channels(64));
  Discriminator d(DiscriminatorOptions().image_size(64).channels(64));
  auto count = [](const std::vector<torch::Tensor>& params) {
    int64_t n = 0;
    for (const auto& p : params) n += p.numel();
    return n;
  };
  EXPECT_EQ(count(g->parameters()), 3576704);
  EXPECT_EQ(count(d->parameters()), 2765568 + 1);
}

TEST(GanModels, ConditionalGeneratorUsesTheLabel) {
  torch::manual_seed(1);
  Generator g(
      GeneratorOptions().image_size(32).latent_dim(8).channels(4).num_classes(2).conditioning(
          Conditioning::kConcat));
  g->eval();
  const torch::Tensor z = torch::randn({1, 8});
  const torch::Tensor a = g->forward(z, torch::tensor({0}, torch::kLong));
  const torch::Tensor b = g->forward(z, torch::tensor({1}, torch::kLong));
  EXPECT_GT((a - b).abs().max().item<float>(), 1e-4);
}

TEST(GanModels, RefusesSizesThatAreNotPowersOfTwo) {
  try {
    Generator g(GeneratorOptions().image_size(48));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("not a power of two"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Discriminator(DiscriminatorOptions().image_size(100)), ConfigError);
  EXPECT_THROW(Generator(GeneratorOptions().num_classes(0).conditioning(Conditioning::kConcat)),
               ConfigError);
}

TEST(GanModels, ChannelsLastGivesTheSameOutputsAndGradients) {
  for (const auto& arch : kArchs) {
    const int64_t classes = arch.conditioning == Conditioning::kNone ? 0 : 3;
    const GeneratorOptions g_options = GeneratorOptions()
                                           .image_size(32)
                                           .latent_dim(16)
                                           .channels(8)
                                           .num_classes(classes)
                                           .conditioning(arch.conditioning);
    const DiscriminatorOptions d_options = DiscriminatorOptions()
                                               .image_size(32)
                                               .channels(8)
                                               .num_classes(classes)
                                               .head(arch.head)
                                               .spectral_norm(arch.spectral_norm);
    torch::manual_seed(4);
    Generator g_nchw(g_options), g_nhwc(g_options);
    Discriminator d_nchw(d_options), d_nhwc(d_options);
    {
      torch::NoGradGuard no_grad;
      for (auto& [from, to] : {std::pair{g_nchw->parameters(), g_nhwc->parameters()},
                               std::pair{d_nchw->parameters(), d_nhwc->parameters()}}) {
        for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
      }
      for (auto& [from, to] : {std::pair{g_nchw->buffers(), g_nhwc->buffers()},
                               std::pair{d_nchw->buffers(), d_nhwc->buffers()}}) {
        for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
      }
    }
    use_channels_last(*g_nhwc);
    use_channels_last(*d_nhwc);
    for (const auto& p : g_nhwc->parameters()) {
      if (p.dim() == 4) {
        EXPECT_TRUE(p.is_contiguous(torch::MemoryFormat::ChannelsLast));
      }
    }
    const torch::Tensor z = torch::randn({6, 16});
    const torch::Tensor labels =
        classes ? torch::tensor({0, 1, 2, 0, 1, 2}, torch::kLong) : torch::Tensor();
    const torch::Tensor loss_nchw =
        d_nchw->forward(g_nchw->forward(z, labels), labels).logits.sum();
    const torch::Tensor loss_nhwc =
        d_nhwc->forward(g_nhwc->forward(z, labels), labels).logits.sum();
    EXPECT_NEAR(loss_nchw.item<double>(), loss_nhwc.item<double>(), 1e-4);
    loss_nchw.backward();
    loss_nhwc.backward();
    const auto grads_nchw = g_nchw->parameters(), grads_nhwc = g_nhwc->parameters();
    for (size_t i = 0; i < grads_nchw.size(); ++i) {
      EXPECT_TRUE(torch::allclose(grads_nchw[i].grad(), grads_nhwc[i].grad(), 1e-3, 1e-5))
          << "generator parameter " << i << " of conditioning "
          << static_cast<int>(arch.conditioning);
    }
  }
}
