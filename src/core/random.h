// Seeded, platform-independent random numbers for data decisions (splits, demo data).
// Why not std::uniform_int_distribution / std::shuffle: their algorithms are implementation
// defined, so the same seed could give another split with another standard library.
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace skingan {

class SplitMix {
 public:
  explicit SplitMix(std::uint64_t seed) : engine_(seed) {}
  // Uniform integer in [0, n); n > 0. Uses rejection, so it is unbiased.
  std::uint64_t below(std::uint64_t n);
  // Uniform double in [0, 1).
  double uniform();
  // Fisher-Yates shuffle.
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) {
      std::swap(items[i - 1], items[static_cast<size_t>(below(i))]);
    }
  }

 private:
  std::mt19937_64 engine_;  // mt19937_64's output sequence is fixed by the standard
};

// Seeds torch's CPU (and CUDA, when present) generators.
void seed_torch(std::uint64_t seed);

}  // namespace skingan
