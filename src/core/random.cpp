#include "core/random.h"

#include <torch/cuda.h>
#include <torch/utils.h>

namespace skingan {

std::uint64_t SplitMix::below(std::uint64_t n) {
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t value;
  do {
    value = engine_();
  } while (value >= limit);
  return value % n;
}

double SplitMix::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

void seed_torch(std::uint64_t seed) {
  torch::manual_seed(seed);
  if (torch::cuda::is_available()) torch::cuda::manual_seed_all(seed);
}

}  // namespace skingan
