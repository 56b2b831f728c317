#include "core/threads.h"

#include <dlfcn.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include <ATen/Parallel.h>
#include <opencv2/core.hpp>

#include "core/error.h"

namespace skingan {
namespace {
std::atomic<int> g_configured{0};
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count > 0) return count;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

ThreadSettings configure_threads(int requested) {
  if (requested < 0) {
    throw ConfigError(describe_problem("--threads", std::to_string(requested),
                                       "0 (all cores) or a positive count", ""));
  }
  const int threads = requested == 0 ? available_cores() : requested;
  ThreadSettings settings;
  // OpenBLAS is loaded by libtorch (libblas.so.3 -> openblas-openmp on Debian); look the symbol
  // up at run time so builds against other BLAS implementations (MKL in upstream LibTorch) work.
  using SetThreads = void (*)(int);
  if (auto set_blas =
          reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set_blas(1);
    settings.openblas_found = true;
  }
  at::set_num_threads(threads);
  cv::setNumThreads(threads);
  settings.torch_threads = at::get_num_threads();
  settings.opencv_threads = cv::getNumThreads();
  g_configured = threads;
  return settings;
}

int configured_threads() {
  const int configured = g_configured.load();
  return configured > 0 ? configured : available_cores();
}

}  // namespace skingan
