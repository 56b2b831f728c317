// train-gan --eval-every: KID and D's memorisation r_v in metrics.jsonl, the best checkpoint by
// KID, r_t on every line, and scoring that never changes the training itself.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.h"
#include "core/signals.h"
#include "data/prepare.h"
#include "io/files.h"
#include "models/gan/gan_checkpoint.h"
#include "test_util.h"
#include "train/classifier_run.h"
#include "train/gan_run.h"

namespace fs = std::filesystem;
using namespace skingan;
using namespace skingan::train;
using namespace skingan::models;

namespace {

std::vector<nlohmann::json> metric_lines(const fs::path& file) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

class GanEvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_ham_set(dir_ / "src", test::make_rows({"nv", "mel"}, 16, 2), 48, 36);
    test::prepare_test_set(dir_ / "src", dir_ / "set", 32);
    test::train_tiny_classifier(dir_ / "set", dir_ / "features", 4, 1, 8);
    options_.set_dir = dir_ / "set";
    options_.progress = false;
    options_.config = default_gan_config(GanArch::kCgan);
    options_.config.g_channels = options_.config.d_channels = 4;
    options_.config.latent_dim = 8;
    options_.config.batch_size = 4;
    options_.config.steps = 6;
    options_.config.sample_every = options_.config.checkpoint_every = 3;
    options_.config.log_every = 3;
    clear_stop_request();
  }
  test::TempDir dir_;
  GanRunOptions options_;
};

}  // namespace

TEST_F(GanEvaluatorTest, LogsKidKeepsTheBestCheckpointAndLeavesTrainingUnchanged) {
  options_.run_dir = dir_ / "plain";
  run_gan_training(options_);
  options_.run_dir = dir_ / "scored";
  options_.config.eval_every = 2;
  options_.config.eval_features = (dir_ / "features").string();
  options_.config.eval_images = 8;
  run_gan_training(options_);

  const auto plain = metric_lines(dir_ / "plain" / "metrics.jsonl");
  const auto scored = metric_lines(dir_ / "scored" / "metrics.jsonl");
  // Scored at steps 2, 4 and 6 (logged there although log_every is 3), plus the log at 3.
  std::vector<int64_t> kid_steps;
  double best = 1e300;
  int64_t best_step = 0;
  for (const auto& line : scored) {
    EXPECT_TRUE(line.contains("r_t"));
    EXPECT_LE(std::abs(line.at("r_t").get<double>()), 1.0);
    if (!line.contains("kid")) continue;
    kid_steps.push_back(line.at("step"));
    EXPECT_TRUE(line.at("kid_per_class").contains("nv"));
    EXPECT_TRUE(line.at("kid_per_class").contains("mel"));
    // The texture against the validation images: positive ratios (a 3-step generator's images
    // differ from real ones, but have some power at every scale).
    EXPECT_GT(line.at("texture_high_frequency").get<double>(), 0);
    EXPECT_GE(line.at("texture_peak").get<double>(),
              line.at("texture_high_frequency").get<double>());
    // D's memorisation r_v for both classes (each has training images), and their mean.
    const auto& overfit = line.at("d_overfit_per_class");
    ASSERT_TRUE(overfit.at("nv").is_number() && overfit.at("mel").is_number()) << overfit;
    EXPECT_TRUE(std::isfinite(overfit.at("nv").get<double>()));
    EXPECT_NEAR(line.at("d_overfit").get<double>(),
                (overfit.at("nv").get<double>() + overfit.at("mel").get<double>()) / 2, 1e-12);
    if (line.at("kid").get<double>() < best) {
      best = line.at("kid");
      best_step = line.at("step");
    }
  }
  EXPECT_EQ(kid_steps, (std::vector<int64_t>{2, 4, 6}));
  // The same training: losses at the common steps are bit-equal with and without scoring.
  for (const auto& p : plain) {
    for (const auto& s : scored) {
      if (s.at("step") == p.at("step")) {
        EXPECT_EQ(s.at("d_loss").get<double>(), p.at("d_loss").get<double>()) << p.at("step");
      }
    }
  }
  const auto best_json =
      nlohmann::json::parse(io::read_file(dir_ / "scored" / "best" / "best.json"));
  EXPECT_EQ(best_json.at("step").get<int64_t>(), best_step);
  EXPECT_DOUBLE_EQ(best_json.at("kid").get<double>(), best);
  const GanRun run = read_gan_run(dir_ / "scored");
  const fs::path path = find_checkpoint(run.unit_for("mel"), kBestCheckpoint);
  EXPECT_EQ(load_gan_checkpoint(path, torch::kCPU).step, best_step);
  // A run without scoring has no best checkpoint, and says how to get one.
  try {
    find_checkpoint(read_gan_run(dir_ / "plain").unit_for("mel"), kBestCheckpoint);
    FAIL() << "found a best checkpoint in a run without --eval-every";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("--eval-every"), std::string::npos) << e.what();
  }
}

TEST(GanEvaluator, PerClassRunLeavesOutAClassWithoutEnoughValidationImages) {
  // df has 3 lesions: at most one validation image, fewer than KID's minimum of 4.
  test::TempDir dir;
  auto rows = test::make_rows({"nv", "mel"}, 16, 2);
  for (int i = 0; i < 3; ++i)
    rows.push_back({"L_df" + std::to_string(i), "DF_" + std::to_string(i), "df"});
  test::write_ham_set(dir / "src", rows, 48, 36);
  test::prepare_test_set(dir / "src", dir / "set", 32);
  test::train_tiny_classifier(dir / "set", dir / "features", 4, 1, 8);
  GanRunOptions o;
  o.set_dir = dir / "set";
  o.run_dir = dir / "run";
  o.progress = false;
  o.config = default_gan_config(GanArch::kDcgan);
  o.config.per_class = true;
  o.config.g_channels = o.config.d_channels = 4;
  o.config.latent_dim = 8;
  o.config.batch_size = 4;
  o.config.steps = 4;
  o.config.sample_every = o.config.checkpoint_every = o.config.log_every = 2;
  o.config.eval_every = 2;
  o.config.eval_features = (dir / "features").string();
  o.config.eval_images = 8;
  EXPECT_TRUE(run_gan_training(o).finished);
  const auto config = nlohmann::json::parse(io::read_file(dir / "run" / "config.json"));
  EXPECT_TRUE(config.at("eval_left_out").contains("df"));
  for (const auto& line : metric_lines(dir / "run" / "classes" / "df" / "metrics.jsonl")) {
    EXPECT_FALSE(line.contains("kid")) << line.dump();
  }
  int scored = 0;
  for (const auto& line : metric_lines(dir / "run" / "classes" / "mel" / "metrics.jsonl")) {
    if (!line.contains("kid")) continue;
    EXPECT_TRUE(line.at("kid").is_number()) << line.dump();
    ++scored;
  }
  EXPECT_EQ(scored, 2);
}

TEST_F(GanEvaluatorTest, RefusesScoringWithoutAFeatureModelOrValidationImages) {
  options_.run_dir = dir_ / "refused";
  options_.config.eval_every = 2;
  EXPECT_THROW(validate(options_.config), ConfigError);
  options_.config.eval_features = (dir_ / "missing").string();
  EXPECT_THROW(run_gan_training(options_), ConfigError);
  EXPECT_FALSE(fs::exists(options_.run_dir));
}
