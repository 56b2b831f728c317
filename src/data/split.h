// Lesion-aware, class-stratified train/validation/test split.
//
// All images of one group (lesion) land on one side. Within each class (a group's class is its
// most frequent label), groups are shuffled with the seed, ordered largest first, and each goes to
// the split with the largest remaining deficit against its target share of that class's images,
// so every split's per-class image count ends within one group of its target.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace skingan::data {

enum class Split : int { kTrain = 0, kValidation = 1, kTest = 2 };
inline constexpr int kSplitCount = 3;

std::string split_name(Split split);         // "train" | "val" | "test"
Split parse_split(const std::string& name);  // also accepts "validation"; DataError otherwise

struct SplitFractions {
  double train = 0.70, validation = 0.15, test = 0.15;
};

// ConfigError unless every fraction is in [0,1], train > 0 and they sum to 1 (within 1e-6).
void validate(const SplitFractions& fractions);

// One Split per item. `labels[i]` and `groups[i]` describe item i; same inputs and seed give the
// same result regardless of the order of items.
std::vector<Split> lesion_aware_split(const std::vector<std::string>& labels,
                                      const std::vector<std::string>& groups,
                                      const SplitFractions& fractions, std::uint64_t seed);

}  // namespace skingan::data
