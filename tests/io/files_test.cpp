#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.h"
#include "io/files.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;

TEST(Files, AtomicWriteReplacesWholeFileAndLeavesNoTemporary) {
  test::TempDir dir;
  io::write_file_atomic(dir / "a.txt", "first");
  io::write_file_atomic(dir / "a.txt", "second");
  EXPECT_EQ(io::read_file(dir / "a.txt"), "second");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(Files, StagingDirVanishesUnlessCommitted) {
  test::TempDir dir;
  fs::path staging;
  {
    io::StagingDir stage(dir / "out");
    staging = stage.path();
    io::write_file_atomic(stage.path() / "x", "1");
    EXPECT_TRUE(fs::exists(staging));
  }
  EXPECT_FALSE(fs::exists(staging));
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(Files, CommitRefusesToReplaceWithoutPermission) {
  test::TempDir dir;
  fs::create_directories(dir / "out");
  test::write_text(dir / "out" / "old", "keep me");
  io::StagingDir stage(dir / "out");
  io::write_file_atomic(stage.path() / "new", "1");
  EXPECT_THROW(stage.commit(false), IoError);
  EXPECT_EQ(io::read_file(dir / "out" / "old"), "keep me");
  stage.commit(true);
  EXPECT_FALSE(fs::exists(dir / "out" / "old"));
  EXPECT_TRUE(fs::exists(dir / "out" / "new"));
}

TEST(Files, RemovesStaleStagingOfDeadProcessesOnly) {
  test::TempDir dir;
  fs::create_directories(dir / "out.partial-999999999");  // no such pid
  fs::create_directories(dir / "out.partial-notapid");
  io::remove_stale_staging(dir / "out");
  EXPECT_FALSE(fs::exists(dir / "out.partial-999999999"));
  EXPECT_TRUE(fs::exists(dir / "out.partial-notapid"));
}

TEST(Files, ReadMissingFileSaysSo) {
  try {
    io::read_file("/nonexistent/skingan/file");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/skingan/file"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("no file"), std::string::npos);
  }
}

TEST(Files, StaleTemporariesOfDeadProcessesAreRemovedOthersKept) {
  test::TempDir dir;
  // A pid that is not running (fork a child that exits at once and reap it).
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  const std::string dead_pid = std::to_string(dead), live_pid = std::to_string(getpid());
  fs::create_directories(dir / "checkpoints");
  for (const std::string& name : std::vector<std::string>{
           "checkpoints/last.pt.tmp-" + dead_pid, "config.json.tmp-" + dead_pid,
           "best.pt.tmp-" + live_pid, "notes.tmp-x", "best.pt"}) {
    test::write_text(dir / name, "x");
  }
  // Staging folders of StagingDir, at any depth: a dead writer's goes, a running one's stays.
  fs::create_directories(dir / "gan" / "generate" / ("set.partial-" + dead_pid) / "images");
  fs::create_directories(dir / "gan" / ("set.partial-" + live_pid));
  io::remove_stale_temporaries(dir.path());
  EXPECT_FALSE(fs::exists(dir / "gan" / "generate" / ("set.partial-" + dead_pid)));
  EXPECT_TRUE(fs::exists(dir / "gan" / ("set.partial-" + live_pid)));
  EXPECT_FALSE(fs::exists(dir / "checkpoints" / ("last.pt.tmp-" + dead_pid)));
  EXPECT_FALSE(fs::exists(dir / ("config.json.tmp-" + dead_pid)));
  EXPECT_TRUE(fs::exists(dir / ("best.pt.tmp-" + live_pid)));  // a running writer's file
  EXPECT_TRUE(fs::exists(dir / "notes.tmp-x"));
  EXPECT_TRUE(fs::exists(dir / "best.pt"));
}

// A process that has exited but is not yet reaped (a zombie) still answers kill(pid, 0); it can
// never write again, so its leftovers are stale. A SIGKILLed study's stages are such zombies
// until init reaps them, and a rerun may start before that.
TEST(Files, LeftoversOfAnExitedButUnreapedProcessAreStale) {
  test::TempDir dir;
  const pid_t zombie = fork();
  if (zombie == 0) _exit(0);
  const std::string stat_path = "/proc/" + std::to_string(zombie) + "/stat";
  for (int i = 0; i < 500; ++i) {  // until the child has exited (state Z), at most 5 s
    if (io::read_file(stat_path).find(") Z") != std::string::npos) break;
    usleep(10000);
  }
  ASSERT_NE(io::read_file(stat_path).find(") Z"), std::string::npos) << "no zombie to test";
  ASSERT_EQ(kill(zombie, 0), 0);  // what made it look alive
  const std::string pid = std::to_string(zombie);
  fs::create_directories(dir / ("out.partial-" + pid));
  test::write_text(dir / ("config.json.tmp-" + pid), "x");
  io::remove_stale_staging(dir / "out");
  io::remove_stale_temporaries(dir.path());
  const bool staging_left = fs::exists(dir / ("out.partial-" + pid));
  const bool temporary_left = fs::exists(dir / ("config.json.tmp-" + pid));
  waitpid(zombie, nullptr, 0);
  EXPECT_FALSE(staging_left);
  EXPECT_FALSE(temporary_left);
}
