#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/error.h"
#include "data/split.h"

using namespace skingan;
using namespace skingan::data;

namespace {

struct Items {
  std::vector<std::string> labels, groups;
};

// Uneven data: per class a different number of lesions with 1..4 images each.
Items uneven_items() {
  Items items;
  const std::map<std::string, int> lesions = {{"nv", 300}, {"mel", 60}, {"df", 9}, {"vasc", 3}};
  for (const auto& [label, count] : lesions) {
    for (int l = 0; l < count; ++l) {
      const int images = 1 + (l * 7) % 4;
      for (int i = 0; i < images; ++i) {
        items.labels.push_back(label);
        items.groups.push_back(label + "_lesion" + std::to_string(l));
      }
    }
  }
  return items;
}

}  // namespace

TEST(Split, NoLesionOnTwoSides) {
  const Items items = uneven_items();
  const auto splits = lesion_aware_split(items.labels, items.groups, {}, 1);
  std::map<std::string, Split> side;
  for (size_t i = 0; i < splits.size(); ++i) {
    const auto [it, inserted] = side.emplace(items.groups[i], splits[i]);
    EXPECT_EQ(it->second, splits[i]) << "lesion " << items.groups[i] << " is on two sides";
  }
}

TEST(Split, EachClassWithinOneLesionOfItsTarget) {
  const Items items = uneven_items();
  const SplitFractions fractions{0.7, 0.15, 0.15};
  const auto splits = lesion_aware_split(items.labels, items.groups, fractions, 5);
  std::map<std::string, std::array<double, 3>> counts;
  std::map<std::string, double> totals;
  for (size_t i = 0; i < splits.size(); ++i) {
    counts[items.labels[i]][static_cast<int>(splits[i])] += 1;
    totals[items.labels[i]] += 1;
  }
  const double largest_lesion = 4;
  for (const auto& [label, n] : counts) {
    const double targets[3] = {0.7 * totals[label], 0.15 * totals[label], 0.15 * totals[label]};
    for (int s = 0; s < 3; ++s) {
      EXPECT_LE(std::abs(n[s] - targets[s]), largest_lesion)
          << label << " split " << s << ": " << n[s] << " vs target " << targets[s];
    }
  }
  // The big class lands much closer than one lesion's worth.
  EXPECT_NEAR(counts["nv"][0] / totals["nv"], 0.7, 0.01);
}

TEST(Split, SameSeedSameSplitOtherSeedOther) {
  const Items items = uneven_items();
  const auto a = lesion_aware_split(items.labels, items.groups, {}, 42);
  const auto b = lesion_aware_split(items.labels, items.groups, {}, 42);
  const auto c = lesion_aware_split(items.labels, items.groups, {}, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(Split, IndependentOfInputOrder) {
  Items items = uneven_items();
  const auto forward = lesion_aware_split(items.labels, items.groups, {}, 9);
  std::map<std::string, Split> by_group;
  for (size_t i = 0; i < forward.size(); ++i) by_group[items.groups[i]] = forward[i];
  std::reverse(items.labels.begin(), items.labels.end());
  std::reverse(items.groups.begin(), items.groups.end());
  const auto backward = lesion_aware_split(items.labels, items.groups, {}, 9);
  for (size_t i = 0; i < backward.size(); ++i) EXPECT_EQ(backward[i], by_group[items.groups[i]]);
}

TEST(Split, ImagesWithoutLesionIdsAreTheirOwnGroups) {
  std::vector<std::string> labels(100, "a"), groups;
  for (int i = 0; i < 100; ++i) groups.push_back("img" + std::to_string(i));
  const auto splits = lesion_aware_split(labels, groups, {0.6, 0.2, 0.2}, 3);
  std::array<int, 3> counts{};
  for (auto s : splits) ++counts[static_cast<int>(s)];
  EXPECT_EQ(counts, (std::array<int, 3>{60, 20, 20}));
}

TEST(Split, RefusesFractionsThatDoNotSumToOne) {
  try {
    validate(SplitFractions{0.8, 0.15, 0.15});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("sum to 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(validate(SplitFractions{0.0, 0.5, 0.5}), ConfigError);
  EXPECT_THROW(validate(SplitFractions{1.2, -0.1, -0.1}), ConfigError);
  EXPECT_NO_THROW(validate(SplitFractions{0.8, 0.2, 0.0}));
}

TEST(Split, NamesRoundTrip) {
  for (Split s : {Split::kTrain, Split::kValidation, Split::kTest}) {
    EXPECT_EQ(parse_split(split_name(s)), s);
  }
  EXPECT_EQ(parse_split("validation"), Split::kValidation);
  EXPECT_THROW(parse_split("holdout"), DataError);
}
