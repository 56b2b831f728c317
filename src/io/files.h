// Whole-file reads, atomic file writes and staged output folders.
//
// Outputs are never half-written: a file is written to "<name>.tmp-<pid>" and renamed over the
// target; a folder is built as "<name>.partial-<pid>" and renamed into place only when complete,
// so an interrupted run leaves at most a stray *.partial-* folder that is never mistaken for a
// finished output.
#pragma once

#include <filesystem>
#include <string>

namespace skingan::io {

// The file's bytes; IoError naming the path when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// Writes `bytes` to `path` atomically (temporary file, fsync, rename).
void write_file_atomic(const std::filesystem::path& path, const std::string& bytes);

// Writes `bytes` to `path` directly, without temporary name or fsync: only for files inside a
// StagingDir, whose rename into place is what makes the whole output appear at once.
void write_file_in_staging(const std::filesystem::path& path, const std::string& bytes);

// A folder being built for `target`. commit() renames it onto `target` (replacing an existing
// folder only when `replace` is true); the destructor removes the folder if never committed.
class StagingDir {
 public:
  explicit StagingDir(std::filesystem::path target);
  ~StagingDir();
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;

  const std::filesystem::path& path() const { return staging_; }
  const std::filesystem::path& target() const { return target_; }
  void commit(bool replace);

 private:
  std::filesystem::path target_;
  std::filesystem::path staging_;
  bool committed_ = false;
};

// Removes leftover "<target>.partial-<pid>" folders whose process no longer runs.
void remove_stale_staging(const std::filesystem::path& target);

// Removes, anywhere under `folder`, the "<name>.tmp-<pid>" files of write_file_atomic and the
// "<name>.partial-<pid>" folders of StagingDir whose process no longer runs (killed mid-write); a
// run calls it before resuming in its folder, and a study before its stages, so that a staging
// folder a killed stage left is removed even when the stage is finished and not run again.
void remove_stale_temporaries(const std::filesystem::path& folder);

}  // namespace skingan::io
