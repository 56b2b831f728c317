#include <gtest/gtest.h>

#include <chrono>

#include <ATen/ATen.h>

#include "core/error.h"
#include "data/prepare.h"
#include "data/set_summary.h"
#include "io/csv.h"
#include "io/files.h"
#include "io/image_codec.h"
#include "io/tensor_image.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;
using namespace skingan::data;

namespace {

class PrepareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_ham_set(dir_ / "src", test::make_rows({"nv", "mel", "df"}, 6, 2), 48, 36);
    options_.source.root = dir_ / "src";
    options_.output = dir_ / "out";
    options_.preprocess.size = 32;
    options_.progress = false;
    options_.threads = 2;
  }
  test::TempDir dir_;
  PrepareOptions options_;
};

}  // namespace

TEST_F(PrepareTest, WritesAFinishedSetWithMetaCountsAndHashes) {
  const PrepareResult result = prepare_dataset(options_);
  EXPECT_FALSE(result.skipped);
  EXPECT_EQ(result.images, 36);
  const PreparedSet set = PreparedSet::open(dir_ / "out");
  EXPECT_EQ(set.classes(), (std::vector<std::string>{"df", "mel", "nv"}));
  EXPECT_EQ(set.image_size(), 32);
  EXPECT_EQ(set.rows().size(), 36u);
  const auto& meta = set.meta();
  EXPECT_EQ(meta.at("format"), "skingan-prepared-set");
  EXPECT_EQ(meta.at("source_format"), "ham10000");
  EXPECT_EQ(meta.at("preprocessing").at("hair_removal").at("method"), "dullrazor");
  EXPECT_EQ(meta.at("preprocessing").at("color_constancy").at("p"), 6.0);
  EXPECT_EQ(meta.at("inputs").at("metadata").at("HAM10000_metadata.csv").get<std::string>().size(),
            16u);
  int total = 0;
  for (const char* split : {"train", "val", "test"}) {
    for (const auto& [label, n] : meta.at("counts").at(split).items()) total += n.get<int>();
  }
  EXPECT_EQ(total, 36);
  for (const auto& row : set.rows()) {
    EXPECT_EQ(row.source, "real");
    EXPECT_EQ(row.source_hash.size(), 16u);
    EXPECT_TRUE(fs::exists(dir_ / "out" / row.file));
  }
}

TEST_F(PrepareTest, CacheAndPngsHoldTheSamePixels) {
  prepare_dataset(options_);
  const PreparedSet set = PreparedSet::open(dir_ / "out");
  const at::Tensor images = set.load_images();
  ASSERT_EQ(images.sizes(), (std::vector<int64_t>{36, 3, 32, 32}));
  for (size_t i = 0; i < set.rows().size(); ++i) {
    const cv::Mat png = io::read_image(dir_ / "out" / set.rows()[i].file);
    const cv::Mat cached = io::rgb_chw_to_bgr(images[static_cast<int64_t>(i)]);
    ASSERT_EQ(cv::norm(png, cached, cv::NORM_INF), 0.0) << set.rows()[i].id;
  }
}

TEST_F(PrepareTest, SameInputsAndSettingsSkipWithoutTouchingOutput) {
  prepare_dataset(options_);
  const auto stamp = fs::last_write_time(dir_ / "out" / "meta.json");
  const PrepareResult again = prepare_dataset(options_);
  EXPECT_TRUE(again.skipped);
  EXPECT_EQ(again.images, 36);
  EXPECT_EQ(fs::last_write_time(dir_ / "out" / "meta.json"), stamp);
}

TEST_F(PrepareTest, SameBytesWithNewModificationTimesStillSkip) {
  prepare_dataset(options_);
  // A copied or re-provisioned data folder: every image rewritten with the same bytes, later.
  for (const auto& entry : fs::directory_iterator(dir_ / "src" / "HAM10000_images_part_1")) {
    fs::last_write_time(entry.path(), fs::last_write_time(entry.path()) + std::chrono::hours(5));
  }
  EXPECT_TRUE(prepare_dataset(options_).skipped);
}

TEST_F(PrepareTest, DifferentSettingsRefusedWithoutForceAndReplacedWithIt) {
  prepare_dataset(options_);
  const std::string before = io::read_file(dir_ / "out" / "meta.json");
  options_.preprocess.size = 40;
  try {
    prepare_dataset(options_);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--force"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("other inputs or settings"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(io::read_file(dir_ / "out" / "meta.json"), before);
  options_.force = true;
  prepare_dataset(options_);
  EXPECT_EQ(PreparedSet::open(dir_ / "out").image_size(), 40);
}

TEST_F(PrepareTest, ChangedInputIsNotSkipped) {
  prepare_dataset(options_);
  test::write_image(dir_ / "src" / "HAM10000_images_part_1" / "IMG_0.jpg",
                    test::make_lesion_image(48, 36, 77));
  EXPECT_THROW(prepare_dataset(options_), ConfigError);  // differs now, and no --force
}

TEST_F(PrepareTest, InterruptedOutputIsNotMistakenForFinished) {
  prepare_dataset(options_);
  // What an interrupted run of an older, non-atomic writer would leave: all but meta.json.
  fs::remove(dir_ / "out" / "meta.json");
  EXPECT_FALSE(
      is_finished_set(dir_ / "out", prepare_fingerprint(options_, list_source(options_.source))));
  try {
    prepare_dataset(options_);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("not a finished prepared set"), std::string::npos)
        << e.what();
  }
  try {
    PreparedSet::open(dir_ / "out");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("interrupted"), std::string::npos) << e.what();
  }
  // A killed run's staging folder never counts, and the next run clears it away.
  fs::create_directories(dir_ / "fresh.partial-999999999");
  test::write_text(dir_ / "fresh.partial-999999999" / "manifest.csv", "id\n");
  options_.output = dir_ / "fresh";
  EXPECT_FALSE(prepare_dataset(options_).skipped);
  EXPECT_FALSE(fs::exists(dir_ / "fresh.partial-999999999"));
  EXPECT_EQ(PreparedSet::open(dir_ / "fresh").rows().size(), 36u);
}

TEST_F(PrepareTest, TruncatedCacheIsNotAFinishedSet) {
  prepare_dataset(options_);
  const std::string cache = io::read_file(dir_ / "out" / "images.cache");
  test::write_text(dir_ / "out" / "images.cache", cache.substr(0, cache.size() - 100));
  EXPECT_THROW(PreparedSet::open(dir_ / "out"), DataError);
  EXPECT_THROW(prepare_dataset(options_), ConfigError);
}

TEST_F(PrepareTest, SplitFileIsReused) {
  prepare_dataset(options_);
  const auto first = PreparedSet::open(dir_ / "out").rows();
  options_.output = dir_ / "again";
  options_.seed = 999;  // ignored: the split comes from the file
  options_.split_file = dir_ / "out" / "manifest.csv";
  prepare_dataset(options_);
  const auto second = PreparedSet::open(dir_ / "again").rows();
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].split, second[i].split);
}

TEST_F(PrepareTest, SplitFileMissingAnImageIsRefused) {
  test::write_text(dir_ / "split.csv", "image_id,split\nIMG_0,train\n");
  options_.split_file = dir_ / "split.csv";
  try {
    prepare_dataset(options_);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("no split for image 'IMG_1'"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(PrepareTest, LesionsStayOnOneSideInTheManifest) {
  prepare_dataset(options_);
  std::map<std::string, Split> side;
  const PreparedSet set = PreparedSet::open(dir_ / "out");
  for (const auto& row : set.rows()) {
    const auto [it, inserted] = side.emplace(row.group, row.split);
    EXPECT_EQ(it->second, row.split) << row.group;
  }
}

TEST_F(PrepareTest, SummaryShowsClassesBySplit) {
  prepare_dataset(options_);
  const std::string summary = format_summary(PreparedSet::open(dir_ / "out"));
  EXPECT_NE(summary.find("36 at 32x32 px"), std::string::npos) << summary;
  EXPECT_NE(summary.find("mel"), std::string::npos);
  EXPECT_NE(summary.find("dullrazor"), std::string::npos);
  const auto rows = sample_rows_of_class(PreparedSet::open(dir_ / "out"), "mel", 5);
  EXPECT_EQ(rows.size(), 5u);
}
