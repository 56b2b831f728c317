#include "io/files.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.h"

namespace fs = std::filesystem;

namespace skingan::io {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw IoError(describe_problem("cannot read " + path.string(),
                                   fs::exists(path) ? "a file that cannot be opened" : "no file",
                                   "a readable file", "Check the path and its permissions."));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_file_atomic(const fs::path& path, const std::string& bytes) {
  const fs::path temp = path.string() + ".tmp-" + std::to_string(getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw IoError("cannot create " + temp.string() + ": " + std::strerror(errno) +
                  ". Check that the folder exists and is writable.");
  }
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      fs::remove(temp);
      throw IoError("cannot write " + path.string() + ": " + reason + " (disk full?).");
    }
    written += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp);
    throw IoError("cannot move " + temp.string() + " to " + path.string() + ": " + ec.message());
  }
}

void write_file_in_staging(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw IoError("cannot write " + path.string() + " (disk full or not writable?).");
}

StagingDir::StagingDir(fs::path target)
    : target_(std::move(target)),
      staging_(target_.string() + ".partial-" + std::to_string(getpid())) {
  std::error_code ec;
  fs::remove_all(staging_, ec);
  fs::create_directories(staging_, ec);
  if (ec) {
    throw IoError("cannot create " + staging_.string() + ": " + ec.message() +
                  ". Check that the output's parent folder is writable.");
  }
}

StagingDir::~StagingDir() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
}

void StagingDir::commit(bool replace) {
  std::error_code ec;
  fs::path old;
  if (fs::exists(target_)) {
    if (!replace) {
      throw IoError(target_.string() + " appeared while this run was writing; refusing to " +
                    "overwrite it. Remove it or pass --force.");
    }
    // Move the old output aside first so that at every instant one complete output exists.
    old = target_.string() + ".old-" + std::to_string(getpid());
    fs::remove_all(old, ec);
    fs::rename(target_, old, ec);
    if (ec) throw IoError("cannot move aside " + target_.string() + ": " + ec.message());
  }
  fs::rename(staging_, target_, ec);
  if (ec) {
    if (!old.empty()) fs::rename(old, target_);
    throw IoError("cannot move " + staging_.string() + " to " + target_.string() + ": " +
                  ec.message());
  }
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
}

namespace {

// Whether process `pid` has ended. kill(pid, 0) also succeeds for a process that has exited but
// not yet been reaped (a zombie, state Z or X in /proc/PID/stat): it can never write again, and
// after a SIGKILLed study its stages stay zombies until init reaps them, which a rerun started at
// once can see.
bool process_ended(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;  // no /proc (not Linux): trust kill
  const size_t name_end = line.rfind(')');      // "pid (comm) state ...", comm may hold spaces
  if (name_end == std::string::npos || name_end + 2 >= line.size()) return false;
  const char state = line[name_end + 2];
  return state == 'Z' || state == 'X';
}

// Whether `name` ends in `marker` + a process id of a process that no longer runs.
bool left_by_a_dead_process(const std::string& name, const std::string& marker) {
  const size_t at = name.rfind(marker);
  if (at == std::string::npos) return false;
  const std::string pid_text = name.substr(at + marker.size());
  if (pid_text.empty() || pid_text.size() > 9 ||
      pid_text.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
  return pid != getpid() && process_ended(pid);
}

}  // namespace

void remove_stale_staging(const fs::path& target) {
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string prefix = target.filename().string() + ".partial-";
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) return;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && left_by_a_dead_process(name, ".partial-")) {
      fs::remove_all(entry.path(), ec);
    }
  }
}

void remove_stale_temporaries(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return;
  std::vector<fs::path> stale;  // removed after the walk, which must not see them go
  for (auto it = fs::recursive_directory_iterator(folder, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_regular_file(ec) && left_by_a_dead_process(name, ".tmp-")) {
      stale.push_back(it->path());
    } else if (it->is_directory(ec) && left_by_a_dead_process(name, ".partial-")) {
      stale.push_back(it->path());
      it.disable_recursion_pending();
    }
  }
  for (const fs::path& path : stale) fs::remove_all(path, ec);
}

}  // namespace skingan::io
