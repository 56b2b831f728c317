#include <gtest/gtest.h>

#include <torch/torch.h>

#include "train/ema.h"

using namespace skingan;

TEST(GeneratorEma, FollowsTheAverageWithRampUp) {
  torch::manual_seed(2);
  models::Generator g(models::GeneratorOptions().image_size(8).latent_dim(4).channels(2));
  train::GeneratorEma ema(g, 0.99, torch::kCPU);
  const torch::Tensor start = ema.model()->parameters()[0].clone();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : g->parameters()) p.add_(1.0);
  }
  // Step 0: d = min(0.99, 1/10) = 0.1, so the EMA moves 90% of the way.
  ema.update(g, 0);
  EXPECT_TRUE(torch::allclose(ema.model()->parameters()[0], start + 0.9, 1e-5, 1e-6));
  // Late steps use the configured decay: 1% of the remaining gap.
  const torch::Tensor before = ema.model()->parameters()[0].clone();
  ema.update(g, 100000);
  const torch::Tensor gap = g->parameters()[0] - before;
  EXPECT_TRUE(torch::allclose(ema.model()->parameters()[0], before + 0.01 * gap, 1e-5, 1e-6));
  EXPECT_FALSE(ema.model()->parameters()[0].requires_grad());
}
