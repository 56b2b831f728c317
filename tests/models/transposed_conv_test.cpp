// TransposedConv2d (oneDNN conv-backward formulation) against LibTorch's ConvTranspose2d op.
#include "models/gan/transposed_conv.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace skingan::models {
namespace {

struct Case {
  int64_t batch, in, out, side, kernel, stride, padding;
};

class TransposedConvMatchesStandard : public ::testing::TestWithParam<Case> {};

TEST_P(TransposedConvMatchesStandard, OutputsAndGradients) {
  const Case c = GetParam();
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({c.batch, c.in, c.side, c.side + 1}).requires_grad_();
  const torch::Tensor w = (0.1 * torch::randn({c.in, c.out, c.kernel, c.kernel})).requires_grad_();

  const torch::Tensor expected = torch::conv_transpose2d(x, w, {}, c.stride, c.padding);
  const torch::Tensor actual = transposed_conv2d(x, w, c.stride, c.padding);
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_TRUE(torch::allclose(actual, expected, 1e-4, 1e-5));

  const torch::Tensor grad_y = torch::randn_like(expected);
  const auto expected_grads = torch::autograd::grad({expected}, {x, w}, {grad_y});
  const auto actual_grads = torch::autograd::grad({actual}, {x, w}, {grad_y});
  EXPECT_TRUE(torch::allclose(actual_grads[0], expected_grads[0], 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(actual_grads[1], expected_grads[1], 1e-4, 1e-3));
}

INSTANTIATE_TEST_SUITE_P(Shapes, TransposedConvMatchesStandard,
                         ::testing::Values(Case{4, 16, 32, 1, 4, 1, 0},  // latent -> 4x4
                                           Case{4, 32, 16, 4, 4, 2, 1},  // 4x4 -> 8x8
                                           Case{2, 8, 3, 16, 4, 2, 1},   // to RGB
                                           Case{3, 5, 7, 6, 3, 1, 1}));  // odd sizes

TEST(TransposedConv2dModule, WeightLayoutAndNameMatchConvTranspose2d) {
  TransposedConv2d ours(6, 4, 4, 2, 1);
  torch::nn::ConvTranspose2d standard(
      torch::nn::ConvTranspose2dOptions(6, 4, 4).stride(2).padding(1).bias(false));
  ASSERT_EQ(ours->named_parameters().size(), 1u);
  EXPECT_EQ(ours->named_parameters()["weight"].sizes(), standard->weight.sizes());
  torch::NoGradGuard no_grad;
  ours->weight.copy_(standard->weight);
  const torch::Tensor x = torch::randn({2, 6, 5, 5});
  EXPECT_TRUE(torch::allclose(ours->forward(x), standard->forward(x), 1e-4, 1e-5));
}

TEST(TransposedConv2d, RefusesMismatchedChannels) {
  EXPECT_THROW(transposed_conv2d(torch::randn({1, 3, 4, 4}), torch::randn({4, 2, 4, 4}), 2, 1),
               c10::Error);
}

}  // namespace
}  // namespace skingan::models
