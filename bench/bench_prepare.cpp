// Prepare throughput: images/s and peak memory of `skingan prepare` on a real data set at 64 and
// 128 px, with hair removal + colour constancy on and off, on all cores and on one thread in the
// same process, so the speed-up ratio compares like with like.
//
//   bench_prepare [--source DIR] [--repeats N] [--scratch DIR]
// Prints a Markdown table; each cell is the best of N runs (the output is rebuilt every run).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench_flags.h"
#include "core/memory.h"
#include "core/threads.h"
#include "data/prepare.h"

namespace fs = std::filesystem;
using namespace skingan;

namespace {

struct Measurement {
  double images_per_second = 0;
  double peak_mib = 0;
  std::int64_t images = 0;
};

Measurement measure(data::PrepareOptions options, int repeats) {
  Measurement best;
  const fs::path base = options.output;
  for (int r = 0; r < repeats; ++r) {
    // A fresh folder each run: deleting and re-creating thousands of files in one place makes
    // ext4 search its recently deleted inodes, a cost no first-time user pays. Cleared at the end.
    options.output = base.string() + "-" + std::to_string(r);
    reset_peak_rss();
    const auto start = std::chrono::steady_clock::now();
    const data::PrepareResult result = data::prepare_dataset(options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = static_cast<double>(result.images) / seconds;
    if (rate > best.images_per_second) {
      best = {rate, static_cast<double>(peak_rss_bytes()) / (1 << 20), result.images};
    }
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path source = "../shared/data/ham10000";
  fs::path scratch = fs::temp_directory_path() / "skingan-bench-prepare";
  int repeats = 2;
  if (!bench::parse_flags(argc, argv,
                          {{"--source", [&](const std::string& v) { source = v; }},
                           {"--repeats", [&](const std::string& v) { repeats = std::stoi(v); }},
                           {"--scratch", [&](const std::string& v) { scratch = v; }}}))
    return 2;
  if (!fs::exists(source)) {
    std::fprintf(stderr, "no data set at %s (pass --source DIR)\n", source.c_str());
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  const int cores = available_cores();
  configure_threads(0);
  std::printf("source: %s, %d cores, best of %d\n\n", source.c_str(), cores, repeats);
  std::printf(
      "| size | hair removal + colour constancy | all %d cores (img/s) | 1 thread (img/s) | "
      "speed-up | peak RSS all / 1 (MiB) |\n",
      cores);
  std::printf("| ---: | :---: | ---: | ---: | ---: | ---: |\n");
  for (int size : {64, 128}) {
    for (bool full : {true, false}) {
      data::PrepareOptions options;
      options.source.root = source;
      options.output = scratch / ("all-" + std::to_string(size) + (full ? "-full" : "-plain"));
      options.preprocess.size = size;
      options.preprocess.remove_hair = full;
      options.preprocess.color_constancy = full;
      options.progress = false;
      options.force = true;
      options.threads = cores;
      const Measurement all = measure(options, repeats);
      options.threads = 1;
      options.output = scratch / ("one-" + std::to_string(size) + (full ? "-full" : "-plain"));
      const Measurement one = measure(options, repeats);
      std::printf("| %d | %s | %.0f | %.0f | %.2fx | %.0f / %.0f |\n", size, full ? "on" : "off",
                  all.images_per_second, one.images_per_second,
                  all.images_per_second / one.images_per_second, all.peak_mib, one.peak_mib);
      std::fflush(stdout);
    }
  }
  fs::remove_all(scratch);
  return 0;
}
