// A study as a Snakemake workflow: --emit-snakefile writes one rule per stage with its inputs,
// --stage runs one stage with the study's bookkeeping (and refuses one whose inputs have not
// finished), and `snakemake -j 2` on the emitted file gives the results of `skingan experiment`,
// which then finds every stage finished.
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

#include <nlohmann/json.hpp>

#include "data/demo_data.h"
#include "experiment/snakefile.h"
#include "io/files.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;

namespace {

const char* kConfig = R"(
preset = "smoke"
name = "snakemake study"
[data]
source = "DATA"
size = 32
[gan]
arms = ["cgan"]
steps = 60
channels = 8
batch_size = 8
balance_to = "max"
[classifier]
model = "small_cnn"
width = 8
epochs = 2
batch_size = 16
arms = ["classic", "classic+cgan"]
seeds = [1]
[evaluate]
bootstrap = 100
)";

// prepare, features, the GAN's train/generate/score, 2 arms x (train, evaluate)
constexpr int kStages = 9;

class Snakefile : public testing::Test {
 protected:
  void SetUp() override {
    data::DemoDataOptions demo;
    demo.output = dir / "data";
    demo.lesions = 30;
    demo.width = 80;
    demo.height = 60;
    data::make_demo_data(demo);
    std::string text = kConfig;
    text.replace(text.find("DATA"), 4, (dir / "data").string());
    test::write_text(dir / "study.toml", text);
  }
  std::vector<std::string> experiment(const fs::path& study, std::vector<std::string> more) {
    std::vector<std::string> args = {
        test::skingan_binary().string(), "--threads", "1",           "-q", "experiment", "--config",
        (dir / "study.toml").string(),   "-o",        study.string()};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  test::TempDir dir;
};

std::map<std::string, double> scores(const fs::path& study) {
  const auto results = nlohmann::json::parse(io::read_file(study / "results.json"));
  std::map<std::string, double> out;
  for (const auto& arm : results["arms"])
    for (const auto& s : arm["seeds"])
      out[arm["name"].get<std::string>() + "/" + s["seed"].dump()] = s["balanced_accuracy"];
  return out;
}

}  // namespace

TEST(SnakefileRules, StageNamesBecomeRuleNames) {
  EXPECT_EQ(experiment::rule_name("gan/cgan/train"), "gan_cgan_train");
  EXPECT_EQ(experiment::rule_name("classifier/classic+cgan/seed-1/evaluate"),
            "classifier_classic_cgan_seed_1_evaluate");
  EXPECT_EQ(experiment::rule_name("1st"), "stage_1st");
}

TEST_F(Snakefile, EmitsOneRulePerStageWithItsInputsAndRefusesToOverwrite) {
  const fs::path file = dir / "Snakefile";
  ASSERT_EQ(test::run_to_end(experiment(dir / "st", {"--emit-snakefile", file.string()}),
                             dir / "emit.log"),
            0)
      << io::read_file(dir / "emit.log");
  const std::string text = io::read_file(file);
  const std::regex rule("\nrule ([a-z0-9_]+):");
  int rules = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), rule); it != std::sregex_iterator();
       ++it)
    ++rules;
  EXPECT_EQ(rules, kStages + 2);  // + all + report
  EXPECT_NE(text.find("rule gan_cgan_generate:\n    input:\n        \"gan/cgan/train/stage.done\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("--stage classifier/classic+cgan/seed-1/train > {log} 2>&1"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "st" / "prepare"));  // emitting runs nothing
  EXPECT_EQ(test::run_to_end(experiment(dir / "st", {"--emit-snakefile", file.string()}),
                             dir / "again.log"),
            2);
  EXPECT_NE(io::read_file(dir / "again.log").find("an existing file"), std::string::npos);
}

TEST_F(Snakefile, StageRefusesUnknownNamesAndUnfinishedInputsAndIsSkippedByTheWholeStudy) {
  const fs::path study = dir / "st";
  EXPECT_EQ(test::run_to_end(experiment(study, {"--stage", "gan/nope/train"}), dir / "a.log"), 2);
  EXPECT_NE(io::read_file(dir / "a.log").find("one of: prepare, features/train"), std::string::npos)
      << io::read_file(dir / "a.log");
  EXPECT_EQ(test::run_to_end(experiment(study, {"--stage", "features/train"}), dir / "b.log"), 2);
  EXPECT_NE(io::read_file(dir / "b.log").find("input stage 'prepare' has not finished"),
            std::string::npos)
      << io::read_file(dir / "b.log");
  ASSERT_EQ(test::run_to_end(experiment(study, {"--stage", "prepare"}), dir / "c.log"), 0);
  ASSERT_EQ(test::run_to_end(experiment(study, {"--stage", "features/train"}), dir / "d.log"), 0)
      << io::read_file(dir / "d.log");
  EXPECT_FALSE(fs::exists(study / "report.html"));  // a single stage writes no report
  ASSERT_EQ(test::run_to_end(experiment(study, {}), dir / "e.log"), 0);
  EXPECT_NE(io::read_file(dir / "e.log").find("[2/9] features/train: finished earlier, skipped"),
            std::string::npos)
      << io::read_file(dir / "e.log");
}

TEST_F(Snakefile, SnakemakeRunsTheStudyToTheResultsOfSkinganExperiment) {
  ASSERT_EQ(std::system("command -v snakemake > /dev/null"), 0)
      << "snakemake is not installed: scripts/setup.sh --tests installs it";
  const fs::path file = dir / "Snakefile", study = dir / "st";
  ASSERT_EQ(
      test::run_to_end(experiment(study, {"--emit-snakefile", file.string()}), dir / "emit.log"),
      0);
  // A dry run lists every stage's job.
  ASSERT_EQ(test::run_to_end({"/bin/sh", "-c", "snakemake -s '" + file.string() + "' -n -j 2"},
                             dir / "dry.log"),
            0)
      << io::read_file(dir / "dry.log");
  const std::string dry = io::read_file(dir / "dry.log");
  for (const char* rule : {"prepare", "features_train", "gan_cgan_train", "gan_cgan_score",
                           "classifier_classic_cgan_seed_1_evaluate", "report"}) {
    EXPECT_NE(dry.find(std::string("rule ") + rule + ":"), std::string::npos) << rule << dry;
  }
  ASSERT_EQ(test::run_to_end({"/bin/sh", "-c", "snakemake -s '" + file.string() + "' -j 2 -q"},
                             dir / "run.log"),
            0)
      << io::read_file(dir / "run.log");
  ASSERT_TRUE(fs::exists(study / "report.html"));
  // Every stage finished by Snakemake is skipped by skingan (prepare rechecks itself always).
  ASSERT_EQ(test::run_to_end(experiment(study, {}), dir / "after.log"), 0);
  EXPECT_NE(io::read_file(dir / "after.log").find("stages run: 1, finished earlier: 8"),
            std::string::npos)
      << io::read_file(dir / "after.log");
  // The same results as the study run by skingan alone.
  ASSERT_EQ(test::run_to_end(experiment(dir / "straight", {}), dir / "straight.log"), 0);
  EXPECT_EQ(scores(study), scores(dir / "straight"));
}
