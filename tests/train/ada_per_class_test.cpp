// ADA per class (--ada-per-class, train/ada.h): one p per class steered by that class's r_t,
// DiffAugment with a probability per image, and the trainer's wiring (per-class p in the
// metrics, exact resume, refused where D does not see classes).
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "augment/diff_augment.h"
#include "core/error.h"
#include "test_util.h"
#include "train/ada.h"
#include "train/gan_trainer.h"

namespace skingan::train {
namespace {

// One step of three classes: counts[k] real logits of class k whose sign mean is r[k] (count 0:
// the class was not in the batch). Fractional sums keep the hand computations short.
void observe_classes(AdaController& ada, const std::vector<double>& r,
                     const std::vector<double>& counts) {
  std::vector<double> sums;
  for (size_t k = 0; k < r.size(); ++k) sums.push_back(r[k] * counts[k]);
  ada.observe(torch::tensor(sums, torch::kDouble), torch::tensor(counts, torch::kDouble));
}

TEST(AdaPerClass, EachClassesPFollowsItsOwnRt) {
  // Batch 10, interval 4, 1 kimg: each adjustment moves a class's p by 40 / 1000.
  AdaController ada(0.6, 1, 10, 4, 3);
  ASSERT_EQ(ada.groups(), 3);
  for (int i = 0; i < 3; ++i) observe_classes(ada, {1.0, 0.2, 0.9}, {4, 4, 2});
  EXPECT_EQ(ada.group_p(), (std::vector<double>{0, 0, 0}));  // no adjustment within an interval
  observe_classes(ada, {1.0, 0.2, 0.9}, {4, 4, 2});
  EXPECT_NEAR(ada.group_p()[0], 0.04, 1e-12);  // memorised: up
  EXPECT_EQ(ada.group_p()[1], 0.0);            // generalises: down, clamped at 0
  EXPECT_NEAR(ada.group_p()[2], 0.04, 1e-12);
  EXPECT_NEAR(ada.group_last_r_t()[1], 0.2, 1e-12);
  EXPECT_NEAR(ada.p(), 0.08 / 3, 1e-12);  // the logged ada_p: the classes' mean
  // r_t per class is over the interval's images of that class: (4 x 1 + 4 x 0) / 8 = 0.5 < 0.6.
  for (int i = 0; i < 2; ++i) observe_classes(ada, {1.0, 0.2, 0.9}, {2, 4, 2});
  for (int i = 0; i < 2; ++i) observe_classes(ada, {0.0, 0.2, 0.9}, {2, 4, 2});
  EXPECT_NEAR(ada.group_last_r_t()[0], 0.5, 1e-12);
  EXPECT_NEAR(ada.group_p()[0], 0.0, 1e-12);
  EXPECT_NEAR(ada.group_p()[2], 0.08, 1e-12);
  // A class absent for a whole interval keeps its p and its last r_t.
  for (int i = 0; i < 4; ++i) observe_classes(ada, {1.0, 1.0, 0.0}, {5, 5, 0});
  EXPECT_NEAR(ada.group_p()[2], 0.08, 1e-12);
  EXPECT_NEAR(ada.group_last_r_t()[2], 0.9, 1e-12);
  EXPECT_NEAR(ada.group_p()[1], 0.04, 1e-12);
}

TEST(AdaPerClass, StateRoundTripContinuesMidIntervalAndRefusesTheOtherLayout) {
  AdaController a(0.6, 1, 10, 4, 3), b(0.6, 1, 10, 4, 3);
  // Whole sign sums, as the trainer's are: the sums are then exact in any order of addition.
  for (int i = 0; i < 6; ++i) observe_classes(a, {1.0, 0.5, 0.6}, {4, 4, 5});  // 2 pending
  const torch::Tensor state = a.state();
  EXPECT_EQ(state.sizes(), (std::vector<int64_t>{3, 5}));
  b.load_state(state);
  for (int i = 0; i < 2; ++i) {
    observe_classes(a, {0.5, 1.0, 0.2}, {4, 4, 5});
    observe_classes(b, {0.5, 1.0, 0.2}, {4, 4, 5});
  }
  EXPECT_EQ(a.group_p(), b.group_p());
  EXPECT_EQ(a.group_last_r_t(), b.group_last_r_t());
  EXPECT_EQ(a.group_last_r_t()[1], 0.75);  // (2 x 2 + 2 x 4) / (4 steps x 4 images)

  AdaController pooled(0.6, 1, 10);
  EXPECT_EQ(pooled.state().sizes(), (std::vector<int64_t>{5}));  // the old layout, unchanged
  try {
    pooled.load_state(state);
    FAIL() << "a per-class state was loaded into a pooled controller";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("trained with --ada-per-class"), std::string::npos)
        << e.what();
  }
  try {
    b.load_state(pooled.state());
    FAIL() << "a pooled state was loaded into a per-class controller";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("without --ada-per-class"), std::string::npos) << e.what();
  }
  AdaController four(0.6, 1, 10, 4, 4);
  EXPECT_THROW(four.load_state(state), CheckpointError);  // another number of classes
}

TEST(DiffAugmentPerImage, EachImageIsAugmentedWithItsOwnProbability) {
  const auto policy = augment::parse_diff_augment("color,translation,cutout");
  torch::manual_seed(2);
  const torch::Tensor x = torch::rand({300, 3, 16, 16}) * 2 - 1;
  // Rows 0-99 never, 100-199 always, 200-299 with probability 0.3 per operation.
  const torch::Tensor p =
      torch::cat({torch::zeros({100}), torch::ones({100}), torch::full({100}, 0.3)});
  auto rng = at::make_generator<at::CPUGeneratorImpl>(5);
  const torch::Tensor y = augment::diff_augment(x, policy, rng, p);
  const torch::Tensor changed = (y != x).flatten(1).any(1).to(torch::kFloat);  // [300]
  EXPECT_EQ(changed.slice(0, 0, 100).sum().item<double>(), 0.0);
  EXPECT_EQ(changed.slice(0, 100, 200).sum().item<double>(), 100.0);
  // Untouched with probability 0.7^3 = 0.343: about 66 of 100 change (+-10 at 2 sd).
  EXPECT_NEAR(changed.slice(0, 200, 300).sum().item<double>(), 65.7, 10.0);
  // The same probability for every image is the pooled call: the same draws in the same order.
  auto g1 = at::make_generator<at::CPUGeneratorImpl>(9);
  auto g2 = at::make_generator<at::CPUGeneratorImpl>(9);
  EXPECT_TRUE(torch::equal(augment::diff_augment(x, policy, g1, torch::full({300}, 0.4)),
                           augment::diff_augment(x, policy, g2, 0.4)));
  EXPECT_THROW(augment::diff_augment(x, policy, g1, torch::ones({299})), c10::Error);
}

// Class 0: two images D can memorise; class 1: 30 varied ones.
struct Uneven {
  torch::Tensor images, labels;
};
Uneven uneven_set() {
  torch::manual_seed(8);
  Uneven u;
  u.images = (torch::rand({32, 3, 32, 32}) * 255).to(torch::kByte);
  u.labels = torch::cat({torch::zeros({2}, torch::kLong), torch::ones({30}, torch::kLong)});
  return u;
}

GanConfig per_class_config() {
  GanConfig c = test::tiny_gan_config(GanArch::kResnet);
  c.lr_d = 2e-3;
  c.ada_target = 0.6;
  c.ada_kimg = 1;
  c.ada_per_class = true;
  c.diff_augment = augment::parse_diff_augment("color,translation");
  return c;
}

TEST(AdaPerClassTraining, ReportsOnePPerClassAndResumesExactly) {
  test::TempDir dir;
  const Uneven set = uneven_set();
  const GanConfig config = per_class_config();
  GanTrainer straight(config, set.images, set.labels, 2, torch::kCPU);
  std::vector<GanStepMetrics> expected;
  for (int i = 0; i < 40; ++i) expected.push_back(straight.train_step());
  const GanStepMetrics& at30 = expected[29];
  ASSERT_EQ(at30.ada_p_per_class.size(), 2u);
  ASSERT_EQ(at30.r_t_per_class.size(), 2u);
  EXPECT_DOUBLE_EQ(at30.ada_p, (at30.ada_p_per_class[0] + at30.ada_p_per_class[1]) / 2);
  // The classes' p moved apart at some step: they are steered separately.
  bool apart = false;
  for (const GanStepMetrics& m : expected) apart |= m.ada_p_per_class[0] != m.ada_p_per_class[1];
  EXPECT_TRUE(apart);
  ASSERT_GT(at30.ada_p, 0.0) << "p must have moved before the checkpoint";

  GanTrainer first(config, set.images, set.labels, 2, torch::kCPU);
  for (int i = 0; i < 30; ++i) first.train_step();  // mid-interval: 30 % 4 = 2
  first.save(dir / "half.pt");
  GanTrainer resumed(config, set.images, set.labels, 2, torch::kCPU);
  resumed.load(dir / "half.pt");
  for (int i = 30; i < 40; ++i) {
    const GanStepMetrics m = resumed.train_step();
    EXPECT_DOUBLE_EQ(m.d_loss, expected[i].d_loss) << "step " << i;
    EXPECT_EQ(m.ada_p_per_class, expected[i].ada_p_per_class) << "step " << i;
  }
  // A pooled run cannot resume it.
  GanConfig pooled = config;
  pooled.ada_per_class = false;
  GanTrainer other(pooled, set.images, set.labels, 2, torch::kCPU);
  EXPECT_THROW(other.load(dir / "half.pt"), CheckpointError);
}

// Steps that are not measured read nothing back but ADA's interval sums: they train exactly as
// measured ones, every class's p included.
TEST(AdaPerClassTraining, UnmeasuredStepsTrainExactlyAsMeasuredOnes) {
  const Uneven set = uneven_set();
  GanTrainer measured(per_class_config(), set.images, set.labels, 2, torch::kCPU);
  GanTrainer quiet(per_class_config(), set.images, set.labels, 2, torch::kCPU);
  GanStepMetrics a, b;
  for (int i = 0; i < 9; ++i) {
    a = measured.train_step(/*measure=*/true);
    b = quiet.train_step(/*measure=*/i == 8);
    EXPECT_EQ(b.ada_p_per_class, a.ada_p_per_class) << "step " << i;
  }
  EXPECT_GT(a.ada_p, 0.0);
  EXPECT_DOUBLE_EQ(b.d_loss, a.d_loss);
  EXPECT_DOUBLE_EQ(b.g_loss, a.g_loss);
}

TEST(AdaPerClassTraining, KeptInTheRunConfigAndRefusedWithoutATargetOrClassesInD) {
  auto message = [](const GanConfig& c) {
    try {
      validate(c);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  GanConfig c = per_class_config();
  EXPECT_EQ(message(c), "accepted");
  EXPECT_TRUE(gan_config_from_json(to_json(c)).ada_per_class);
  nlohmann::json before = to_json(c);  // runs written before the option read back without it
  before.erase("ada_per_class");
  EXPECT_FALSE(gan_config_from_json(before).ada_per_class);
  c.ada_target = 0;
  EXPECT_NE(message(c).find("without --ada-target"), std::string::npos) << message(c);
  c = per_class_config();
  c.per_class = true;
  EXPECT_NE(message(c).find("each per-class GAN steers its own p"), std::string::npos)
      << message(c);
  c = per_class_config();
  c.arch = GanArch::kDcgan;
  EXPECT_NE(message(c).find("unconditional GAN (dcgan)"), std::string::npos) << message(c);
}

}  // namespace
}  // namespace skingan::train
