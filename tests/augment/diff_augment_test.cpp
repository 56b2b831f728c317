#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "augment/diff_augment.h"
#include "core/error.h"

using namespace skingan;
using namespace skingan::augment;

namespace {

at::Generator generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

}  // namespace

TEST(DiffAugment, IsDifferentiableForEveryPolicy) {
  for (const char* policy : {"color", "translation", "cutout", "color,translation,cutout"}) {
    auto gen = generator(1);
    const torch::Tensor x = torch::rand({4, 3, 16, 16}).mul(2).sub(1).requires_grad_(true);
    const torch::Tensor y = diff_augment(x, parse_diff_augment(policy), gen);
    ASSERT_EQ(y.sizes(), x.sizes()) << policy;
    y.pow(2).sum().backward();
    ASSERT_TRUE(x.grad().defined()) << policy;
    EXPECT_GT(x.grad().abs().sum().item<double>(), 0.0) << policy;
  }
}

TEST(DiffAugment, SamePolicyAndRandomStateGiveTheSameTransformForRealAndFake) {
  // The trainer sends real and fake batches through the same policy. Applied to identical
  // inputs from identical generator states, the transform must be identical: nothing in it
  // depends on which batch it is.
  const DiffAugmentPolicy policy = parse_diff_augment("color,translation,cutout");
  const torch::Tensor x = torch::rand({3, 3, 16, 16});
  auto gen_real = generator(7), gen_fake = generator(7);
  EXPECT_TRUE(
      torch::equal(diff_augment(x, policy, gen_real), diff_augment(x.clone(), policy, gen_fake)));
  auto other = generator(8);
  EXPECT_FALSE(torch::equal(diff_augment(x, policy, gen_real), diff_augment(x, policy, other)));
}

TEST(DiffAugment, TranslationOnlyMovesPixelsAndFillsZeros) {
  auto gen = generator(2);
  const torch::Tensor x = torch::arange(1, 1 + 2 * 3 * 16 * 16, torch::kFloat).view({2, 3, 16, 16});
  const torch::Tensor y = diff_augment(x, parse_diff_augment("translation"), gen);
  // Every output value is 0 or one of the same image's input values.
  for (int64_t n = 0; n < 2; ++n) {
    const torch::Tensor in = x[n].flatten(), out = y[n].flatten();
    const torch::Tensor found = torch::isin(out, in) | (out == 0);
    EXPECT_TRUE(found.all().item<bool>());
  }
}

TEST(DiffAugment, CutoutZeroesAtMostAQuarterSquare) {
  auto gen = generator(3);
  const torch::Tensor x = torch::ones({8, 3, 16, 16});
  const torch::Tensor y = diff_augment(x, parse_diff_augment("cutout"), gen);
  for (int64_t n = 0; n < 8; ++n) {
    const int64_t zeros = (y[n][0] == 0).sum().item<int64_t>();
    EXPECT_GT(zeros, 0);
    EXPECT_LE(zeros, 8 * 8);
    EXPECT_TRUE(torch::equal(y[n][0] == 0, y[n][2] == 0));  // same square in every channel
  }
}

TEST(DiffAugment, NoneIsIdentityAndUnknownNamesAreRefused) {
  auto gen = generator(4);
  const torch::Tensor x = torch::rand({2, 3, 8, 8});
  EXPECT_TRUE(torch::equal(diff_augment(x, parse_diff_augment("none"), gen), x));
  try {
    parse_diff_augment("color,flip");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'flip'"), std::string::npos);
  }
  EXPECT_EQ(to_string(parse_diff_augment("cutout,color")), "color,cutout");
}
