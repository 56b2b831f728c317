// SIGKILL at random moments of the commands that write one output folder at the end (prepare,
// generate, evaluate, score), then a rerun: whatever the moment, the folder is either absent or
// whole and equal to an uninterrupted run's, the rerun completes it, and no staging folder or
// temporary file is left behind. The kill moments are random; the assertions hold for every
// moment, so the test does not depend on timing.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "io/files.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;

namespace {

// A folder's files by relative path; JSON files without their wall-clock fields.
std::map<std::string, std::string> tree(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string content = io::read_file(e.path());
    if (e.path().extension() == ".json") {
      auto j = nlohmann::json::parse(content);
      for (const char* key : {"seconds", "images_per_second", "created"}) j.erase(key);
      content = j.dump();
    }
    files[e.path().lexically_relative(dir).string()] = content;
  }
  return files;
}

void expect_no_leftovers(const fs::path& parent) {
  for (const auto& e : fs::recursive_directory_iterator(parent)) {
    const std::string name = e.path().filename().string();
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << e.path();
    EXPECT_EQ(name.find(".partial-"), std::string::npos) << e.path();
  }
}

// Runs `args` + "-o DIR/straight" to the end, then `kills` times: starts `args` + "-o
// DIR/killed", SIGKILLs it after a random 0..max_ms, and checks that DIR/killed is absent or
// equal to the straight output; finally reruns it to the end (after removing a whole earlier
// output, as a user would rerun with --force) and compares again.
void expect_kills_leave_whole_or_nothing(std::vector<std::string> args, const fs::path& dir,
                                         int kills, int max_ms) {
  args.insert(args.begin(), {test::skingan_binary().string(), "--threads", "1", "-q"});
  auto with_output = [&](const fs::path& out) {
    std::vector<std::string> full = args;
    full.insert(full.end(), {"-o", out.string()});
    return full;
  };
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(test::run_to_end(with_output(dir / "straight"), dir / "straight.log"), 0)
      << io::read_file(dir / "straight.log");
  // Kill moments spread over the straight run's own duration (at most max_ms), so most kills
  // land on a running process; where they land does not change what is asserted.
  const auto straight_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count();
  const int spread = static_cast<int>(std::clamp<long long>(straight_ms, 50, max_ms));
  const auto expected = tree(dir / "straight");
  const fs::path killed = dir / "killed";
  std::mt19937 rng(std::random_device{}());
  int landed = 0, whole = 0;
  for (int k = 0; k < kills; ++k) {
    const pid_t pid = test::start_process(with_output(killed), dir / "killed.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % spread));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) ++landed;
    if (fs::exists(killed)) {
      ++whole;
      EXPECT_EQ(tree(killed), expected) << "a killed run left a partial output";
      fs::remove_all(killed);
    }
  }
  ASSERT_EQ(test::run_to_end(with_output(killed), dir / "killed.log"), 0)
      << io::read_file(dir / "killed.log");
  EXPECT_EQ(tree(killed), expected);
  expect_no_leftovers(dir);
  std::cout << "[ kills that landed: " << landed << " of " << kills
            << "; outputs already whole: " << whole << " ]\n";
}

class KillRerun : public testing::Test {
 protected:
  void SetUp() override {
    test::write_ham_set(dir / "src", test::make_rows({"nv", "mel", "bkl"}, 8, 2), 40, 30);
    test::prepare_test_set(dir / "src", dir / "set", 32);
  }
  test::TempDir dir;
};

}  // namespace

TEST_F(KillRerun, PrepareLeavesItsSetWholeOrAbsent) {
  fs::create_directories(dir / "prepare");
  expect_kills_leave_whole_or_nothing({"prepare", (dir / "src").string(), "--size", "32"},
                                      dir / "prepare", 10, 800);
}

TEST_F(KillRerun, GenerateScoreAndEvaluateLeaveTheirOutputsWholeOrAbsent) {
  test::train_tiny_gan(dir / "set", dir / "gan", "cgan", false, 20, 20);
  test::train_tiny_classifier(dir / "set", dir / "model", 4, 1, 8);
  fs::create_directories(dir / "generate");
  expect_kills_leave_whole_or_nothing(
      {"generate", "--run", (dir / "gan").string(), "--balance-to", "20", "--seed", "1"},
      dir / "generate", 10, 800);
  const fs::path synthetic = dir / "generate" / "straight";
  fs::create_directories(dir / "score");
  expect_kills_leave_whole_or_nothing(
      {"score", synthetic.string(), "--real", (dir / "set").string(), "--features",
       (dir / "model").string(), "--skip-small-classes", "--no-cas"},
      dir / "score", 10, 800);
  fs::create_directories(dir / "evaluate");
  expect_kills_leave_whole_or_nothing({"evaluate", (dir / "model").string(), "--data",
                                       (dir / "set").string(), "--bootstrap", "200", "--seed", "1"},
                                      dir / "evaluate", 10, 800);
}
