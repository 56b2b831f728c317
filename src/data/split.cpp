#include "data/split.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "core/error.h"
#include "core/random.h"

namespace skingan::data {

std::string split_name(Split split) {
  switch (split) {
    case Split::kTrain:
      return "train";
    case Split::kValidation:
      return "val";
    case Split::kTest:
      return "test";
  }
  return "?";
}

Split parse_split(const std::string& name) {
  if (name == "train") return Split::kTrain;
  if (name == "val" || name == "validation") return Split::kValidation;
  if (name == "test") return Split::kTest;
  throw DataError(describe_problem("split name", "'" + name + "'", "train, val or test", ""));
}

void validate(const SplitFractions& f) {
  const std::array<double, 3> values = {f.train, f.validation, f.test};
  const double sum = f.train + f.validation + f.test;
  const bool in_range =
      std::all_of(values.begin(), values.end(), [](double v) { return v >= 0.0 && v <= 1.0; });
  if (!in_range || f.train <= 0.0 || std::fabs(sum - 1.0) > 1e-6) {
    throw ConfigError(describe_problem(
        "--split",
        std::to_string(f.train) + "/" + std::to_string(f.validation) + "/" + std::to_string(f.test),
        "train/val/test fractions in [0,1] with train > 0 that sum to 1",
        "For example --split 0.7,0.15,0.15."));
  }
}

std::vector<Split> lesion_aware_split(const std::vector<std::string>& labels,
                                      const std::vector<std::string>& groups,
                                      const SplitFractions& fractions, std::uint64_t seed) {
  validate(fractions);
  if (labels.size() != groups.size()) {
    throw DataError("lesion_aware_split: " + std::to_string(labels.size()) + " labels but " +
                    std::to_string(groups.size()) + " groups");
  }
  // group -> member indices, and per group the count of each label.
  std::map<std::string, std::vector<size_t>> members;
  for (size_t i = 0; i < groups.size(); ++i) members[groups[i]].push_back(i);
  std::map<std::string, std::vector<std::string>> groups_of_class;  // class -> group ids
  for (const auto& [group, indices] : members) {
    std::map<std::string, int> votes;
    for (size_t i : indices) ++votes[labels[i]];
    // Most frequent label; ties go to the alphabetically first (std::map order).
    const auto best =
        std::max_element(votes.begin(), votes.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    groups_of_class[best->first].push_back(group);
  }

  const std::array<double, kSplitCount> shares = {fractions.train, fractions.validation,
                                                  fractions.test};
  std::vector<Split> result(labels.size(), Split::kTrain);
  SplitMix rng(seed);
  for (auto& [label, class_groups] : groups_of_class) {
    // class_groups is sorted (map order), so the shuffle depends only on the seed and the data.
    rng.shuffle(class_groups);
    std::stable_sort(class_groups.begin(), class_groups.end(),
                     [&](const std::string& a, const std::string& b) {
                       return members[a].size() > members[b].size();
                     });
    double class_images = 0;
    for (const auto& g : class_groups) class_images += static_cast<double>(members[g].size());
    std::array<double, kSplitCount> assigned = {0, 0, 0};
    for (const auto& g : class_groups) {
      int best = 0;
      double best_deficit = -1e300;
      for (int s = 0; s < kSplitCount; ++s) {
        if (shares[s] <= 0) continue;
        const double deficit = shares[s] * class_images - assigned[s];
        if (deficit > best_deficit + 1e-9) {
          best_deficit = deficit;
          best = s;
        }
      }
      assigned[best] += static_cast<double>(members[g].size());
      for (size_t i : members[g]) result[i] = static_cast<Split>(best);
    }
  }
  return result;
}

}  // namespace skingan::data
