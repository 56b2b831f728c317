#include <gtest/gtest.h>

#include <torch/torch.h>

#include "models/gan/layers.h"
#include "models/gan/spectral_norm.h"

using namespace skingan::models;

TEST(SpectralNorm, EstimateConvergesToLargestSingularValue) {
  torch::manual_seed(3);
  torch::nn::Module owner;
  const torch::Tensor weight = torch::randn({12, 5, 3, 3});
  SpectralNorm sn(owner, "w", 12, 45, /*power_iterations=*/1);
  for (int i = 0; i < 100; ++i) sn.normalize(weight, /*training=*/true);
  const double expected = torch::linalg_svdvals(weight.reshape({12, 45}))[0].item<double>();
  EXPECT_NEAR(sn.sigma(weight).item<double>(), expected, 1e-4 * expected);
  // The normalised weight has spectral norm 1.
  const torch::Tensor normalized = sn.normalize(weight, /*training=*/false);
  EXPECT_NEAR(torch::linalg_svdvals(normalized.reshape({12, 45}))[0].item<double>(), 1.0, 1e-4);
}

TEST(SpectralNorm, EvalModeDoesNotUpdateTheEstimate) {
  torch::manual_seed(4);
  SNLinear layer(6, 4, true, true);
  layer->train();
  layer->forward(torch::randn({2, 6}));
  const auto buffers_before = layer->buffers();
  std::vector<torch::Tensor> saved;
  for (const auto& b : buffers_before) saved.push_back(b.clone());
  layer->eval();
  layer->forward(torch::randn({2, 6}));
  const auto after = layer->buffers();
  for (size_t i = 0; i < saved.size(); ++i) EXPECT_TRUE(torch::equal(saved[i], after[i]));
}

TEST(SpectralNorm, GradientFlowsThroughSigma) {
  torch::manual_seed(5);
  SNConv2d conv(2, 3, 3, 1, 1, false, true);
  conv->forward(torch::randn({1, 2, 5, 5})).sum().backward();
  ASSERT_TRUE(conv->weight.grad().defined());
  EXPECT_GT(conv->weight.grad().abs().sum().item<double>(), 0.0);
}
