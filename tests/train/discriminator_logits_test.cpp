// GanTrainer::discriminator_logits (what --eval-every's memorisation measure r_v reads): D's
// evaluation-mode logits in batches, with D's weights, buffers and mode left as they were.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "test_util.h"
#include "train/gan_trainer.h"

namespace skingan::train {
namespace {

std::vector<torch::Tensor> state_of(models::Discriminator& d) {
  std::vector<torch::Tensor> state;
  for (const auto& p : d->parameters()) state.push_back(p.detach().clone());
  for (const auto& b : d->buffers()) state.push_back(b.clone());
  return state;
}

TEST(DiscriminatorLogits, EvaluationModeLogitsInBatchesLeaveDAsItWas) {
  const auto [images, labels] = test::two_colour_images();
  // Spectral norm (resnet), BatchNorm (dcgan) and a growing D faded to its level (progan).
  for (GanArch arch : {GanArch::kResnet, GanArch::kDcgan, GanArch::kProgan}) {
    SCOPED_TRACE(gan_arch_name(arch));
    GanTrainer trainer(test::tiny_gan_config(arch), images, labels, arch == GanArch::kDcgan ? 1 : 2,
                       torch::kCPU);
    for (int i = 0; i < 3; ++i) trainer.train_step();  // BatchNorm statistics and vectors moved
    torch::manual_seed(3);
    const torch::Tensor x = torch::rand({300, 3, 32, 32}) * 2 - 1;  // more than one batch
    const torch::Tensor y = torch::randint(2, {300}, torch::kLong);
    const std::vector<torch::Tensor> before = state_of(trainer.discriminator());
    ASSERT_TRUE(trainer.discriminator()->is_training());

    const torch::Tensor logits = trainer.discriminator_logits(x, y);
    ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{300}));
    EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
    EXPECT_TRUE(trainer.discriminator()->is_training());
    const std::vector<torch::Tensor> after = state_of(trainer.discriminator());
    ASSERT_EQ(before.size(), after.size());
    for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], after[i])) << i;

    // The same as evaluation-mode forwards of rows 0-255 and 256-299 (at progan's level, faded;
    // its minibatch standard deviation makes its logits depend on the batch).
    torch::NoGradGuard no_grad;
    trainer.discriminator()->eval();
    torch::Tensor input = x;
    if (arch == GanArch::kProgan) {
      input = models::fade_images(x, trainer.discriminator()->progressive()->level());
    }
    std::vector<torch::Tensor> parts;
    for (int64_t start : {0, 256}) {
      const int64_t n = start == 0 ? 256 : 44;
      const torch::Tensor classes =
          arch == GanArch::kDcgan ? torch::Tensor() : y.narrow(0, start, n);
      parts.push_back(trainer.discriminator()
                          ->forward(input.narrow(0, start, n), classes)
                          .logits.reshape({-1}));
    }
    const torch::Tensor expected = torch::cat(parts);
    trainer.discriminator()->train();
    EXPECT_TRUE(torch::allclose(logits, expected, 1e-4, 1e-5))
        << (logits - expected).abs().max().item<double>();
    // And the classes matter to a conditional D.
    if (arch != GanArch::kDcgan) {
      EXPECT_FALSE(torch::equal(logits, trainer.discriminator_logits(x, 1 - y)));
    }
  }
}

}  // namespace
}  // namespace skingan::train
