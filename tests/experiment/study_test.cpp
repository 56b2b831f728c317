// A whole study end to end with the real skingan binary on tiny demo data: the outputs, skipping
// on rerun, and an interrupted study that resumes where it stopped and ends with the same
// results as an uninterrupted one, also after SIGKILLs of the study process itself.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "data/demo_data.h"
#include "io/files.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;

namespace {

const char* kConfig = R"(
preset = "smoke"
name = "tiny study"
[data]
source = "DATA"
size = 32
[[test_sets]]
name = "cohort"
source = "COHORT"
format = "folders"
label_map = "mel=mel,sk=bkl,nv=nv"
[gan]
arms = ["cgan"]
steps = 150
channels = 8
batch_size = 8
balance_to = "max"
[classifier]
model = "small_cnn"
width = 8
epochs = 2
batch_size = 16
arms = ["classic", "classic+cgan"]
seeds = [1, 2]
[evaluate]
bootstrap = 100
)";

std::vector<std::string> study_command(const fs::path& config, const fs::path& out) {
  return {test::skingan_binary().string(),
          "--threads",
          "2",
          "-q",
          "experiment",
          "--config",
          config.string(),
          "-o",
          out.string()};
}

nlohmann::json read_json(const fs::path& path) {
  return nlohmann::json::parse(io::read_file(path));
}

std::map<std::string, int> attempts_by_stage(const fs::path& study) {
  std::map<std::string, int> out;
  for (const auto& e : fs::recursive_directory_iterator(study)) {
    if (e.path().filename() == "stage.json") {
      const auto j = read_json(e.path());
      out[j["name"]] = j["attempts"];
    }
  }
  return out;
}

// Balanced accuracy per "arm/seed" (and "cohort/arm/seed") from results.json.
std::map<std::string, double> scores(const fs::path& study) {
  std::map<std::string, double> out;
  const auto results = read_json(study / "results.json");
  auto add = [&](const nlohmann::json& arms, const std::string& prefix) {
    for (const auto& arm : arms) {
      for (const auto& s : arm["seeds"]) {
        out[prefix + arm["name"].get<std::string>() + "/" + s["seed"].dump()] =
            s["balanced_accuracy"];
      }
    }
  };
  add(results["arms"], "");
  for (const auto& cohort : results["cohorts"])
    add(cohort["arms"], cohort["name"].get<std::string>() + "/");
  return out;
}

class Study : public testing::Test {
 protected:
  void SetUp() override {
    data::DemoDataOptions demo;
    demo.output = dir / "data";
    demo.lesions = 40;
    demo.width = 80;
    demo.height = 60;
    data::make_demo_data(demo);
    // An external cohort in class folders, with a class the model calls otherwise (sk = bkl).
    for (const char* label : {"mel", "sk", "nv"}) {
      for (int i = 0; i < 4; ++i) {
        test::write_image(dir / "cohort" / label / ("C" + std::to_string(i) + label + ".jpg"),
                          test::make_lesion_image(70, 50, 100 + i));
      }
    }
    std::string text = kConfig;
    text.replace(text.find("DATA"), 4, (dir / "data").string());
    text.replace(text.find("COHORT"), 6, (dir / "cohort").string());
    test::write_text(dir / "study.toml", text);
  }
  test::TempDir dir;
};

}  // namespace

TEST_F(Study, RunsEveryStageWritesTheReportAndSkipsOnRerun) {
  const fs::path study = dir / "a";
  ASSERT_EQ(test::run_to_end(study_command(dir / "study.toml", study), dir / "a.log"), 0)
      << io::read_file(dir / "a.log");
  for (const char* file : {"report.html", "results.json", "results.md", "config.json", "study.toml",
                           "figures/real_vs_synthetic_mel.png"}) {
    EXPECT_TRUE(fs::exists(study / file)) << file;
  }
  const auto results = read_json(study / "results.json");
  EXPECT_EQ(results["arms"].size(), 2u);
  EXPECT_EQ(results["seeds_used"], nlohmann::json::array({1, 2}));
  EXPECT_EQ(results["baseline"], "classic");
  ASSERT_EQ(results["comparisons"].size(), 1u);
  EXPECT_EQ(results["comparisons"][0]["per_seed"].size(), 2u);
  // prepare, cohort prepare, features, 3 GAN (train, generate, score), 2 arms x 2 seeds x 3
  // (train, evaluate, evaluate on the cohort)
  EXPECT_EQ(results["stages"].size(), 18u);
  // The cohort: every arm and seed evaluated on all 12 images, with the restricted figure, and
  // the GAN arm compared with the cohort's own best baseline.
  ASSERT_EQ(results["cohorts"].size(), 1u);
  const auto& cohort = results["cohorts"][0];
  EXPECT_EQ(cohort["test"]["images"], 12);
  EXPECT_EQ(cohort["arms"].size(), 2u);
  EXPECT_TRUE(cohort["arms"][0]["summary"].contains("restricted_balanced_accuracy"));
  EXPECT_EQ(cohort["comparisons"].size(), 1u);
  EXPECT_NE(io::read_file(study / "report.html").find("id=\"cohorts\""), std::string::npos);
  EXPECT_NE(io::read_file(study / "results.md").find("External test cohort: cohort"),
            std::string::npos);
  // The GAN arm was scored (on this tiny set possibly with every class left out, said so).
  ASSERT_TRUE(results["gans"][0].contains("quality"));
  EXPECT_TRUE(results["gans"][0]["quality"].contains("left_out"));
  EXPECT_NE(io::read_file(study / "report.html").find("id=\"quality\""), std::string::npos);
  EXPECT_NE(io::read_file(study / "results.md").find("| classic+cgan |"), std::string::npos);

  const auto before = attempts_by_stage(study);
  ASSERT_EQ(test::run_to_end(study_command(dir / "study.toml", study), dir / "a2.log"), 0);
  const std::string rerun = io::read_file(dir / "a2.log");
  EXPECT_NE(rerun.find("stages run: 2, finished earlier: 16"), std::string::npos) << rerun;
  auto after = attempts_by_stage(study);
  after["prepare"] = before.at("prepare");  // prepare is rechecked every time (it is cheap)
  after["cohorts/cohort/prepare"] = before.at("cohorts/cohort/prepare");
  EXPECT_EQ(after, before);

  // Another preset value for a finished stage is refused without --force, and nothing changes.
  std::string text = io::read_file(dir / "study.toml");
  text.replace(text.find("epochs = 2"), 10, "epochs = 3");
  test::write_text(dir / "changed.toml", text);
  EXPECT_EQ(test::run_to_end(study_command(dir / "changed.toml", study), dir / "a3.log"), 2);
  EXPECT_NE(io::read_file(dir / "a3.log").find("run with other settings"), std::string::npos);
  EXPECT_EQ(attempts_by_stage(study).at("classifier/classic/seed-1/train"), 1);
}

TEST_F(Study, InterruptedStudyResumesWhereItStoppedWithTheSameResults) {
  const fs::path whole = dir / "whole", cut = dir / "cut";
  ASSERT_EQ(test::run_to_end(study_command(dir / "study.toml", whole), dir / "whole.log"), 0)
      << io::read_file(dir / "whole.log");

  // Stop the second study while its GAN trains (SIGTERM to the study process only, as `kill`
  // would); the study passes it on, the stage saves what it can, the study exits with 130. On a
  // fast machine the GAN may finish between two looks: then a classifier stage is stopped, which
  // tests the same thing.
  const pid_t pid = test::start_process(study_command(dir / "study.toml", cut), dir / "cut.log");
  const fs::path gan_record = cut / "gan" / "cgan" / "train" / "stage.json";
  bool ready = false;
  for (int i = 0; i < 6000 && !ready; ++i) {  // waits for a state, not a time: up to 10 min
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (fs::exists(gan_record)) {
      const auto j = nlohmann::json::parse(io::read_file(gan_record), nullptr, false);
      ready = (j.is_object() && j["status"] == "running" &&
               fs::exists(cut / "gan" / "cgan" / "train" / "run" / "metrics.jsonl")) ||
              fs::exists(cut / "classifier");
    }
  }
  ASSERT_TRUE(ready);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130) << io::read_file(dir / "cut.log");
  EXPECT_NE(io::read_file(dir / "cut.log").find("Rerun the same command to resume"),
            std::string::npos);
  // Exactly one stage was stopped; the ones before it finished once.
  std::string stopped;
  std::set<std::string> finished_before;
  for (const auto& [name, n] : attempts_by_stage(cut)) {
    const auto status_now = read_json(cut / name / "stage.json")["status"];
    if (status_now == "interrupted") {
      EXPECT_TRUE(stopped.empty()) << "second stopped stage " << name;
      stopped = name;
    } else {
      EXPECT_EQ(status_now, "finished") << name;
      finished_before.insert(name);
    }
  }
  ASSERT_FALSE(stopped.empty());

  ASSERT_EQ(test::run_to_end(study_command(dir / "study.toml", cut), dir / "cut2.log"), 0)
      << io::read_file(dir / "cut2.log");
  const auto attempts = attempts_by_stage(cut);
  EXPECT_EQ(attempts.at(stopped), 2) << stopped;  // rerun (resumed) once
  for (const auto& name : finished_before) {
    if (name != "prepare" && name != "cohorts/cohort/prepare") {  // rechecked every time
      EXPECT_EQ(attempts.at(name), 1) << name << " was rerun";
    }
  }
  EXPECT_EQ(attempts.size(), 18u);
  EXPECT_EQ(attempts.at("classifier/classic+cgan/seed-2/evaluate"), 1);
  // Exact resume: every arm and seed scores as in the uninterrupted study.
  EXPECT_EQ(scores(cut), scores(whole));
}

namespace {

// Processes whose command line mentions `needle` (a study folder: its stage processes), as
// "pid: command line"; with `only_live`, not those dead or dying.
std::vector<std::string> processes_mentioning(const std::string& needle, bool only_live = false) {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    try {
      std::string cmdline = io::read_file(e.path() / "cmdline");
      std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
      if (cmdline.find(needle) != std::string::npos &&
          !(only_live && test::process_dying(e.path())))
        found.push_back(pid + ": " + cmdline);
    } catch (const std::exception&) {
      // ended while we looked
    }
  }
  return found;
}

// results.json without what differs between any two runs: wall times and attempt counts.
nlohmann::json without_times(nlohmann::json j) {
  if (j.is_object()) {
    for (const char* key : {"seconds", "attempts", "images_per_second", "skipped_now"})
      j.erase(key);
    for (auto& [key, value] : j.items()) value = without_times(value);
  } else if (j.is_array()) {
    for (auto& value : j) value = without_times(value);
  }
  return j;
}

}  // namespace

// SIGKILL of the study process itself (no chance to pass anything on) at 20 random moments,
// each followed by a rerun that resumes: no stage process outlives the study (it would keep
// writing into the folder the rerun uses), and the final results equal an uninterrupted study's.
TEST_F(Study, SigkilledStudyLeavesNoOrphanAndEndsWithTheSameResults) {
  const fs::path whole = dir / "whole", cut = dir / "cut";
  ASSERT_EQ(test::run_to_end(study_command(dir / "study.toml", whole), dir / "whole.log"), 0)
      << io::read_file(dir / "whole.log");
  std::mt19937 rng(std::random_device{}());
  int landed = 0;
  for (int k = 0; k < 20; ++k) {
    const pid_t pid = test::start_process(study_command(dir / "study.toml", cut), dir / "cut.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 4000));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) ++landed;
    // The kernel signals the stage process as the study exits, before waitpid returns: any
    // stage process still there must be dead or dying (an orphan would run on to its end).
    std::vector<std::string> left = processes_mentioning(cut.string(), /*only_live=*/true);
    if (!left.empty()) {  // caught between two kernel steps of its exit? A second look settles it
      std::this_thread::sleep_for(std::chrono::seconds(1));
      left = processes_mentioning(cut.string(), /*only_live=*/true);
    }
    ASSERT_TRUE(left.empty()) << "a stage outlived the killed study: " << left.front();
    for (int i = 0; i < 600 && !processes_mentioning(cut.string()).empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // until they are reaped
  }
  ASSERT_EQ(test::run_to_end(study_command(dir / "study.toml", cut), dir / "cut_end.log"), 0)
      << io::read_file(dir / "cut_end.log");
  EXPECT_EQ(scores(cut), scores(whole));
  std::string expected = without_times(read_json(whole / "results.json")).dump(1);
  for (auto at = expected.find(whole.string()); at != std::string::npos;
       at = expected.find(whole.string(), at))
    expected.replace(at, whole.string().size(), cut.string());
  EXPECT_EQ(without_times(read_json(cut / "results.json")).dump(1), expected);
  for (const auto& e : fs::recursive_directory_iterator(cut)) {
    const std::string name = e.path().filename().string();
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << e.path();
    EXPECT_EQ(name.find(".partial-"), std::string::npos) << e.path();
  }
  std::cout << "[ kills that landed: " << landed << " of 20 ]\n";
}
