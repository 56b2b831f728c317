// Options every subcommand shares, resolved once before the subcommand runs.
#pragma once

#include <string>

#include <c10/core/Device.h>
#include <CLI/CLI.hpp>

#include "core/threads.h"

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
};

void add_global_options(CLI::App& app, GlobalArgs& args);

// Applies threads, device and logging; ConfigError for refused values.
Runtime resolve_runtime(const GlobalArgs& args);

}  // namespace skingan::cli
