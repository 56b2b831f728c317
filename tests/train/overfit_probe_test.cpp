// D's memorisation r_v (train/overfit_probe.h) against hand computations, and ADA steered by it
// (--ada-heuristic rv): p per class moves with r_v, the run resumes exactly, and a run without
// validation images or a target is refused.
#include "train/overfit_probe.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "test_util.h"
#include "train/gan_trainer.h"

namespace skingan::train {
namespace {

torch::Tensor floats(std::vector<double> v) { return torch::tensor(v, torch::kDouble); }
torch::Tensor longs(std::vector<int64_t> v) { return torch::tensor(v, torch::kLong); }

TEST(OverfitRatio, MatchesTheFormulaPerClassAndPooled) {
  // Class 0: train mean 2, validation mean 0, fakes mean -2 -> (2 - 0) / (2 + 2) = 0.5.
  // Class 1: train mean 1, validation mean 1, fakes mean -1 -> 0 (no memorisation).
  // Class 2: no validation image -> not measured.
  const torch::Tensor train = floats({1, 3, 1, 1, 5});
  const torch::Tensor train_labels = longs({0, 0, 1, 1, 2});
  const torch::Tensor validation = floats({-1, 1, 1});
  const torch::Tensor validation_labels = longs({0, 0, 1});
  const torch::Tensor fake = floats({-2, -1, 0});
  const torch::Tensor fake_labels = longs({0, 1, 2});
  const auto [r_v, valid] =
      overfit_ratio(train, train_labels, validation, validation_labels, fake, fake_labels, 3);
  EXPECT_TRUE(torch::allclose(r_v, floats({0.5, 0.0, 0.0})));
  EXPECT_TRUE(torch::equal(valid, floats({1, 1, 0})));
  // Pooled: train mean 11/5, validation mean 1/3, fakes mean -1.
  const auto [pooled, pooled_valid] =
      overfit_ratio(train, train_labels, validation, validation_labels, fake, fake_labels, 1);
  EXPECT_NEAR(pooled.item<double>(), (11.0 / 5 - 1.0 / 3) / (11.0 / 5 + 1), 1e-12);
  EXPECT_EQ(pooled_valid.item<double>(), 1.0);
  // D that scores training images and fakes alike: no ratio, not measured.
  const auto [flat, flat_valid] = overfit_ratio(floats({1, 1}), longs({0, 0}), floats({0}),
                                                longs({0}), floats({1}), longs({0}), 1);
  EXPECT_EQ(flat_valid.item<double>(), 0.0);
  EXPECT_EQ(flat.item<double>(), 0.0);
}

TEST(OverfitProbe, KeepsEvenlySpacedImagesOfEachClass) {
  // Class 0 at rows 0, 2, 4, 6, 8; class 1 at rows 1, 3, 7; class 2 at row 5.
  const torch::Tensor labels = longs({0, 1, 0, 1, 0, 2, 0, 1, 0});
  const torch::Tensor kept = evenly_spaced_per_class(labels, 3, 3);
  EXPECT_TRUE(torch::equal(kept, longs({0, 4, 8, 1, 3, 7, 5})));
  EXPECT_TRUE(torch::equal(evenly_spaced_per_class(labels, 3, 1), longs({0, 1, 5})));
  EXPECT_THROW(evenly_spaced_per_class(labels, 2, 3), c10::Error);  // label 2 outside [0,2)
}

struct Split {
  torch::Tensor train, train_labels, validation, validation_labels;
};
// Class 0: two training images D can memorise and six unlike them for validation; class 1: 30
// varied training images and validation images of the same kind.
Split memorisable_split() {
  torch::manual_seed(12);
  Split s;
  s.train = (torch::rand({32, 3, 32, 32}) * 255).to(torch::kByte);
  s.train_labels = torch::cat({torch::zeros({2}, torch::kLong), torch::ones({30}, torch::kLong)});
  s.validation = (torch::rand({12, 3, 32, 32}) * 255).to(torch::kByte);
  s.validation_labels =
      torch::cat({torch::zeros({6}, torch::kLong), torch::ones({6}, torch::kLong)});
  return s;
}

GanConfig rv_config() {
  GanConfig c = test::tiny_gan_config(GanArch::kResnet);
  c.lr_d = 2e-3;
  c.ada_target = 0.05;
  c.ada_kimg = 1;  // p moves 16 x 8 / 1000 per measurement
  c.ada_per_class = true;
  c.ada_heuristic = AdaHeuristic::kRv;
  c.diff_augment = augment::parse_diff_augment("color,translation");
  return c;
}

TEST(AdaValidationHeuristic, MovesEachClassesPByItsRvAndResumesExactly) {
  test::TempDir dir;
  const Split s = memorisable_split();
  auto make = [&] {
    auto t = std::make_unique<GanTrainer>(rv_config(), s.train, s.train_labels, 2, torch::kCPU);
    t->set_validation_images(s.validation, s.validation_labels);
    return t;
  };
  auto straight = make();
  std::vector<GanStepMetrics> expected;
  for (int i = 0; i < 56; ++i) expected.push_back(straight->train_step());
  // Measured at steps 16, 32 and 48 only: p moves there and stays in between.
  EXPECT_TRUE(expected[14].r_v_per_class == std::vector<double>({0, 0}));
  ASSERT_EQ(expected[15].r_v_per_class.size(), 2u);
  EXPECT_NE(expected[15].r_v_per_class, expected[14].r_v_per_class);
  EXPECT_EQ(expected[20].ada_p_per_class, expected[16].ada_p_per_class);
  EXPECT_TRUE(expected[20].r_t_per_class.empty());  // r_t does not steer here
  EXPECT_GT(expected.back().ada_p, 0.0) << "some class's r_v passed the low target";
  for (int k = 0; k < 2; ++k) {
    // Each class's p moved by +-0.128 per measurement, from its own r_v's side of the target.
    double p = 0;
    for (int step : {15, 31, 47}) {
      const double r = expected[static_cast<size_t>(step)].r_v_per_class[k];
      p = std::clamp(p + (r > 0.05 ? 0.128 : (r < 0.05 ? -0.128 : 0.0)), 0.0, 1.0);
      EXPECT_NEAR(expected[static_cast<size_t>(step)].ada_p_per_class[k], p, 1e-12)
          << "class " << k << " step " << step + 1;
    }
  }

  auto first = make();
  for (int i = 0; i < 40; ++i) first->train_step();
  first->save(dir / "half.pt");
  auto resumed = make();
  resumed->load(dir / "half.pt");
  for (int i = 40; i < 56; ++i) {
    const GanStepMetrics m = resumed->train_step();
    EXPECT_DOUBLE_EQ(m.d_loss, expected[i].d_loss) << "step " << i;
    EXPECT_EQ(m.ada_p_per_class, expected[i].ada_p_per_class) << "step " << i;
  }
}

// An unconditional GAN keeps its images' classes for balanced sampling but measures one pooled
// r_v over them.
TEST(AdaValidationHeuristic, AnUnconditionalGanMeasuresOnePooledRv) {
  const Split s = memorisable_split();
  GanConfig c = test::tiny_gan_config(GanArch::kDcgan);
  c.ada_target = 0.05;
  c.ada_heuristic = AdaHeuristic::kRv;
  GanTrainer trainer(c, s.train, s.train_labels, 1, torch::kCPU);
  trainer.set_validation_images(s.validation, torch::zeros({12}, torch::kLong));
  GanStepMetrics m;
  for (int i = 0; i < 16; ++i) m = trainer.train_step();
  ASSERT_EQ(m.r_v_per_class.size(), 1u);
  EXPECT_NE(m.r_v_per_class[0], 0.0);
  EXPECT_TRUE(m.ada_p_per_class.empty());
}

TEST(AdaValidationHeuristic, RefusedWithoutValidationImagesOrATarget) {
  const Split s = memorisable_split();
  GanTrainer trainer(rv_config(), s.train, s.train_labels, 2, torch::kCPU);
  for (int i = 0; i < 15; ++i) trainer.train_step();  // no measurement yet
  try {
    trainer.train_step();
    FAIL() << "measured r_v without validation images";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("set_validation_images"), std::string::npos) << e.what();
  }
  GanConfig c = rv_config();
  c.ada_target = 0;
  c.ada_per_class = false;
  try {
    validate(c);
    FAIL() << "accepted --ada-heuristic rv without a target";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--ada-heuristic rv"), std::string::npos) << e.what();
  }
  EXPECT_EQ(gan_config_from_json(to_json(rv_config())).ada_heuristic, AdaHeuristic::kRv);
  nlohmann::json before = to_json(rv_config());  // runs written before the option: r_t
  before.erase("ada_heuristic");
  EXPECT_EQ(gan_config_from_json(before).ada_heuristic, AdaHeuristic::kRt);
  EXPECT_THROW(parse_ada_heuristic("r_x"), ConfigError);
}

}  // namespace
}  // namespace skingan::train
