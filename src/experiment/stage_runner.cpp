#include "experiment/stage_runner.h"

#include <fcntl.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "core/signals.h"
#include "io/files.h"
#include "io/json_fields.h"

extern char** environ;

namespace skingan::experiment {
namespace fs = std::filesystem;
namespace {

nlohmann::json read_record(const fs::path& path) {
  if (!fs::exists(path)) return nullptr;
  auto j = nlohmann::json::parse(io::read_file(path), nullptr, false);
  // A damaged record is treated as an unfinished stage: the stage reruns, nothing is trusted.
  return j.is_discarded() || !j.is_object() || io::find_number_beyond_int64(j) != nullptr
             ? nlohmann::json(nullptr)
             : j;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string log_tail(const fs::path& log, size_t lines) {
  std::ifstream in(log);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& line : last) out += "  | " + line + "\n";
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789-_./=:,+@%") == std::string::npos) {
    return word;
  }
  return "'" + replace_all(word, "'", "'\\''") + "'";
}

StageRunner::StageRunner(fs::path study_dir, fs::path executable,
                         std::vector<std::string> global_args, bool force)
    : study_dir_(std::move(study_dir)),
      executable_(std::move(executable)),
      global_args_(std::move(global_args)),
      force_(force) {}

std::vector<std::string> StageRunner::argv(const Stage& stage, bool resume) const {
  std::vector<std::string> out{executable_.string()};
  out.insert(out.end(), global_args_.begin(), global_args_.end());
  out.insert(out.end(), stage.args.begin(), stage.args.end());
  if (resume) out.push_back("--resume");
  return out;
}

std::string StageRunner::command_line(const Stage& stage, bool resume) const {
  std::string line;
  for (const auto& word : argv(stage, resume))
    line += (line.empty() ? "" : " ") + shell_quote(word);
  return line;
}

std::string StageRunner::fingerprint(const Stage& stage) const {
  Fnv1a64 h;
  // The study folder may move; the stage's meaning does not.
  for (const auto& arg : stage.args)
    h.update(replace_all(arg, study_dir_.string(), "$STUDY")).update("\n");
  for (const auto& input : stage.inputs) {
    auto it = output_ids_.find(input);
    if (it == output_ids_.end()) {
      throw Error("internal: stage '" + stage.name + "' reads '" + input + "', which has not run");
    }
    h.update(input).update("=").update(it->second).update("\n");
  }
  return h.hex();
}

std::optional<StageOutcome> StageRunner::recorded(const Stage& stage) const {
  const nlohmann::json record = read_record(stage_dir(stage) / "stage.json");
  if (!record.is_object()) return std::nullopt;
  StageOutcome outcome;
  outcome.skipped = true;
  outcome.total_seconds = record.value("seconds", 0.0);
  outcome.attempts = record.value("attempts", 0);
  return outcome;
}

void StageRunner::require_finished(const Stage& stage, const std::string& reader) {
  const nlohmann::json record = read_record(stage_dir(stage) / "stage.json");
  const bool finished = record.is_object() && record.value("status", "") == "finished" &&
                        record.value("fingerprint", "") == fingerprint(stage) &&
                        fs::exists(output_dir(stage));
  if (!finished) {
    throw ConfigError(describe_problem(
        "stage '" + reader + "' in " + study_dir_.string(),
        "its input stage '" + stage.name + "' has not finished under this configuration",
        "every input stage finished first",
        "Run the whole study, or --stage " + stage.name +
            " first (a Snakemake workflow from --emit-snakefile orders the stages for you)."));
  }
  output_ids_[stage.name] = record.value("output_id", record.value("fingerprint", ""));
}

StageOutcome StageRunner::run(const Stage& stage) {
  const fs::path dir = stage_dir(stage), out = output_dir(stage);
  const fs::path record_path = dir / "stage.json", log = dir / "log.txt";
  const std::string fp = fingerprint(stage);
  nlohmann::json record = read_record(record_path);
  const bool same = record.is_object() && record.value("fingerprint", "") == fp;
  const bool finished = record.is_object() && record.value("status", "") == "finished";
  if (finished && same && !stage.always_run && fs::exists(out)) {
    output_ids_[stage.name] = record.value("output_id", fp);
    return *recorded(stage);
  }
  bool fresh = false;
  if (record.is_object() && !same) {
    if (!force_) {
      throw ConfigError(describe_problem(
          "stage '" + stage.name + "' in " + study_dir_.string(),
          "it was run with other settings or inputs", "the settings it was run with",
          "Use a new output folder, or pass --force to rerun the changed stages (their old "
          "outputs are deleted)."));
    }
    fresh = true;
  }
  // Resumable commands continue from their own config.json and checkpoints; a folder without
  // config.json died before its first write and starts over.
  const bool resume = stage.resumable && !fresh && fs::exists(out / "config.json");
  if (fresh || (!stage.always_run && !resume)) {
    // Not finished under this fingerprint: whatever is there is a leftover of a dead attempt or
    // of other settings the user chose to replace with --force.
    std::error_code ignored;
    fs::remove_all(out, ignored);
    if (fresh) fs::remove(log, ignored);
  }
  fs::create_directories(dir);
  const int attempts = (same ? record.value("attempts", 0) : 0) + 1;
  const double earlier_seconds = same ? record.value("seconds", 0.0) : 0.0;
  const std::vector<std::string> command = argv(stage, resume);
  auto save_record = [&] { io::write_file_atomic(record_path, record.dump(2) + "\n"); };
  record = {{"name", stage.name},  {"command", command},   {"fingerprint", fp},
            {"status", "running"}, {"attempts", attempts}, {"seconds", earlier_seconds}};
  save_record();
  {
    std::ofstream header(log, std::ios::app);
    header << "=== attempt " << attempts << ": " << command_line(stage, resume) << "\n";
  }
  const auto start = std::chrono::steady_clock::now();
  const int code = spawn_and_wait(command, log);
  StageOutcome outcome;
  outcome.seconds = seconds_since(start);
  outcome.total_seconds = earlier_seconds + outcome.seconds;
  outcome.attempts = attempts;
  record["seconds"] = outcome.total_seconds;
  record["exit_code"] = code;
  if (code == 0 && !stop_requested()) {
    std::string id = fp;
    if (stage.always_run) {
      const auto meta = read_record(out / "meta.json");
      if (meta.is_object()) id = hash_hex(fp + meta.value("fingerprint", ""));
    }
    record["status"] = "finished";
    record["output_id"] = id;
    save_record();
    output_ids_[stage.name] = id;
    return outcome;
  }
  record["status"] = stop_requested() ? "interrupted" : "failed";
  save_record();
  if (stop_requested()) {
    throw StudyInterrupted("interrupted during stage '" + stage.name +
                           "'; what it finished is kept. Rerun the same command to resume.");
  }
  throw StageFailed("stage '" + stage.name + "' failed (exit status " + std::to_string(code) +
                    ").\nReproduce: " + command_line(stage, resume) + "\nLog: " + log.string() +
                    "\nLast lines of the log:\n" + log_tail(log, 15) +
                    "Fix the cause and rerun the study: finished stages are not repeated.");
}

namespace {

// Starts `executable` with stdin from /dev/null and stdout and stderr appended to `log`. The
// child arms PR_SET_PDEATHSIG (SIGKILL) before execve, which keeps it across exec: a stage dies
// with the study at any moment, even while it is still loading LibTorch, before its own main()
// could arm it (die_with_stage_parent covers stages started some other way). posix_spawn has no
// such step, hence fork; the child calls only async-signal-safe functions, since the study may
// have other threads. An execve failure comes back through a close-on-exec pipe as an errno.
pid_t start_stage_process(const std::string& executable, char* const argv[], char* const envp[],
                          const std::string& log) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    throw IoError(describe_problem("starting " + executable, std::strerror(errno),
                                   "a pipe to report the start", "Check the process limits."));
  }
  const pid_t study = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(report[0]);
#ifdef __linux__
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (::getppid() != study) ::_exit(137);  // the study died before prctl
    const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (in >= 0 && out >= 0 && ::dup2(in, STDIN_FILENO) >= 0 && ::dup2(out, STDOUT_FILENO) >= 0 &&
        ::dup2(out, STDERR_FILENO) >= 0) {
      ::execve(executable.c_str(), argv, envp);
    }
    const int error = errno;
    ssize_t written = ::write(report[1], &error, sizeof error);
    (void)written;
    ::_exit(127);
  }
  const int fork_error = errno;
  ::close(report[1]);
  if (pid < 0) {
    ::close(report[0]);
    throw IoError(describe_problem("starting " + executable, std::strerror(fork_error),
                                   "a new process", "Check the process limits."));
  }
  int error = 0;
  ssize_t got = 0;
  do {
    got = ::read(report[0], &error, sizeof error);
  } while (got < 0 && errno == EINTR);
  ::close(report[0]);
  if (got == static_cast<ssize_t>(sizeof error)) {  // execve (or the log's open) failed
    int status = 0;
    ::waitpid(pid, &status, 0);
    throw IoError(describe_problem("starting " + executable + " (log " + log + ")",
                                   std::strerror(error),
                                   "an executable skingan binary and a writable log",
                                   "Rebuild skingan, or check the study folder's permissions."));
  }
  return pid;
}

}  // namespace

int StageRunner::spawn_and_wait(const std::vector<std::string>& args, const fs::path& log) const {
  std::vector<char*> c_args;
  for (const auto& a : args) c_args.push_back(const_cast<char*>(a.c_str()));
  c_args.push_back(nullptr);
  // Our environment plus the study's pid, so the stage dies with the study (die_with_stage_parent).
  const std::string parent = std::string(kStageParentVariable) + "=" + std::to_string(::getpid());
  std::vector<char*> c_env;
  const std::string prefix = std::string(kStageParentVariable) + "=";
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, prefix.c_str(), prefix.size()) != 0) c_env.push_back(*e);
  }
  c_env.push_back(const_cast<char*>(parent.c_str()));
  c_env.push_back(nullptr);
  const pid_t pid =
      start_stage_process(executable_.string(), c_args.data(), c_env.data(), log.string());
  bool forwarded = false;
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return 127;
    // A terminal's Ctrl-C reaches the child too; `kill STUDY_PID` does not, so pass it on once
    // and let the child write its checkpoint.
    if (stop_requested() && !forwarded) {
      kill(pid, SIGTERM);
      forwarded = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace skingan::experiment
