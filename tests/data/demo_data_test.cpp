#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "data/demo_data.h"
#include "data/source_listing.h"
#include "io/files.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;
using namespace skingan::data;

TEST(DemoData, ImbalancedMultiViewHamLayout) {
  test::TempDir dir;
  DemoDataOptions options;
  options.output = dir / "demo";
  options.lesions = 40;
  const DemoDataResult result = make_demo_data(options);
  EXPECT_GE(result.images_per_class.size(), 4u);
  EXPECT_GT(result.images_per_class.at("nv"), 3 * result.images_per_class.at("vasc"));
  EXPECT_GT(result.images, 40);  // several images for some lesions

  const SourceListing listing = list_source({dir / "demo"});
  EXPECT_EQ(listing.format, SourceFormat::kHam10000);
  EXPECT_TRUE(listing.problems.empty());
  EXPECT_EQ(static_cast<int>(listing.records.size()), result.images);
  std::set<std::string> lesions;
  for (const auto& r : listing.records) lesions.insert(r.group);
  EXPECT_EQ(lesions.size(), 40u);
}

TEST(DemoData, SameSeedSameBytesOtherSeedOther) {
  test::TempDir dir;
  DemoDataOptions options;
  options.lesions = 10;
  options.output = dir / "a";
  make_demo_data(options);
  options.output = dir / "b";
  make_demo_data(options);
  options.output = dir / "c";
  options.seed = 8;
  make_demo_data(options);
  const auto image = [&](const char* set) {
    return io::read_file(dir / set / "HAM10000_images_part_1" / "DEMO_0000002.jpg");
  };
  EXPECT_EQ(io::read_file(dir / "a" / "HAM10000_metadata.csv"),
            io::read_file(dir / "b" / "HAM10000_metadata.csv"));
  EXPECT_EQ(image("a"), image("b"));
  EXPECT_NE(image("a"), image("c"));
}

TEST(DemoData, RerunWithSameOptionsIsANoOpAndOtherOptionsAreRefused) {
  test::TempDir dir;
  DemoDataOptions options;
  options.lesions = 10;
  options.output = dir / "demo";
  const auto first = make_demo_data(options);
  const auto second = make_demo_data(options);
  EXPECT_EQ(first.images, second.images);
  EXPECT_EQ(first.lesions_per_class, second.lesions_per_class);
  options.seed = 99;
  EXPECT_THROW(make_demo_data(options), ConfigError);
  options.lesions = 2;
  options.output = dir / "other";
  EXPECT_THROW(make_demo_data(options), ConfigError);
}
