// One study stage = one skingan command run as a child process in its own folder:
//
// STAGE_DIR/stage.json   {"name", "command", "fingerprint", "status": running|finished|failed,
//                         "attempts", "seconds", "exit_code", "output_id"}
//          /log.txt      the command's stdout and stderr, every attempt appended
//          /<output>/    what the command writes (run, set, model, eval)
//
// A stage is skipped when stage.json says finished with the same fingerprint (its command, with
// the study folder written as $STUDY, plus the identities of the outputs it reads). An unfinished
// stage reruns: resumable commands (train-gan, train-classifier) with --resume on their partial
// output, the others from scratch (their outputs appear atomically, so a leftover one is only
// the product of an attempt that died before stage.json said finished). A finished stage whose
// fingerprint changed is refused unless `force`, which reruns it from scratch.
//
// Child processes isolate the stages (a crash or an out-of-memory kill ends one stage, not the
// study) and make every stage reproducible by pasting its command line.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace skingan::experiment {

struct Stage {
  std::string name;               // "gan/cgan/train": also the folder under the study
  std::string output;             // the output folder's name inside the stage folder
  std::vector<std::string> args;  // the command after the global options, without --resume/--force
  std::vector<std::string> inputs;  // stages whose outputs this one reads
  bool resumable = false;           // continues a partial output when given --resume
  // Reruns every time (the command itself finishes at once when up to date); its output identity
  // is then meta.json's "fingerprint", so a changed source reaches every later stage.
  bool always_run = false;
};

// A stage's command failed: the message names the stage, the exit status, the command line that
// reproduces it, the log path and the log's last lines.
class StageFailed : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 6; }
};

// The study was stopped by SIGINT/SIGTERM; the running stage saved what it could.
class StudyInterrupted : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 130; }
};

struct StageOutcome {
  bool skipped = false;
  double seconds = 0;        // this call's wall time (0 when skipped)
  double total_seconds = 0;  // over every attempt, as recorded in stage.json
  int attempts = 0;
};

class StageRunner {
 public:
  // `executable` is the skingan binary; `global_args` go before each command (--threads ...).
  StageRunner(std::filesystem::path study_dir, std::filesystem::path executable,
              std::vector<std::string> global_args, bool force);

  StageOutcome run(const Stage& stage);
  // For a single-stage run: `stage`, which `reader` reads, must have finished under its current
  // fingerprint (its own inputs checked before it); its output identity is taken from its record.
  // ConfigError naming both stages otherwise.
  void require_finished(const Stage& stage, const std::string& reader);
  // What stage.json says of an earlier run (skipped = true), without running anything; nullopt
  // when the stage has no readable record.
  std::optional<StageOutcome> recorded(const Stage& stage) const;

  std::filesystem::path stage_dir(const Stage& stage) const { return study_dir_ / stage.name; }
  std::filesystem::path output_dir(const Stage& stage) const {
    return stage_dir(stage) / stage.output;
  }
  // The command line of the stage's first attempt, shell-quoted, to paste into a terminal.
  std::string command_line(const Stage& stage, bool resume = false) const;
  std::string fingerprint(const Stage& stage) const;

 private:
  std::vector<std::string> argv(const Stage& stage, bool resume) const;
  int spawn_and_wait(const std::vector<std::string>& argv, const std::filesystem::path& log) const;

  std::filesystem::path study_dir_;
  std::filesystem::path executable_;
  std::vector<std::string> global_args_;
  bool force_;
  std::map<std::string, std::string> output_ids_;  // by stage name, for later fingerprints
};

// POSIX shell quoting ('...' where needed).
std::string shell_quote(const std::string& word);

}  // namespace skingan::experiment
