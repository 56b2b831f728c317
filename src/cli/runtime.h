// Options every subcommand shares, resolved once before the subcommand runs.
#pragma once

#include <string>

#include <c10/core/Device.h>
#include <CLI/CLI.hpp>

#include "core/threads.h"
#include "dist/process_group.h"
#include "dist/rendezvous.h"

namespace skingan::cli {

struct GlobalArgs {
  int threads = 0;              // 0 = every core
  std::string device = "auto";  // cpu | cuda | cuda:N | auto
  std::string log_level = "info";
  bool quiet = false;  // no progress bars
};

struct Runtime {
  c10::Device device{c10::kCPU};
  ThreadSettings threads;
  bool progress = true;
  // The global options again, for the child processes a study runs (same threads and device).
  std::vector<std::string> stage_args;
  // Where this process stands when torchrun or srun started it (world size 1 otherwise).
  dist::Rendezvous rendezvous;
};

void add_global_options(CLI::App& app, GlobalArgs& args);

// Applies threads, device and logging; ConfigError for refused values. Under torchrun/srun with
// several ranks: log lines name the rank, --threads 0 shares the cores among the node's ranks,
// and --device cuda/auto means the GPU of the rank's LOCAL_RANK.
Runtime resolve_runtime(const GlobalArgs& args);

// The process group of a data-parallel run, or null for one process. `command` must be one that
// trains data-parallel (ConfigError otherwise: N copies of another command would write the same
// files).
std::unique_ptr<dist::ProcessGroup> join_process_group(const Runtime& runtime,
                                                       const std::string& command);

}  // namespace skingan::cli
