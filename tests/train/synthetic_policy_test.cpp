// How synthetic images enter classifier training: the batch mix, the receiving classes, the
// caps, the confidence filter, the loss weights, the real-only fine-tune phase, and their
// refusals, on toy labels and on tiny prepared sets.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <sstream>

#include "core/error.h"
#include "data/mix_sampler.h"
#include "data/prepared_set.h"
#include "io/files.h"
#include "test_util.h"
#include "train/classifier_run.h"
#include "train/synthetic_policy.h"
#include "train/training_batches.h"

namespace fs = std::filesystem;
using namespace skingan;

namespace {

// 40 rows: class 0 has 10 real and 20 synthetic rows, class 1 has 10 real rows only.
std::pair<torch::Tensor, torch::Tensor> toy_rows() {
  std::vector<int64_t> labels, synthetic;
  for (int i = 0; i < 10; ++i) labels.push_back(0), synthetic.push_back(0);
  for (int i = 0; i < 20; ++i) labels.push_back(0), synthetic.push_back(1);
  for (int i = 0; i < 10; ++i) labels.push_back(1), synthetic.push_back(0);
  return {torch::tensor(labels), torch::tensor(synthetic).to(torch::kBool)};
}

std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST(MixSampler, RealisedSyntheticShareMatchesTheRatioAndClassBalanceHolds) {
  // 5 real and 40 synthetic rows per class: pooling them would give 40/45 synthetic slots.
  std::vector<int64_t> labels, synthetic;
  for (int c = 0; c < 2; ++c) {
    for (int i = 0; i < 5; ++i) labels.push_back(c), synthetic.push_back(0);
    for (int i = 0; i < 40; ++i) labels.push_back(c), synthetic.push_back(1);
  }
  const torch::Tensor y = torch::tensor(labels), s = torch::tensor(synthetic).to(torch::kBool);
  for (double ratio : {0.0, 0.25, 0.5, 1.0}) {
    data::MixSampler sampler(y, s, 2, /*balanced=*/true, ratio);
    at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(3);
    int64_t slots = 0, synthetic_slots = 0, class1 = 0;
    for (int b = 0; b < 200; ++b) {
      const torch::Tensor rows = sampler.next(64, rng);
      slots += rows.size(0);
      synthetic_slots += s.index_select(0, rows).sum().item<int64_t>();
      class1 += y.index_select(0, rows).sum().item<int64_t>();
    }
    // 12,800 slots: the standard error of a share is at most 0.0045; 0.02 is over 4 of them.
    EXPECT_NEAR(static_cast<double>(synthetic_slots) / slots, ratio, 0.02) << ratio;
    EXPECT_NEAR(static_cast<double>(class1) / slots, 0.5, 0.02) << ratio;
  }
}

TEST(MixSampler, AClassWithoutSyntheticImagesGetsNoneAndTheOthersGetTheRatio) {
  const auto [y, s] = toy_rows();
  data::MixSampler sampler(y, s, 2, /*balanced=*/false, 0.5);
  at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(5);
  int64_t class0 = 0, class0_synthetic = 0, class1 = 0, class1_synthetic = 0;
  for (int b = 0; b < 200; ++b) {
    const torch::Tensor rows = sampler.next(64, rng);
    const torch::Tensor labels = y.index_select(0, rows), flags = s.index_select(0, rows);
    class0 += (labels == 0).sum().item<int64_t>();
    class1 += (labels == 1).sum().item<int64_t>();
    class0_synthetic += (flags & (labels == 0)).sum().item<int64_t>();
    class1_synthetic += (flags & (labels == 1)).sum().item<int64_t>();
  }
  EXPECT_EQ(class1_synthetic, 0);  // class 1 has no synthetic rows: never a synthetic slot
  EXPECT_NEAR(static_cast<double>(class0_synthetic) / class0, 0.5, 0.03);
  // Not balanced: classes come with the real frequencies (10:10), not the pool's (30:10).
  EXPECT_NEAR(static_cast<double>(class1) / (class0 + class1), 0.5, 0.03);
}

TEST(TrainingBatches, TheFineTuneEpochsSeeOnlyRealRows) {
  const auto [y, s] = toy_rows();
  train::ClassifierConfig config;
  config.epochs = 4;
  config.finetune_real_epochs = 2;
  config.batch_size = 8;
  config.synthetic_ratio = 0.5;
  train::TrainingBatches batches(y, s, 2, config);
  at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(1);
  int64_t mixed_synthetic = 0;
  for (int64_t epoch = 0; epoch < 4; ++epoch) {
    EXPECT_EQ(batches.real_only(epoch), epoch >= 2);
    for (int step = 0; step < 50; ++step) {
      const torch::Tensor rows = batches.next(epoch, rng);
      const int64_t synthetic = s.index_select(0, rows).sum().item<int64_t>();
      if (epoch >= 2) {
        ASSERT_EQ(synthetic, 0) << "epoch " << epoch;
      } else {
        mixed_synthetic += synthetic;
      }
    }
  }
  EXPECT_GT(mixed_synthetic, 0);  // the mixed epochs did draw synthetic rows
}

TEST(SyntheticPolicy, ConfidenceFilterKeepsExactlyThePlantedRowsAboveTheThreshold) {
  const torch::Tensor p = torch::tensor({0.9, 0.2, 0.5, 0.49, 1.0, 0.0, 0.7, 0.51});
  const torch::Tensor y = torch::tensor({0, 0, 0, 0, 1, 1, 1, 1});
  EXPECT_EQ(train::confident_rows(p, y, 0.5, 1.0), (std::vector<int64_t>{0, 2, 4, 6, 7}));
  EXPECT_EQ(train::confident_rows(p, y, 0.0, 1.0), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  // Top half of each class: class 0 -> 0.9, 0.5; class 1 -> 1.0, 0.7.
  EXPECT_EQ(train::confident_rows(p, y, 0.0, 0.5), (std::vector<int64_t>{0, 2, 4, 6}));
  // ceil(0.3 * 4) = 2 per class, and the threshold still applies within the top.
  EXPECT_EQ(train::confident_rows(p, y, 0.8, 0.3), (std::vector<int64_t>{0, 4}));
}

TEST(SyntheticPolicy, MinorityMeansFewerRealImagesThanTheMeanAndNamesAreChecked) {
  const std::vector<std::string> classes = {"nv", "mel", "bkl", "df"};
  // Mean 50: mel (10) and df (40) are below it, bkl (50) is not.
  EXPECT_EQ(train::receiving_classes({"minority"}, classes, {100, 10, 50, 40}),
            (std::vector<std::string>{"mel", "df"}));
  EXPECT_EQ(train::receiving_classes({}, classes, {100, 10, 50, 40}), classes);
  EXPECT_EQ(train::receiving_classes({"df"}, classes, {100, 10, 50, 40}),
            (std::vector<std::string>{"df"}));
  const std::string unknown = refusal([&] {
    train::receiving_classes({"df", "vasc"}, classes, {1, 1, 1, 1});
  });
  EXPECT_NE(unknown.find("class 'vasc'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("nv, mel, bkl, df"), std::string::npos) << unknown;
}

TEST(SyntheticPolicy, CapsAreCountsOrMultiplesOfTheRealImages) {
  train::ClassifierConfig c;
  train::parse_synthetic_cap("500", c);
  EXPECT_EQ(c.synthetic_cap, 500);
  EXPECT_EQ(train::synthetic_limit(c, 1000), 500);
  train::parse_synthetic_cap("0.5x", c);
  EXPECT_DOUBLE_EQ(c.synthetic_cap_ratio, 0.5);
  EXPECT_EQ(train::synthetic_limit(c, 1000), 500);  // the smaller of 500 and 0.5 x 1000
  EXPECT_EQ(train::synthetic_limit(c, 101), 50);
  train::ClassifierConfig none;
  EXPECT_EQ(train::synthetic_limit(none, 7), -1);
  // "1e27" and "1e27x": found by fuzz_study_toml (converting 1e27 to int64 was undefined).
  for (const char* bad : {"", "x", "abc", "-1", "1.5", "2y", "1xx", "1e27", "1e27x", "1001x"}) {
    const std::string message = refusal([&] { train::parse_synthetic_cap(bad, c); });
    EXPECT_NE(message.find("--synthetic-cap"), std::string::npos) << bad << ": " << message;
  }
}

TEST(SyntheticPolicy, SampleWeightsReachTheLoss) {
  torch::manual_seed(0);
  const torch::Tensor logits = torch::randn({4, 3});
  const torch::Tensor y = torch::tensor({0, 2, 1, 2});
  const torch::Tensor w = torch::tensor({1.0f, 2.0f, 0.5f});
  namespace F = torch::nn::functional;
  // All ones: torch's own mean reduction, with class weights and label smoothing.
  const torch::Tensor mean =
      F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().weight(w).label_smoothing(0.1));
  EXPECT_TRUE(torch::allclose(train::weighted_cross_entropy(logits, y, w, torch::ones({4}), 0.1),
                              mean, 1e-6, 1e-6));
  // Hand-computed without class weights: (0 * l0 + 1 * l1 + 2 * l2 + 1 * l3) / 4.
  const torch::Tensor l =
      F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  const torch::Tensor s = torch::tensor({0.0f, 1.0f, 2.0f, 1.0f});
  EXPECT_TRUE(torch::allclose(train::weighted_cross_entropy(logits, y, {}, s, 0.0),
                              (l[1] + 2 * l[2] + l[3]) / 4, 1e-6, 1e-6));
}

TEST(SyntheticPolicy, ContradictorySettingsAreRefusedBeforeAnyWork) {
  train::ClassifierConfig c;
  c.epochs = 3;
  c.finetune_real_epochs = 3;
  EXPECT_NE(refusal([&] { train::check_synthetic_policy(c); }).find("0 to 2"), std::string::npos);
  c = {};
  c.synthetic_min_confidence = 0.5;
  EXPECT_NE(refusal([&] { train::check_synthetic_policy(c); }).find("--synthetic-filter-model"),
            std::string::npos);
  c = {};
  c.synthetic_keep_top = 0;
  EXPECT_NE(refusal([&] { train::check_synthetic_policy(c); }).find("(0, 1]"), std::string::npos);
  c = {};
  c.synthetic_ratio = 0.5;
  c.real_train = false;
  EXPECT_NE(refusal([&] { train::check_synthetic_policy(c); }).find("synthetic images only"),
            std::string::npos);
  c = {};
  c.synthetic_weight = -1;
  EXPECT_NE(refusal([&] { train::check_synthetic_policy(c); }).find(">= 0"), std::string::npos);
}

// Runs on a tiny imbalanced prepared set (nv 10 lesions, mel and bkl 3 each, 2 views) and a
// "synthetic" copy of it: the same images with every row marked synthetic training data.
class SyntheticRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<test::TinyRow> rows = test::make_rows({"nv"}, 10, 2);
    for (const auto& r : test::make_rows({"mel", "bkl"}, 3, 2)) rows.push_back(r);
    for (size_t i = 0; i < rows.size(); ++i) rows[i].image = "IMG_" + std::to_string(i);
    test::write_ham_set(dir_ / "src", rows, 40, 30);
    test::prepare_test_set(dir_ / "src", dir_ / "set", 32);
    fs::copy(dir_ / "set", dir_ / "syn", fs::copy_options::recursive);
    std::vector<data::ManifestRow> manifest = data::read_manifest(dir_ / "syn" / "manifest.csv");
    for (auto& r : manifest) {
      r.source = "synthetic";
      r.split = data::Split::kTrain;
    }
    data::write_manifest(dir_ / "syn" / "manifest.csv", manifest);
    options_.train_sets = {dir_ / "set", dir_ / "syn"};
    options_.config.arch = models::ClassifierArch::kSmallCnn;
    options_.config.width = 4;
    options_.config.epochs = 2;
    options_.config.batch_size = 8;
    options_.progress = false;
  }
  nlohmann::json run_config(const std::string& name) {
    options_.model_dir = dir_ / name;
    train::run_classifier_training(options_);
    return nlohmann::json::parse(io::read_file(dir_ / name / "config.json"));
  }
  int64_t real_train(const std::string& label) {
    int64_t n = 0;
    const data::PreparedSet set = data::PreparedSet::open(dir_ / "set");
    for (const auto& r : set.rows()) n += r.label == label && r.split == data::Split::kTrain;
    return n;
  }
  test::TempDir dir_;
  train::ClassifierRunOptions options_;
};

TEST_F(SyntheticRunTest, MinorityClassesAndARelativeCapChooseTheSyntheticRows) {
  options_.config.synthetic_classes = {"minority"};
  options_.config.synthetic_cap_ratio = 0.5;
  const nlohmann::json j = run_config("minority");
  const nlohmann::json& report = j.at("synthetic");
  EXPECT_EQ(report.at("nv").at("used"), 0);  // nv is the majority: none, and reported
  EXPECT_EQ(report.at("nv").at("not_receiving"), report.at("nv").at("candidates"));
  for (const char* c : {"mel", "bkl"}) {
    EXPECT_EQ(report.at(c).at("not_receiving"), 0) << c;
    EXPECT_EQ(report.at(c).at("used").get<int64_t>(), real_train(c) / 2) << c;  // 0.5x
  }
  EXPECT_FALSE(j.at("synthetic_per_class").contains("nv"));
}

TEST_F(SyntheticRunTest, TheFilterModelKeepsTheTopFractionOfEachClass) {
  test::train_tiny_classifier(dir_ / "set", dir_ / "filter", 4, 1, 8);
  options_.config.synthetic_filter_model = (dir_ / "filter").string();
  options_.config.synthetic_keep_top = 0.5;
  const nlohmann::json j = run_config("filtered");
  for (const auto& [name, r] : j.at("synthetic").items()) {
    const auto candidates = r.at("candidates").get<int64_t>();
    EXPECT_EQ(r.at("passed_filter").get<int64_t>(), (candidates + 1) / 2) << name;
    EXPECT_EQ(r.at("used"), r.at("passed_filter")) << name;
  }
  // A filter model for other classes is refused with the classes named.
  test::write_ham_set(dir_ / "src2", test::make_rows({"nv", "df"}, 4, 2), 40, 30);
  test::prepare_test_set(dir_ / "src2", dir_ / "set2", 32);
  test::train_tiny_classifier(dir_ / "set2", dir_ / "filter2", 4, 1, 8);
  options_.config.synthetic_filter_model = (dir_ / "filter2").string();
  options_.model_dir = dir_ / "refused";
  const std::string message = refusal([&] { train::run_classifier_training(options_); });
  EXPECT_NE(message.find("--synthetic-filter-model"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(dir_ / "refused"));
}

TEST_F(SyntheticRunTest, ASyntheticWeightOfZeroMakesASyntheticOnlyLossZero) {
  options_.config.real_train = false;  // synthetic rows only, as CAS trains
  options_.config.synthetic_weight = 0;
  run_config("weightless");
  std::istringstream in(io::read_file(dir_ / "weightless" / "metrics.jsonl"));
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines)
    EXPECT_EQ(nlohmann::json::parse(line).at("train_loss").get<double>(), 0.0);
  EXPECT_EQ(lines, 2);
}

TEST_F(SyntheticRunTest, ARatioAndFineTuneRunResumesExactlyAcrossThePhaseSwitch) {
  options_.config.epochs = 3;
  options_.config.synthetic_ratio = 0.5;
  options_.config.balanced_sampler = true;
  options_.config.finetune_real_epochs = 1;
  options_.model_dir = dir_ / "straight";
  train::run_classifier_training(options_);
  options_.model_dir = dir_ / "paused";
  options_.max_epochs_now = 2;  // stop right before the fine-tune epoch
  EXPECT_TRUE(train::run_classifier_training(options_).interrupted);
  options_.resume = true;
  options_.max_epochs_now = 0;
  EXPECT_TRUE(train::run_classifier_training(options_).finished);
  auto losses = [](const fs::path& file) {
    std::vector<double> v;
    std::istringstream in(io::read_file(file));
    for (std::string line; std::getline(in, line);)
      v.push_back(nlohmann::json::parse(line).at("train_loss").get<double>());
    return v;
  };
  EXPECT_EQ(losses(dir_ / "straight" / "metrics.jsonl"), losses(dir_ / "paused" / "metrics.jsonl"));
  // The epoch length is the real images' (the synthetic share replaces, not adds).
  const auto j = nlohmann::json::parse(io::read_file(dir_ / "straight" / "config.json"));
  EXPECT_EQ(j.at("classifier").at("synthetic_ratio"), 0.5);
  int64_t real_rows = 0;
  for (const char* c : {"nv", "mel", "bkl"}) real_rows += real_train(c);
  EXPECT_EQ(j.at("steps_per_epoch").get<int64_t>(), real_rows / 8);
  EXPECT_LT(j.at("steps_per_epoch").get<int64_t>(), j.at("train_images").get<int64_t>() / 8);
}

TEST_F(SyntheticRunTest, ARatioWithoutSyntheticImagesIsRefusedByName) {
  options_.train_sets = {dir_ / "set"};
  options_.config.synthetic_ratio = 0.3;
  options_.model_dir = dir_ / "nothing";
  const std::string message = refusal([&] { train::run_classifier_training(options_); });
  EXPECT_NE(message.find("no synthetic training images"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(dir_ / "nothing"));
}
