#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "core/error.h"
#include "core/signals.h"
#include "data/prepare.h"
#include "io/files.h"
#include "test_util.h"
#include "train/gan_run.h"

namespace fs = std::filesystem;
using namespace skingan;
using namespace skingan::train;

namespace {

class GanRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_ham_set(dir_ / "src", test::make_rows({"nv", "mel"}, 8, 2), 48, 36);
    prepare_set("set", 32);
    options_.set_dir = dir_ / "set";
    options_.run_dir = dir_ / "run";
    options_.progress = false;
    options_.config = default_gan_config(GanArch::kDcgan);
    options_.config.g_channels = options_.config.d_channels = 4;
    options_.config.latent_dim = 8;
    options_.config.batch_size = 4;
    options_.config.steps = 6;
    options_.config.sample_every = options_.config.checkpoint_every = 3;
    options_.config.log_every = 1;
    clear_stop_request();
  }
  // Prepares dir_/src at `size` px into dir_/name.
  void prepare_set(const std::string& name, int size) {
    data::PrepareOptions prepare;
    prepare.source.root = dir_ / "src";
    prepare.output = dir_ / name;
    prepare.preprocess.size = size;
    prepare.progress = false;
    data::prepare_dataset(prepare);
  }

  test::TempDir dir_;
  GanRunOptions options_;
};

std::vector<int64_t> logged_steps(const fs::path& metrics) {
  std::vector<int64_t> steps;
  std::ifstream in(metrics);
  std::string line;
  while (std::getline(in, line)) steps.push_back(nlohmann::json::parse(line).at("step"));
  return steps;
}

}  // namespace

TEST_F(GanRunTest, PerClassRunWritesEveryArtefact) {
  options_.config.per_class = true;
  const GanRunResult result = run_gan_training(options_);
  EXPECT_TRUE(result.finished);
  EXPECT_EQ(result.steps, 12);
  for (const char* label : {"mel", "nv"}) {
    const fs::path unit = dir_ / "run" / "classes" / label;
    EXPECT_TRUE(fs::exists(unit / "checkpoints" / "step_0000006.pt")) << label;
    EXPECT_TRUE(fs::exists(unit / "samples" / "step_0000003.png")) << label;
    EXPECT_TRUE(fs::exists(unit / "loss_curve.png")) << label;
    EXPECT_EQ(logged_steps(unit / "metrics.jsonl"), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  }
  EXPECT_TRUE(fs::exists(dir_ / "run" / "samples" / "final.png"));
  const auto status = nlohmann::json::parse(io::read_file(dir_ / "run" / "status.json"));
  EXPECT_TRUE(status.at("finished").get<bool>());
  const auto config = nlohmann::json::parse(io::read_file(dir_ / "run" / "config.json"));
  EXPECT_EQ(config.at("gan").at("arch"), "dcgan");
  EXPECT_EQ(config.at("gan").at("image_size"), 32);
}

TEST_F(GanRunTest, InterruptedRunResumesWithoutRepeatingSteps) {
  options_.config.arch = GanArch::kCgan;
  options_.config = [&] {
    GanConfig c = default_gan_config(GanArch::kCgan);
    c.g_channels = c.d_channels = 4;
    c.latent_dim = 8;
    c.batch_size = 4;
    c.steps = 6;
    c.log_every = 1;
    c.sample_every = c.checkpoint_every = 100;
    return c;
  }();
  request_stop();  // as if SIGINT arrived before the first step
  const GanRunResult stopped = run_gan_training(options_);
  EXPECT_TRUE(stopped.interrupted);
  EXPECT_FALSE(latest_checkpoint(dir_ / "run").empty());
  clear_stop_request();
  EXPECT_THROW(run_gan_training(options_), ConfigError);  // exists: needs --resume or --force
  options_.resume = true;
  const GanRunResult resumed = run_gan_training(options_);
  EXPECT_TRUE(resumed.finished);
  EXPECT_EQ(logged_steps(dir_ / "run" / "metrics.jsonl"), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST_F(GanRunTest, ProgressiveRunWritesAGridAtTheEndOfEachPhaseCountedInDiscriminatorImages) {
  GanConfig c = default_gan_config(GanArch::kProgan);
  c.g_channels = c.d_channels = 4;
  c.latent_dim = 8;
  c.batch_size = 4;
  c.d_steps = 2;         // 8 real images a step for the discriminator
  c.phase_kimg = 0.016;  // 16 images: 2 steps per phase
  c.steps = 6;           // 48 images: 4x4, the 8x8 fade-in and 8x8 completed
  c.log_every = 1;
  c.sample_every = c.checkpoint_every = 100;
  options_.config = c;
  EXPECT_TRUE(run_gan_training(options_).finished);
  const fs::path samples = dir_ / "run" / "samples";
  for (const char* phase : {"phase_00_4px", "phase_01_8px_fade_in", "phase_02_8px"}) {
    EXPECT_TRUE(fs::exists(samples / (std::string(phase) + ".png"))) << phase;
  }
  EXPECT_FALSE(fs::exists(samples / "phase_03_16px_fade_in.png"));
}

TEST_F(GanRunTest, RefusedOptionsSayWhyBeforeAnyWork) {
  options_.config.classes = {"bcc"};
  try {
    run_gan_training(options_);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("class 'bcc'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ / "run"));

  options_.config.classes = {};
  options_.config.per_class = true;
  options_.config.arch = GanArch::kAcgan;
  EXPECT_THROW(run_gan_training(options_), ConfigError);  // --per-class is for dcgan
  EXPECT_FALSE(fs::exists(dir_ / "run"));

  // A set whose size is not a power of two.
  prepare_set("set48", 48);
  options_.set_dir = dir_ / "set48";
  options_.config.arch = GanArch::kDcgan;
  options_.config.per_class = false;
  try {
    run_gan_training(options_);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("48"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ / "run"));
}

// A run killed while it wrote its config.json leaves only that file's temporary: the folder is
// still unused, so the same command starts it again (no --resume: there is nothing to resume).
TEST_F(GanRunTest, AFolderHoldingOnlyAKilledRunsTemporaryStartsAgain) {
  const pid_t dead = fork();  // a pid that no longer runs
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  fs::create_directories(dir_ / "run");
  test::write_text(dir_ / "run" / ("config.json.tmp-" + std::to_string(dead)), "{\"gan\"");
  run_gan_training(options_);
  EXPECT_TRUE(fs::exists(dir_ / "run" / "config.json"));
  EXPECT_FALSE(fs::exists(dir_ / "run" / ("config.json.tmp-" + std::to_string(dead))));
  // A folder with anything else in it is still refused.
  options_.run_dir = dir_ / "other";
  test::write_text(dir_ / "other" / "notes.txt", "mine");
  EXPECT_THROW(run_gan_training(options_), ConfigError);
}

TEST_F(GanRunTest, ResumeWithAnotherArchitectureIsRefused) {
  run_gan_training(options_);
  options_.resume = true;
  options_.config = default_gan_config(GanArch::kCgan);
  try {
    run_gan_training(options_);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("architecture dcgan"), std::string::npos) << e.what();
  }
}
