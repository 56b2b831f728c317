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

// Every parameter, not only the first, follows p_ema <- d p_ema + (1 - d) p exactly (the update
// runs as multi-tensor ops over the whole list), and buffers are copied.
TEST(GeneratorEma, BlendsEveryParameterOfAConditionalResNetGenerator) {
  torch::manual_seed(3);
  models::Generator g(models::GeneratorOptions()
                          .family(models::NetworkFamily::kResNet)
                          .image_size(32)
                          .latent_dim(8)
                          .channels(4)
                          .num_classes(3)
                          .conditioning(models::Conditioning::kConcat));
  train::GeneratorEma ema(g, 0.9, torch::kCPU);
  std::vector<torch::Tensor> before;
  {
    torch::NoGradGuard no_grad;
    for (auto& p : g->parameters()) p.add_(torch::randn_like(p));
    for (auto& b : g->buffers())
      if (b.is_floating_point()) b.add_(1.0);
    for (const auto& p : ema.model()->parameters()) before.push_back(p.clone());
  }
  ema.update(g, 100000);  // d = 0.9
  const auto after = ema.model()->parameters();
  const auto source = g->parameters();
  ASSERT_GT(after.size(), 20u);
  for (size_t i = 0; i < after.size(); ++i) {
    const torch::Tensor expected = before[i].mul(0.9).add(source[i], 1.0 - 0.9);
    EXPECT_TRUE(torch::equal(after[i], expected)) << "parameter " << i;
  }
  const auto ema_buffers = ema.model()->buffers();
  const auto source_buffers = g->buffers();
  ASSERT_EQ(ema_buffers.size(), source_buffers.size());
  for (size_t i = 0; i < ema_buffers.size(); ++i)
    EXPECT_TRUE(torch::equal(ema_buffers[i], source_buffers[i])) << "buffer " << i;
}
