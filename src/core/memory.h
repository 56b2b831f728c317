// Process memory readings for benchmarks (Linux /proc).
#pragma once

#include <cstdint>

namespace skingan {

// Peak resident set size (VmHWM) in bytes; 0 where unavailable.
std::int64_t peak_rss_bytes();
// Resets the peak to the current RSS (writes 5 to /proc/self/clear_refs); false if refused.
bool reset_peak_rss();

}  // namespace skingan
