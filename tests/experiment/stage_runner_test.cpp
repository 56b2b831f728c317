// The stage runner with /bin/sh as the "command": skipping, rerunning, resuming, refusing changed
// settings and reporting failures, without training anything.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "core/error.h"
#include "experiment/stage_runner.h"
#include "io/files.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;
using namespace skingan::experiment;

namespace {

// A stage whose "command" is `sh -c SCRIPT`: $0 is the first extra argument (--resume when the
// runner resumes), and the output folder is passed as $OUT through the script text.
Stage shell_stage(const std::string& name, const fs::path& study, const std::string& script,
                  bool resumable = false) {
  Stage s{name, "out"};
  s.resumable = resumable;
  const std::string out = (study / name / "out").string();
  s.args = {"-c", "OUT='" + out + "'; " + script};
  return s;
}

nlohmann::json record(const fs::path& study, const std::string& name) {
  return nlohmann::json::parse(io::read_file(study / name / "stage.json"));
}

int count_lines(const fs::path& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

}  // namespace

TEST(StageRunner, RunsOnceThenSkipsTheFinishedStage) {
  test::TempDir study;
  StageRunner runner(study.path(), "/bin/sh", {}, false);
  const Stage s =
      shell_stage("a", study.path(), "mkdir -p \"$OUT\" && echo run >> \"$OUT/../runs.txt\"");
  const StageOutcome first = runner.run(s);
  EXPECT_FALSE(first.skipped);
  EXPECT_EQ(record(study.path(), "a")["status"], "finished");
  EXPECT_EQ(record(study.path(), "a")["attempts"], 1);
  const StageOutcome second = runner.run(s);
  EXPECT_TRUE(second.skipped);
  EXPECT_EQ(count_lines(study / "a" / "runs.txt"), 1);
  // A new runner (a later invocation) skips it too.
  StageRunner later(study.path(), "/bin/sh", {}, false);
  EXPECT_TRUE(later.run(s).skipped);
  EXPECT_EQ(count_lines(study / "a" / "runs.txt"), 1);
}

TEST(StageRunner, FailureNamesStageCommandAndLogAndIsRetriedNextTime) {
  test::TempDir study;
  StageRunner runner(study.path(), "/bin/sh", {}, false);
  const fs::path flag = study / "fixed";
  const Stage s = shell_stage(
      "gan/x/train", study.path(),
      "echo something broke >&2; test -e '" + flag.string() + "' || exit 3; mkdir -p \"$OUT\"");
  try {
    runner.run(s);
    FAIL();
  } catch (const StageFailed& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("stage 'gan/x/train' failed (exit status 3)"), std::string::npos) << m;
    EXPECT_NE(m.find("Reproduce: /bin/sh -c"), std::string::npos) << m;
    EXPECT_NE(m.find((study / "gan/x/train/log.txt").string()), std::string::npos) << m;
    EXPECT_NE(m.find("| something broke"), std::string::npos) << m;
    EXPECT_EQ(e.exit_code(), 6);
  }
  EXPECT_EQ(record(study.path(), "gan/x/train")["status"], "failed");
  test::write_text(flag, "");
  const StageOutcome o = runner.run(s);
  EXPECT_FALSE(o.skipped);
  EXPECT_EQ(o.attempts, 2);
  EXPECT_EQ(record(study.path(), "gan/x/train")["status"], "finished");
}

TEST(StageRunner, UnfinishedResumableStageGetsResume) {
  test::TempDir study;
  StageRunner runner(study.path(), "/bin/sh", {}, false);
  // First attempt leaves a partial output (config.json) and dies; the second must be --resume.
  const Stage s = shell_stage("train", study.path(),
                              "echo \"$0\" >> \"$OUT.args\"; "
                              "if [ \"$0\" = --resume ]; then exit 0; fi; "
                              "mkdir -p \"$OUT\" && echo {} > \"$OUT/config.json\"; exit 130",
                              true);
  EXPECT_THROW(runner.run(s), StageFailed);
  runner.run(s);
  std::ifstream args(study / "train" / "out.args");
  std::string first, second;
  std::getline(args, first);
  std::getline(args, second);
  EXPECT_NE(first, "--resume");
  EXPECT_EQ(second, "--resume");
  EXPECT_NE(record(study.path(), "train")["command"].dump().find("--resume"), std::string::npos);
}

TEST(StageRunner, NonResumableLeftoverOutputIsRemovedBeforeTheRerun) {
  test::TempDir study;
  StageRunner runner(study.path(), "/bin/sh", {}, false);
  fs::create_directories(study / "gen" / "out");
  test::write_text(study / "gen" / "out" / "stale.txt", "from a dead attempt");
  const Stage s =
      shell_stage("gen", study.path(), "test ! -e \"$OUT/stale.txt\" && mkdir -p \"$OUT\"");
  EXPECT_FALSE(runner.run(s).skipped);
  EXPECT_FALSE(fs::exists(study / "gen" / "out" / "stale.txt"));
}

TEST(StageRunner, ChangedSettingsAreRefusedUnlessForced) {
  test::TempDir study;
  {
    StageRunner runner(study.path(), "/bin/sh", {}, false);
    runner.run(shell_stage("a", study.path(), "mkdir -p \"$OUT\" && echo 1 > \"$OUT/v\""));
  }
  const Stage changed = shell_stage("a", study.path(), "mkdir -p \"$OUT\" && echo 2 > \"$OUT/v\"");
  StageRunner runner(study.path(), "/bin/sh", {}, false);
  try {
    runner.run(changed);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("run with other settings"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("--force"), std::string::npos);
  }
  EXPECT_EQ(io::read_file(study / "a" / "out" / "v"), "1\n");  // nothing lost
  StageRunner forced(study.path(), "/bin/sh", {}, true);
  EXPECT_FALSE(forced.run(changed).skipped);
  EXPECT_EQ(io::read_file(study / "a" / "out" / "v"), "2\n");
}

TEST(StageRunner, AnUpstreamChangeReachesDownstreamFingerprints) {
  test::TempDir study;
  StageRunner runner(study.path(), "/bin/sh", {}, false);
  Stage up = shell_stage("up", study.path(), "mkdir -p \"$OUT\"");
  Stage down = shell_stage("down", study.path(), "mkdir -p \"$OUT\"");
  down.inputs = {"up"};
  runner.run(up);
  const std::string before = runner.fingerprint(down);
  StageRunner other(study.path(), "/bin/sh", {}, true);
  up.args[1] += " # changed";
  other.run(up);
  EXPECT_NE(other.fingerprint(down), before);
  // The study folder's own path does not enter fingerprints (a moved study still skips).
  Stage a = shell_stage("a", study.path(), "true");
  StageRunner elsewhere("/somewhere/else", "/bin/sh", {}, false);
  Stage b = shell_stage("a", "/somewhere/else", "true");
  EXPECT_EQ(runner.fingerprint(a), elsewhere.fingerprint(b));
}

TEST(StageRunner, ShellQuoting) {
  EXPECT_EQ(shell_quote("plain-word_1.txt"), "plain-word_1.txt");
  EXPECT_EQ(shell_quote("two words"), "'two words'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
}

// A stage dies with the study at any moment, even before its own main() could arm anything (a
// skingan stage spends its first second loading LibTorch): the runner arms the parent-death
// signal between fork and exec. /bin/sh never calls die_with_stage_parent, so only the runner's
// arming can take this stage down with the study.
TEST(StageRunner, AStageDiesWithTheStudyEvenIfItNeverArmsItself) {
  test::TempDir study;
  const fs::path pid_file = study / "stage.pid";
  const pid_t study_process = ::fork();
  ASSERT_GE(study_process, 0);
  if (study_process == 0) {  // the "study": runs one stage that would sleep for two minutes
    StageRunner runner(study.path(), "/bin/sh", {}, false);
    try {
      runner.run(shell_stage("long", study.path(),
                             "echo $$ > '" + pid_file.string() + ".tmp' && mv '" +
                                 pid_file.string() + ".tmp' '" + pid_file.string() +
                                 "' && exec sleep 120"));
    } catch (...) {
    }
    ::_exit(0);  // no destructors: the parent owns the folder
  }
  for (int i = 0; i < 600 && !fs::exists(pid_file); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // until the stage runs
  ASSERT_TRUE(fs::exists(pid_file)) << "the stage never started";
  const pid_t stage = std::stoi(io::read_file(pid_file));
  ::kill(study_process, SIGKILL);
  int status = 0;
  ::waitpid(study_process, &status, 0);
  const bool dying = test::process_dying("/proc/" + std::to_string(stage));
  ::kill(stage, SIGKILL);  // whatever happened, leave nothing behind
  EXPECT_TRUE(dying) << "stage " << stage << " outlived the killed study";
}
