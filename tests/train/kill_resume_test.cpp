// SIGKILL (no chance to clean up) at random moments of train-classifier and train-gan, then
// --resume until finished: the run ends exactly as an uninterrupted one, whatever the moment,
// and no temporary file is left behind. The kill moments are random; the assertions hold for
// every moment, so the test does not depend on timing.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "io/files.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;

namespace {

// metrics.jsonl without its wall-clock fields.
std::vector<nlohmann::json> metrics_without_timings(const fs::path& file) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(io::read_file(file));
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    j.erase("images_per_second");
    j.erase("seconds");
    lines.push_back(j);
  }
  return lines;
}

// Runs `command(resume)` and SIGKILLs it after a random 0..max_ms, `kills` times (resuming each
// time the folder holds a started run), then lets it finish. The number of kills that landed.
int kill_and_resume(const std::function<std::vector<std::string>(bool)>& command,
                    const fs::path& folder, const fs::path& started_marker, int kills, int max_ms,
                    const fs::path& log) {
  std::mt19937 rng(std::random_device{}());
  int landed = 0;
  for (int k = 0; k < kills; ++k) {
    const pid_t pid = test::start_process(command(fs::exists(started_marker)), log);
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % max_ms));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) ++landed;
  }
  EXPECT_EQ(test::run_to_end(command(fs::exists(started_marker)), log), 0) << io::read_file(log);
  for (const auto& e : fs::recursive_directory_iterator(folder)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
  return landed;
}

// Runs `args` + "-o OUT" once straight into DIR/straight and once into DIR/killed under random
// kills (kill_and_resume, resuming once DIR/killed/`started` exists); the metrics must match.
void expect_killed_run_to_match_straight(std::vector<std::string> args, const fs::path& dir,
                                         const std::string& started, int max_ms) {
  args.insert(args.begin(), {test::skingan_binary().string(), "--threads", "1", "-q"});
  auto command = [&](const fs::path& out) {
    return [args, out](bool resume) {
      std::vector<std::string> full = args;
      full.insert(full.end(), {"-o", out.string()});
      if (resume) full.push_back("--resume");
      return full;
    };
  };
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(test::run_to_end(command(dir / "straight")(false), dir / "straight.log"), 0);
  // Kill moments spread over the straight run's own duration (at most max_ms), so most kills
  // land on a running process; where they land does not change what is asserted.
  const auto straight_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count();
  const int spread = static_cast<int>(std::clamp<long long>(straight_ms, 100, max_ms));
  const fs::path killed = dir / "killed";
  const int landed =
      kill_and_resume(command(killed), killed, killed / started, 10, spread, dir / "killed.log");
  std::cout << "[ kills that landed: " << landed << " of 10 ]\n";
  EXPECT_EQ(metrics_without_timings(killed / "metrics.jsonl"),
            metrics_without_timings(dir / "straight" / "metrics.jsonl"));
}

}  // namespace

TEST(KillResume, TrainClassifierEndsAsAnUninterruptedRunAfterRandomSigkills) {
  test::TempDir dir;
  test::write_ham_set(dir / "src", test::make_rows({"nv", "mel", "bkl"}, 8, 2), 40, 30);
  test::prepare_test_set(dir / "src", dir / "set", 32);
  expect_killed_run_to_match_straight(
      {"train-classifier", "--train", (dir / "set").string(), "--model", "small_cnn", "--width",
       "4", "--epochs", "4", "--batch-size", "8"},
      dir.path(), "config.json", 1500);
  EXPECT_TRUE(io::read_file(dir / "killed" / "best.pt") ==
              io::read_file(dir / "straight" / "best.pt"));
}

TEST(KillResume, TrainGanEndsAsAnUninterruptedRunAfterRandomSigkills) {
  test::TempDir dir;
  test::write_ham_set(dir / "src", test::make_rows({"nv", "mel"}, 6, 2), 40, 30);
  test::prepare_test_set(dir / "src", dir / "set", 32);
  expect_killed_run_to_match_straight({"train-gan",
                                       (dir / "set").string(),
                                       "--arch",
                                       "cgan",
                                       "--g-channels",
                                       "4",
                                       "--d-channels",
                                       "4",
                                       "--latent-dim",
                                       "8",
                                       "--batch-size",
                                       "4",
                                       "--steps",
                                       "60",
                                       "--checkpoint-every",
                                       "10",
                                       "--log-every",
                                       "5",
                                       "--sample-every",
                                       "60"},
                                      dir.path(), "config.json", 2500);
}
