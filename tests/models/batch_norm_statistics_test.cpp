// Standing BatchNorm statistics for generators (models/gan/batch_norm_statistics.h).
#include "models/gan/batch_norm_statistics.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/gan/transposed_conv.h"

namespace skingan::models {
namespace {

Generator small_generator(Conditioning conditioning = Conditioning::kNone) {
  torch::manual_seed(2);
  return Generator(GeneratorOptions()
                       .image_size(16)
                       .latent_dim(8)
                       .channels(4)
                       .num_classes(conditioning == Conditioning::kNone ? 0 : 3)
                       .conditioning(conditioning));
}

models::SyncBatchNorm2dImpl& first_norm(Generator& g) {
  for (auto& m : g->modules(false)) {
    if (auto* bn = m->as<models::SyncBatchNorm2dImpl>()) return *bn;
  }
  throw std::runtime_error("no BatchNorm");
}

TEST(StandingStatistics, EqualTheAverageOfTheBatchStatistics) {
  Generator g = small_generator();
  // Stale statistics, as a training run leaves them.
  first_norm(g).running_mean.fill_(5.0);
  // 16 px: BatchNorm after the 4x4 and 8x8 blocks.
  ASSERT_EQ(recompute_batch_norm_statistics(g, 4, 16, /*seed=*/7, torch::kCPU), 2);
  EXPECT_FALSE(g->is_training());
  // The same four batches by hand: the first BatchNorm sees the first block's output.
  auto rng = at::make_generator<at::CPUGeneratorImpl>(7);
  torch::Tensor mean_sum = torch::zeros({8});  // 4 * min(16 / 8, 8) channels at 4x4
  torch::NoGradGuard no_grad;
  auto* first_block = g->named_modules()["blocks.0"]->as<TransposedConv2d>();
  ASSERT_NE(first_block, nullptr);
  for (int b = 0; b < 4; ++b) {
    const torch::Tensor z = torch::randn({16, 8}, rng, torch::kFloat);
    mean_sum += first_block->forward(z.view({16, 8, 1, 1})).mean({0, 2, 3});
  }
  EXPECT_TRUE(torch::allclose(first_norm(g).running_mean, mean_sum / 4, 1e-4, 1e-6))
      << first_norm(g).running_mean << mean_sum / 4;
  EXPECT_DOUBLE_EQ(first_norm(g).options.momentum().value(), 0.1);  // restored
}

TEST(StandingStatistics, MakeEvaluationOutputMatchTrainingOutputOnALargeBatch) {
  for (Conditioning c : {Conditioning::kNone, Conditioning::kBatchNorm}) {
    Generator g = small_generator(c);
    torch::NoGradGuard no_grad;
    for (auto& m : g->modules(false)) {
      if (auto* bn = m->as<models::SyncBatchNorm2dImpl>()) {
        bn->running_mean.fill_(3.0);  // far off
        bn->running_var.fill_(9.0);
      }
    }
    torch::manual_seed(3);
    const torch::Tensor z = torch::randn({2048, 8});
    const torch::Tensor labels =
        c == Conditioning::kNone ? torch::Tensor() : torch::randint(3, {2048}, torch::kLong);
    g->train();
    const torch::Tensor batch_mode = g->forward(z, labels);
    g->eval();
    const double stale = (g->forward(z, labels) - batch_mode).abs().mean().item<double>();
    recompute_batch_norm_statistics(g, 32, 64, 11, torch::kCPU);
    const double standing = (g->forward(z, labels) - batch_mode).abs().mean().item<double>();
    EXPECT_LT(standing, 0.02) << "conditioning " << static_cast<int>(c);
    EXPECT_GT(stale, 10 * standing) << "conditioning " << static_cast<int>(c);
  }
}

TEST(StandingStatistics, AreReproducibleFromTheSeed) {
  Generator a = small_generator(), b = small_generator();
  recompute_batch_norm_statistics(a, 3, 8, 5, torch::kCPU);
  recompute_batch_norm_statistics(b, 3, 8, 5, torch::kCPU);
  EXPECT_TRUE(torch::equal(first_norm(a).running_var, first_norm(b).running_var));
  recompute_batch_norm_statistics(b, 3, 8, 6, torch::kCPU);
  EXPECT_FALSE(torch::equal(first_norm(a).running_var, first_norm(b).running_var));
}

TEST(StandingStatistics, RefuseEmptyOrSingleImageBatches) {
  Generator g = small_generator();
  EXPECT_THROW(recompute_batch_norm_statistics(g, 0, 8, 1, torch::kCPU), c10::Error);
  EXPECT_THROW(recompute_batch_norm_statistics(g, 2, 1, 1, torch::kCPU), c10::Error);
}

}  // namespace
}  // namespace skingan::models
