// Runs independent work items on a fixed number of std::threads.
// Why not at::parallel_for: per-image OpenCV work is coarse and uneven, so dynamic scheduling
// (an atomic counter) balances better than torch's static chunks, and it keeps OpenCV code free
// of torch's OpenMP pool.
#pragma once

#include <cstdint>
#include <functional>

namespace skingan {

// Calls body(i) for every i in [0, count) on `threads` threads (<=1: inline, in order).
// The first exception thrown by any body is rethrown here after all threads stop.
void parallel_for_each(std::int64_t count, int threads,
                       const std::function<void(std::int64_t)>& body);

}  // namespace skingan
