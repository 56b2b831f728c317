// Adaptive discriminator augmentation: the controller (train/ada.h), per-image augmentation
// probability (augment/diff_augment.h) and the trainer wiring (p rises when D memorises, is
// restored on resume).
#include "train/ada.h"

#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "augment/diff_augment.h"
#include "core/error.h"
#include "test_util.h"
#include "train/gan_trainer.h"

namespace skingan::train {
namespace {

// One step of 100 real logits whose sign mean is r.
void observe_r(AdaController& ada, double r) {
  const int positive = static_cast<int>((r + 1) * 50 + 0.5);
  ada.observe(static_cast<double>(positive - (100 - positive)), 100);
}

TEST(AdaController, RaisesPWhenRtExceedsTheTargetAndLowersItOtherwise) {
  // Batch 10, interval 4, 1 kimg: each adjustment moves p by 40 / 1000.
  AdaController ada(0.6, 1, 10);
  for (int i = 0; i < 3; ++i) observe_r(ada, 0.9);
  EXPECT_EQ(ada.p(), 0.0);  // no adjustment before a full interval
  observe_r(ada, 0.9);
  EXPECT_NEAR(ada.p(), 0.04, 1e-12);
  EXPECT_NEAR(ada.last_r_t(), 0.9, 1e-12);
  for (int i = 0; i < 8; ++i) observe_r(ada, 0.8);
  EXPECT_NEAR(ada.p(), 0.12, 1e-12);
  for (int i = 0; i < 4; ++i) observe_r(ada, 0.2);
  EXPECT_NEAR(ada.p(), 0.08, 1e-12);
  // Clamped to [0,1].
  for (int i = 0; i < 400; ++i) observe_r(ada, -0.5);
  EXPECT_EQ(ada.p(), 0.0);
  for (int i = 0; i < 400; ++i) observe_r(ada, 1.0);
  EXPECT_EQ(ada.p(), 1.0);
}

TEST(AdaController, StateRoundTripContinuesMidInterval) {
  AdaController a(0.6, 1, 10), b(0.6, 1, 10);
  for (int i = 0; i < 6; ++i) observe_r(a, 0.9);  // p moved once, 2 steps pending
  b.load_state(a.state());
  for (int i = 0; i < 2; ++i) {
    observe_r(a, 0.1);
    observe_r(b, 0.1);
  }
  EXPECT_EQ(a.p(), b.p());
  EXPECT_EQ(a.last_r_t(), b.last_r_t());
  EXPECT_NEAR(a.last_r_t(), 0.5, 1e-12);  // (2 x 0.9 + 2 x 0.1) / 4
  EXPECT_THROW(b.load_state(torch::zeros({3}, torch::kDouble)), CheckpointError);
}

// The trainer hands ADA its sign sums as device tensors, read once per interval: the same p, r_t
// and state as host values, also when the state is taken in the middle of an interval.
TEST(AdaController, SignSumsLeftOnTheDeviceGiveTheSameControllerAsHostValues) {
  AdaController host(0.6, 1, 10), device(0.6, 1, 10);
  const std::vector<double> sums = {90, 80, -20, 100, 60, 64, 70, 100, 30, 70, 58};
  for (size_t i = 0; i < sums.size(); ++i) {
    host.observe(sums[i], 100);
    // A float sum as the trainer's sign().sum() gives it.
    device.observe(torch::full({}, sums[i], torch::kFloat), 100);
    EXPECT_EQ(host.p(), device.p()) << "step " << i;
    EXPECT_EQ(host.last_r_t(), device.last_r_t()) << "step " << i;
    EXPECT_TRUE(torch::equal(host.state(), device.state())) << "step " << i;
  }
  EXPECT_GT(host.p(), 0.0);  // the sums above moved p: the comparison saw adjustments
  AdaController resumed(0.6, 1, 10);
  resumed.load_state(device.state());  // 11 % 4 = 3 steps of the interval pending
  host.observe(100.0, 100);
  resumed.observe(torch::full({}, 100.0, torch::kFloat), 100);
  EXPECT_EQ(host.p(), resumed.p());
  EXPECT_EQ(host.last_r_t(), resumed.last_r_t());
}

TEST(DiffAugmentProbability, ZeroKeepsImagesOneAugmentsEveryImage) {
  const auto policy = augment::parse_diff_augment("color,translation,cutout");
  torch::manual_seed(1);
  const torch::Tensor x = torch::rand({200, 3, 16, 16}) * 2 - 1;
  auto rng = at::make_generator<at::CPUGeneratorImpl>(3);
  EXPECT_TRUE(torch::equal(augment::diff_augment(x, policy, rng, 0.0), x));
  auto changed_fraction = [&](double p) {
    auto g = at::make_generator<at::CPUGeneratorImpl>(3);
    const torch::Tensor y = augment::diff_augment(x, policy, g, p);
    return (y != x).flatten(1).any(1).to(torch::kFloat).mean().item<double>();
  };
  EXPECT_EQ(changed_fraction(1.0), 1.0);
  // Three operations each applied with probability 0.3: an image is untouched with
  // probability 0.7^3 = 0.343, so about 66% change (200 images: +-7% at 2 sd).
  EXPECT_NEAR(changed_fraction(0.3), 1 - 0.343, 0.08);
  // p = 1 is the plain DiffAugment call, random draws included.
  auto g1 = at::make_generator<at::CPUGeneratorImpl>(9);
  auto g2 = at::make_generator<at::CPUGeneratorImpl>(9);
  EXPECT_TRUE(torch::equal(augment::diff_augment(x, policy, g1, 1.0),
                           augment::diff_augment(x, policy, g2)));
  EXPECT_THROW(augment::diff_augment(x, policy, g1, 1.5), c10::Error);
}

// Four 32x32 noise images for D to memorise.
struct Tiny {
  torch::Tensor images, labels;
};
Tiny tiny_set() {
  torch::manual_seed(4);
  return {(torch::rand({4, 3, 32, 32}) * 255).to(torch::kByte), torch::zeros({4}, torch::kLong)};
}

GanConfig ada_config() {
  GanConfig c = default_gan_config(GanArch::kDcgan);
  c.image_size = 32;
  c.latent_dim = 8;
  c.g_channels = 4;
  c.d_channels = 8;
  c.batch_size = 4;
  c.lr_d = 2e-3;  // a fast D memorises four images within a few dozen steps
  c.ada_target = 0.6;
  c.ada_kimg = 1;  // p moves 16 / 1000 per 4 steps
  c.diff_augment = augment::parse_diff_augment("color,translation");
  c.ema_decay = 0;
  return c;
}

TEST(AdaTraining, PRisesWhileTheDiscriminatorMemorisesTheTrainingImages) {
  const Tiny tiny = tiny_set();
  GanTrainer trainer(ada_config(), tiny.images, tiny.labels, 1, torch::kCPU);
  EXPECT_EQ(trainer.ada_p(), 0.0);
  GanStepMetrics m;
  double rt_sum = 0;
  for (int i = 0; i < 200; ++i) {
    m = trainer.train_step();
    if (i >= 100) rt_sum += m.r_t;
  }
  EXPECT_GT(rt_sum / 100, 0.6) << "the toy D should be overfitting";
  EXPECT_GT(m.ada_p, 0.2);
  EXPECT_EQ(m.ada_p, trainer.ada_p());
}

TEST(AdaTraining, ResumeRestoresPAndEqualsAnUninterruptedRun) {
  test::TempDir dir;
  const Tiny tiny = tiny_set();
  GanConfig config = ada_config();
  config.upsample = models::Upsample::kResizeConv;  // the new generator path resumes exactly too
  const torch::Tensor& images = tiny.images;
  GanTrainer straight(config, images, tiny.labels, 1, torch::kCPU);
  std::vector<GanStepMetrics> expected;
  for (int i = 0; i < 40; ++i) expected.push_back(straight.train_step());
  ASSERT_GT(expected[29].ada_p, 0.0) << "p must have moved before the checkpoint";

  GanTrainer first(config, images, tiny.labels, 1, torch::kCPU);
  for (int i = 0; i < 30; ++i) first.train_step();  // mid-interval: 30 % 4 = 2
  first.save(dir / "half.pt");
  GanTrainer resumed(config, images, tiny.labels, 1, torch::kCPU);
  resumed.load(dir / "half.pt");
  EXPECT_EQ(resumed.ada_p(), expected[29].ada_p);
  for (int i = 30; i < 40; ++i) {
    const GanStepMetrics m = resumed.train_step();
    EXPECT_DOUBLE_EQ(m.d_loss, expected[i].d_loss) << "step " << i;
    EXPECT_DOUBLE_EQ(m.ada_p, expected[i].ada_p) << "step " << i;
  }
}

TEST(AdaTraining, RefusedWithoutAugmentations) {
  GanConfig config = ada_config();
  config.diff_augment = augment::DiffAugmentPolicy();
  try {
    validate(config);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--diffaugment none"), std::string::npos) << e.what();
  }
  config = ada_config();
  config.ada_target = 1.0;
  EXPECT_THROW(validate(config), ConfigError);
}

}  // namespace
}  // namespace skingan::train
