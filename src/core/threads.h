// Thread configuration, decided once at start-up.
//
// Why: Debian's LibTorch starts with one intra-op thread, and OpenBLAS's own OpenMP threads inside
// torch's threads oversubscribe the cores (measured: 2 torch threads ran 3x slower until OpenBLAS
// was held to one thread). So torch gets `n` threads, OpenBLAS gets exactly one, and OpenCV's
// internal pool gets `n` (data preparation turns it off while it runs its own per-image workers).
#pragma once

namespace skingan {

struct ThreadSettings {
  int torch_threads = 1;        // at::get_num_threads() after configuration
  int opencv_threads = 1;       // cv::getNumThreads() after configuration
  bool openblas_found = false;  // whether openblas_set_num_threads was found and called
};

// Number of cores this process may use (sched affinity aware; at least 1).
int available_cores();

// Applies `requested` threads (0 = all available cores) to torch, OpenCV and OpenBLAS (held to 1).
ThreadSettings configure_threads(int requested);

// Threads configured by the last configure_threads() call (available_cores() before any).
int configured_threads();

}  // namespace skingan
