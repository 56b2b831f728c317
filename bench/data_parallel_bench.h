// What the data-parallel benchmarks share: their common flags (--steps, --threads, --batch per
// rank, --width, --size), the thread settings, and the process group joined from the environment
// torchrun sets (none in one process).
#pragma once

#include <chrono>
#include <memory>

#include "bench_flags.h"
#include "core/threads.h"
#include "dist/process_group.h"
#include "dist/rendezvous.h"

namespace skingan::bench {

struct DataParallelBench {
  int steps = 20, threads = 0, batch = 32, width = 32, size = 64;
  ThreadSettings settings;
  dist::Rendezvous rendezvous;
  std::unique_ptr<dist::ProcessGroup> group;  // null in one process

  int ranks() const { return rendezvous.world_size; }
};

// Parses the common flags and `extra` ones into `bench` (false on a bad flag), then configures
// the threads and joins the group.
inline bool start_data_parallel_bench(
    int argc, char** argv, DataParallelBench& bench,
    std::map<std::string, std::function<void(const std::string&)>> extra = {}) {
  extra["--steps"] = [&](const std::string& v) { bench.steps = std::stoi(v); };
  extra["--threads"] = [&](const std::string& v) { bench.threads = std::stoi(v); };
  extra["--batch"] = [&](const std::string& v) { bench.batch = std::stoi(v); };
  extra["--width"] = [&](const std::string& v) { bench.width = std::stoi(v); };
  extra["--size"] = [&](const std::string& v) { bench.size = std::stoi(v); };
  if (!parse_flags(argc, argv, extra)) return false;
  bench.settings = configure_threads(bench.threads);
  bench.rendezvous = dist::rendezvous_from_environment();
  if (bench.rendezvous.distributed()) {
    bench.group = std::make_unique<dist::ProcessGroup>(bench.rendezvous, std::chrono::seconds(120));
  }
  return true;
}

}  // namespace skingan::bench
