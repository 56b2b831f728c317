// skingan generate: balance arithmetic, the synthetic set's manifest, traceability,
// determinism, discriminator filtering and refusals, on tiny GAN runs trained here.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include <torch/torch.h>

#include "core/error.h"
#include "data/prepare.h"
#include "data/prepared_set.h"
#include "generate/synthetic_set.h"
#include "io/files.h"
#include "test_util.h"
#include "train/gan_run.h"

namespace fs = std::filesystem;
using namespace skingan;
using namespace skingan::generate;

TEST(SyntheticCounts, PerClassBalanceToAndMaxOnUnevenClasses) {
  const std::vector<std::string> classes = {"nv", "mel", "df", "new"};
  const std::map<std::string, int64_t> real = {{"nv", 400}, {"mel", 90}, {"df", 7}};
  using Kind = CountRequest::Kind;
  EXPECT_EQ(synthetic_counts({Kind::kPerClass, 25}, classes, real),
            (std::map<std::string, int64_t>{{"nv", 25}, {"mel", 25}, {"df", 25}, {"new", 25}}));
  // A class already above the target gets none; a class without real images gets the target.
  EXPECT_EQ(synthetic_counts({Kind::kBalanceTo, 100}, classes, real),
            (std::map<std::string, int64_t>{{"nv", 0}, {"mel", 10}, {"df", 93}, {"new", 100}}));
  EXPECT_EQ(synthetic_counts({Kind::kBalanceToMax, 0}, classes, real),
            (std::map<std::string, int64_t>{{"nv", 0}, {"mel", 310}, {"df", 393}, {"new", 400}}));
  // The maximum is taken over the chosen classes only.
  EXPECT_EQ(synthetic_counts({Kind::kBalanceToMax, 0}, {"mel", "df"}, real),
            (std::map<std::string, int64_t>{{"mel", 0}, {"df", 83}}));
}

namespace {

// One prepared set (uneven classes) and two tiny trained runs, shared by the tests below.
class GenerateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    auto rows = test::make_rows({"nv"}, 10, 2);
    for (auto row : test::make_rows({"mel", "bkl"}, 4, 1)) {
      row.image = "X" + row.image;
      rows.push_back(row);
    }
    test::write_ham_set(*dir_ / "src", rows, 40, 30);
    test::prepare_test_set(*dir_ / "src", *dir_ / "set", 32);
    test::train_tiny_gan(*dir_ / "set", *dir_ / "cgan", "cgan", false, 4, 2);
    test::train_tiny_gan(*dir_ / "set", *dir_ / "per_class", "dcgan", true, 4, 2);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  GenerateOptions options(const std::string& run, const std::string& out) const {
    GenerateOptions o;
    o.run_dir = *dir_ / run;
    o.output = *dir_ / out;
    o.count = {CountRequest::Kind::kPerClass, 5};
    o.seed = 11;
    o.progress = false;
    return o;
  }
  static std::map<std::string, int64_t> real_train_counts() {
    std::map<std::string, int64_t> counts;
    const auto set = data::PreparedSet::open(*dir_ / "set");  // must outlive the loop over its rows
    for (const auto& r : set.rows())
      if (r.split == data::Split::kTrain) ++counts[r.label];
    return counts;
  }
  static test::TempDir* dir_;
};
test::TempDir* GenerateTest::dir_ = nullptr;

}  // namespace

TEST_F(GenerateTest, WritesAPreparedSetWithSyntheticTrainRowsAndProvenance) {
  const GenerateResult result = generate_synthetic_set(options("cgan", "syn"));
  EXPECT_FALSE(result.skipped);
  EXPECT_EQ(result.images, 15);
  const data::PreparedSet set = data::PreparedSet::open(*dir_ / "syn");
  EXPECT_EQ(set.classes(), data::PreparedSet::open(*dir_ / "set").classes());
  EXPECT_EQ(set.image_size(), 32);
  EXPECT_EQ(set.load_images().sizes(), (std::vector<int64_t>{15, 3, 32, 32}));
  std::map<std::string, int> per_class;
  for (const auto& r : set.rows()) {
    ++per_class[r.label];
    EXPECT_EQ(r.split, data::Split::kTrain);
    EXPECT_EQ(r.source, "synthetic");
    EXPECT_EQ(r.group, r.id);
    EXPECT_TRUE(fs::exists(set.dir() / r.file)) << r.file;
    EXPECT_EQ(r.generator, fs::absolute(*dir_ / "cgan").lexically_normal().string());
    EXPECT_EQ(r.checkpoint_step, "4");
    EXPECT_EQ(r.seed, "11");
    EXPECT_FALSE(r.sample_index.empty());
    EXPECT_TRUE(r.score.empty());  // no filter, no scores
  }
  EXPECT_EQ(per_class, (std::map<std::string, int>{{"bkl", 5}, {"mel", 5}, {"nv", 5}}));
  EXPECT_EQ(set.meta().at("synthetic").at("filter"), "none");
}

TEST_F(GenerateTest, BalanceToMaxFillsEveryClassUpToTheLargest) {
  GenerateOptions o = options("per_class", "balanced");
  o.count = {CountRequest::Kind::kBalanceToMax, 0};
  generate_synthetic_set(o);
  const auto real = real_train_counts();
  const int64_t largest = std::max_element(real.begin(), real.end(), [](auto& a, auto& b) {
                            return a.second < b.second;
                          })->second;
  std::map<std::string, int64_t> synthetic;
  const auto balanced =
      data::PreparedSet::open(*dir_ / "balanced");  // must outlive the loop over its rows
  for (const auto& r : balanced.rows()) ++synthetic[r.label];
  for (const auto& [label, n] : real) EXPECT_EQ(n + synthetic[label], largest) << label;
}

TEST_F(GenerateTest, RegeneratingOneRowReproducesItsImage) {
  for (const std::string run : {"cgan", "per_class"}) {
    GenerateOptions o = options(run, "trace_" + run);
    o.count = {CountRequest::Kind::kPerClass, 70};  // crosses a noise block (64)
    o.classes = {"mel"};
    o.truncation = 1.5;
    generate_synthetic_set(o);
    const data::PreparedSet set = data::PreparedSet::open(o.output);
    const torch::Tensor images = set.load_images();
    for (size_t i : {size_t{0}, size_t{63}, size_t{64}, size_t{69}}) {
      EXPECT_TRUE(torch::equal(regenerate_image(o.output, set.rows()[i]), images[i]))
          << run << " row " << i;
    }
  }
}

TEST_F(GenerateTest, SameOptionsGiveByteIdenticalSetsAndASecondRunSkips) {
  GenerateOptions a = options("cgan", "det_a"), b = options("cgan", "det_b");
  a.filter = b.filter = true;
  a.keep = b.keep = 0.5;
  generate_synthetic_set(a);
  generate_synthetic_set(b);
  EXPECT_EQ(io::read_file(a.output / "images.cache"), io::read_file(b.output / "images.cache"));
  EXPECT_EQ(io::read_file(a.output / "manifest.csv"), io::read_file(b.output / "manifest.csv"));
  const auto rows = data::read_manifest(a.output / "manifest.csv");
  EXPECT_EQ(io::read_file(a.output / rows[3].file), io::read_file(b.output / rows[3].file));
  EXPECT_TRUE(generate_synthetic_set(a).skipped);
  GenerateOptions other_seed = a;
  other_seed.seed = 12;
  EXPECT_THROW(generate_synthetic_set(other_seed), ConfigError);  // exists and differs
}

TEST_F(GenerateTest, FilterKeepsTheRequestedFractionWithTheHighestScores) {
  GenerateOptions all = options("cgan", "scored_all");
  all.filter = true;
  all.count = {CountRequest::Kind::kPerClass, 20};  // keep 1: every candidate, scored
  generate_synthetic_set(all);
  GenerateOptions best = options("cgan", "scored_best");
  best.filter = true;
  best.keep = 0.5;
  best.count = {CountRequest::Kind::kPerClass, 10};  // 20 candidates, the 10 best kept
  const GenerateResult result = generate_synthetic_set(best);
  EXPECT_EQ(result.candidates, 60);
  EXPECT_EQ(result.images, 30);
  std::map<std::string, std::vector<std::pair<double, std::string>>>
      scored;  // label -> (score,index)
  for (const auto& r : data::read_manifest(all.output / "manifest.csv")) {
    ASSERT_FALSE(r.score.empty());
    ASSERT_FALSE(r.class_score.empty());  // conditional run: class agreement recorded
    const double p = std::stod(r.class_score);
    EXPECT_TRUE(p >= 0 && p <= 1) << p;
    scored[r.label].push_back({std::stod(r.score), r.sample_index});
  }
  std::map<std::string, std::vector<std::string>> kept;
  for (const auto& r : data::read_manifest(best.output / "manifest.csv"))
    kept[r.label].push_back(r.sample_index);
  for (auto& [label, candidates] : scored) {
    ASSERT_EQ(candidates.size(), 20u);
    std::sort(candidates.begin(), candidates.end(), std::greater<>());
    std::vector<std::string> top;
    for (int i = 0; i < 10; ++i) top.push_back(candidates[i].second);
    std::sort(top.begin(), top.end());
    std::sort(kept[label].begin(), kept[label].end());
    EXPECT_EQ(kept[label], top) << label;
  }
}

TEST_F(GenerateTest, RefusesBadRequestsBeforeWritingAnything) {
  auto refused = [&](GenerateOptions o, const std::string& expected) {
    try {
      generate_synthetic_set(o);
      ADD_FAILURE() << "accepted; expected: " << expected;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(o.output)) << o.output;
  };
  GenerateOptions o = options("cgan", "refused");
  o.classes = {"vasc"};
  refused(o, "class 'vasc'");
  o = options("cgan", "refused");
  o.filter = true;
  o.keep = 0;
  refused(o, "outside (0,1]");
  o.keep = 1.5;
  refused(o, "outside (0,1]");
  o = options("cgan", "refused");
  o.checkpoint_step = 3;
  refused(o, "one of the kept steps: 2, 4");
  // A run folder whose training never wrote a checkpoint.
  fs::create_directories(*dir_ / "empty_run");
  fs::copy_file(*dir_ / "cgan" / "config.json", *dir_ / "empty_run" / "config.json",
                fs::copy_options::overwrite_existing);
  refused(options("empty_run", "refused"), "no checkpoint");
  refused(options("no_such_run", "refused"), "no config.json");
  o = options("cgan", "refused");
  o.count = {CountRequest::Kind::kBalanceTo, 10};
  o.real_set = *dir_ / "gone";
  refused(o, "needs the real training set");
}
