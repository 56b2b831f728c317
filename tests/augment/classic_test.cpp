// Classic augmentation: shapes, ranges, seeding, and what each operation preserves.
#include "augment/classic.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"

using namespace skingan;
using namespace skingan::augment;

TEST(ClassicAugment, KeepsShapeAndRangeAndIsSeeded) {
  torch::manual_seed(0);
  const torch::Tensor x = torch::rand({6, 3, 32, 32});
  const ClassicPolicy policy = parse_classic_policy("classic");
  at::Generator g1 = at::make_generator<at::CPUGeneratorImpl>(5);
  at::Generator g2 = at::make_generator<at::CPUGeneratorImpl>(5);
  at::Generator g3 = at::make_generator<at::CPUGeneratorImpl>(6);
  const torch::Tensor a = classic_augment(x, policy, g1), b = classic_augment(x, policy, g2);
  const torch::Tensor c = classic_augment(x, policy, g3);
  EXPECT_EQ(a.sizes(), x.sizes());
  EXPECT_GE(a.min().item<float>(), 0.0f);
  EXPECT_LE(a.max().item<float>(), 1.0f);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  EXPECT_FALSE(torch::allclose(a, x));
}

TEST(ClassicAugment, NoneIsTheIdentityAndFlipsKeepEachImagesPixels) {
  const torch::Tensor x = torch::rand({8, 3, 16, 16});
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(1);
  EXPECT_TRUE(torch::equal(classic_augment(x, parse_classic_policy("none"), g), x));
  ClassicPolicy flips;
  flips.flips = true;
  const torch::Tensor y = classic_augment(x, flips, g);
  // A flip permutes pixels within its own image: sorted values per image are unchanged, so
  // images (and hence their labels) stay in place.
  EXPECT_TRUE(torch::equal(std::get<0>(y.flatten(1).sort(1)), std::get<0>(x.flatten(1).sort(1))));
}

TEST(ClassicAugment, RefusesAnUnknownPolicy) {
  try {
    parse_classic_policy("heavy");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("none or classic"), std::string::npos) << e.what();
  }
}
