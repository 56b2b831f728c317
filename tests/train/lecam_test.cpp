#include <gtest/gtest.h>

#include <torch/torch.h>

#include "core/error.h"
#include "test_util.h"
#include "train/gan_config.h"
#include "train/gan_trainer.h"
#include "train/lecam.h"

using namespace skingan;
using namespace skingan::train;

namespace {

torch::Tensor scalar(double v) { return torch::tensor(v, torch::kDouble); }

// Two colours, 8 images each: uint8 [16,3,32,32] and their classes.
struct Toy {
  torch::Tensor images, labels;
};
Toy two_colours() {
  Toy t;
  t.images = torch::cat({torch::full({8, 3, 32, 32}, 200, torch::kByte),
                         torch::full({8, 3, 32, 32}, 40, torch::kByte)});
  t.labels = torch::cat({torch::zeros({8}, torch::kLong), torch::ones({8}, torch::kLong)});
  return t;
}

}  // namespace

TEST(Lecam, AnchorsAreBiasCorrectedMovingAveragesOfTheMeanScores) {
  LecamRegularizer lecam(torch::kCPU, 0.99);
  EXPECT_FALSE(lecam.anchor_real().defined());
  lecam.observe(scalar(2.0), scalar(-1.0));
  // One update: 0.01 * 2 / (1 - 0.99) is the score itself, not a fifth of it.
  EXPECT_NEAR(lecam.anchor_real().item<double>(), 2.0, 1e-12);
  EXPECT_NEAR(lecam.anchor_fake().item<double>(), -1.0, 1e-12);
  lecam.observe(scalar(4.0), scalar(-3.0));
  const double norm = 1.0 - 0.99 * 0.99;
  EXPECT_NEAR(lecam.anchor_real().item<double>(), (0.99 * 0.01 * 2.0 + 0.01 * 4.0) / norm, 1e-12);
  EXPECT_NEAR(lecam.anchor_fake().item<double>(), (0.99 * 0.01 * -1.0 + 0.01 * -3.0) / norm, 1e-12);
}

TEST(Lecam, LossAndGradientMatchTheFormulaByHand) {
  LecamRegularizer lecam(torch::kCPU);
  const torch::Tensor real = torch::tensor({0.5, -2.0, 1.0}, torch::kDouble).requires_grad_(true);
  const torch::Tensor fake = torch::tensor({3.0, 1.5}, torch::kDouble).requires_grad_(true);
  EXPECT_EQ(lecam.loss(real, fake).item<double>(), 0.0) << "no anchors before the first update";
  lecam.observe(scalar(2.0), scalar(-1.0));  // anchors: real 2, fake -1
  const torch::Tensor loss = lecam.loss(real, fake);
  // real: relu(x + 1)^2 = 2.25, 0, 4 (mean 6.25 / 3); fake: relu(2 - x)^2 = 0, 0.25 (mean 0.125).
  EXPECT_NEAR(loss.item<double>(), 6.25 / 3 + 0.125, 1e-12);
  loss.backward();
  // d/dx of mean(relu(x - a)^2) = 2 relu(x - a) / n; of mean(relu(a - x)^2) = -2 relu(a - x) / n.
  EXPECT_TRUE(torch::allclose(real.grad(), torch::tensor({1.0, 0.0, 4.0 / 3}, torch::kDouble)));
  EXPECT_TRUE(torch::allclose(fake.grad(), torch::tensor({0.0, -0.5}, torch::kDouble)));
}

TEST(Lecam, BoundsHowFarAMemorisingDiscriminatorSeparatesRealFromFake) {
  // The smallest discriminator that can memorise: one free score for the real images and one for
  // the fakes, trained by gradient descent on the BCE loss. Unregularised, the scores part
  // without limit (the gap grows like 2 log t); LeCam holds them near each other's anchors.
  auto gap_after = [](double weight) {
    LecamRegularizer lecam(torch::kCPU);
    torch::Tensor r = torch::zeros({}, torch::kDouble).requires_grad_(true);
    torch::Tensor f = torch::zeros({}, torch::kDouble).requires_grad_(true);
    for (int step = 0; step < 500; ++step) {
      torch::Tensor loss = torch::softplus(-r) + torch::softplus(f);
      if (weight > 0) loss = loss + weight * lecam.loss(r, f);
      loss.backward();
      {
        torch::NoGradGuard no_grad;
        r -= 0.5 * r.grad();
        f -= 0.5 * f.grad();
        r.grad().zero_();
        f.grad().zero_();
      }
      lecam.observe(r.detach(), f.detach());
    }
    return (r - f).item<double>();
  };
  const double free_gap = gap_after(0.0), regularised_gap = gap_after(0.3);
  EXPECT_GT(free_gap, 8.0);
  EXPECT_GT(regularised_gap, 0.0) << "it still tells real from fake";
  EXPECT_LT(regularised_gap, 1.5);
}

TEST(Lecam, StateRoundTripsAndABadOneIsRefused) {
  LecamRegularizer a(torch::kCPU);
  a.observe(scalar(1.5), scalar(-0.5));
  a.observe(scalar(0.7), scalar(-0.2));
  LecamRegularizer b(torch::kCPU);
  b.load_state(a.state());
  EXPECT_EQ(a.anchor_real().item<double>(), b.anchor_real().item<double>());
  EXPECT_EQ(a.anchor_fake().item<double>(), b.anchor_fake().item<double>());
  a.observe(scalar(0.1), scalar(0.1));
  b.observe(scalar(0.1), scalar(0.1));
  EXPECT_EQ(a.anchor_real().item<double>(), b.anchor_real().item<double>());
  test::expect_refusal<CheckpointError>([&] { b.load_state(torch::zeros({5}, torch::kDouble)); },
                                        "LeCam state");
}

TEST(Lecam, ConfigKeepsTheWeightAndRefusesANegativeOne) {
  GanConfig c = default_gan_config(GanArch::kResnet);
  c.lecam_weight = 0.3;
  EXPECT_DOUBLE_EQ(gan_config_from_json(to_json(c)).lecam_weight, 0.3);
  nlohmann::json old = to_json(c);
  old.erase("lecam_weight");  // runs written before --lecam
  EXPECT_DOUBLE_EQ(gan_config_from_json(old).lecam_weight, 0.0);
  c.lecam_weight = -0.1;
  test::expect_refusal<ConfigError>([&] { validate(c); }, "--lecam");
}

TEST(Lecam, TheTrainerRegularisesTheDiscriminatorFromItsSecondUpdate) {
  const Toy toy = two_colours();
  for (GanArch arch : {GanArch::kCgan, GanArch::kDcgan}) {
    GanConfig plain = test::tiny_gan_config(arch);
    plain.d_steps = 1;
    GanConfig regularised = plain;
    regularised.lecam_weight = 10.0;
    const int64_t classes = arch == GanArch::kDcgan ? 1 : 2;
    GanTrainer without(plain, toy.images, toy.labels, classes, torch::kCPU);
    GanTrainer with(regularised, toy.images, toy.labels, classes, torch::kCPU);
    // First update: no anchors yet, so the same step exactly.
    const GanStepMetrics first_without = without.train_step();
    const GanStepMetrics first_with = with.train_step();
    EXPECT_EQ(first_without.lecam, -1.0);
    EXPECT_EQ(first_with.lecam, 0.0);
    EXPECT_DOUBLE_EQ(first_with.d_loss, first_without.d_loss);
    // Then the term joins D's loss.
    const GanStepMetrics second_without = without.train_step();
    const GanStepMetrics second_with = with.train_step();
    EXPECT_GT(second_with.lecam, 0.0) << gan_arch_name(arch);
    EXPECT_NE(second_with.d_loss, second_without.d_loss) << gan_arch_name(arch);
  }
}

TEST(Lecam, ACheckpointWithoutAnchorsIsRefusedByALecamRun) {
  test::TempDir dir;
  const Toy toy = two_colours();
  GanConfig plain = test::tiny_gan_config(GanArch::kCgan);
  GanTrainer(plain, toy.images, toy.labels, 2, torch::kCPU).save(dir / "plain.pt");
  GanConfig regularised = plain;
  regularised.lecam_weight = 0.3;
  GanTrainer resumed(regularised, toy.images, toy.labels, 2, torch::kCPU);
  test::expect_refusal<CheckpointError>([&] { resumed.load(dir / "plain.pt"); },
                                        "no LeCam anchors");
}
