#include <gtest/gtest.h>

#include <torch/torch.h>

#include "core/error.h"
#include "models/gan/discriminator.h"
#include "models/gan/generator.h"

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
      const int64_t classes = arch.conditioning == Conditioning::kNone ? 0 : 3;
      Generator g(GeneratorOptions()
                      .image_size(size)
                      .latent_dim(16)
                      .channels(4)
                      .num_classes(classes)
                      .conditioning(arch.conditioning));
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
      } else {
        EXPECT_FALSE(out.class_logits.defined());
      }
    }
  }
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
