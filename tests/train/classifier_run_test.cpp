// Classifier: learns a tiny set, save/load, exact resume of a run, evaluate's refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include <torch/torch.h>

#include "core/error.h"
#include "data/prepare.h"
#include "eval/evaluate.h"
#include "io/csv.h"
#include "io/files.h"
#include "models/classifier/classifier.h"
#include "test_util.h"
#include "train/classifier_run.h"

namespace fs = std::filesystem;
using namespace skingan;

TEST(Classifier, LearnsATinySetTo100PercentAndSavesAndLoadsIdentically) {
  for (auto arch : {models::ClassifierArch::kSmallCnn, models::ClassifierArch::kResnet18}) {
    const auto [images, labels] = test::two_colour_images();
    torch::manual_seed(1);
    const auto options =
        models::ClassifierOptions().arch(arch).num_classes(2).image_size(32).width(8);
    models::Classifier model(options);
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(3e-3));
    for (int step = 0; step < 40; ++step) {
      const torch::Tensor loss = torch::nn::functional::cross_entropy(
          model->forward(models::normalize_images(images)), labels);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    }
    const torch::Tensor p = models::predict_probabilities(model, images, 8, torch::kCPU);
    ASSERT_EQ(p.sizes(), (std::vector<int64_t>{16, 2}));
    EXPECT_TRUE(torch::equal(p.argmax(1), labels)) << models::classifier_arch_name(arch);

    test::TempDir dir;
    torch::serialize::OutputArchive out;
    model->save(out);
    out.save_to((dir / "m.pt").string());
    torch::manual_seed(99);
    models::Classifier loaded(options);
    torch::serialize::InputArchive in;
    in.load_from((dir / "m.pt").string());
    loaded->load(in);
    model->eval();
    loaded->eval();
    const torch::Tensor x = models::normalize_images(images);
    EXPECT_TRUE(torch::equal(model->forward(x), loaded->forward(x)));
  }
}

class ClassifierRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_ham_set(dir_ / "src", test::make_rows({"nv", "mel", "bkl"}, 8, 2), 40, 30);
    test::prepare_test_set(dir_ / "src", dir_ / "set", 32);
    options_.train_sets = {dir_ / "set"};
    options_.config.arch = models::ClassifierArch::kSmallCnn;
    options_.config.width = 4;
    options_.config.epochs = 3;
    options_.config.batch_size = 8;
    options_.config.class_weights = true;
    options_.progress = false;
  }
  // Trains a one-epoch model into dir_/model and returns evaluate options for it on `set`.
  eval::EvaluateOptions evaluation_of_a_trained_model(const std::string& set,
                                                      const std::string& output) {
    options_.model_dir = dir_ / "model";
    options_.config.epochs = 1;
    train::run_classifier_training(options_);
    eval::EvaluateOptions o;
    o.model_dir = dir_ / "model";
    o.data_set = dir_ / set;
    o.output = dir_ / output;
    o.bootstrap = 50;
    return o;
  }
  test::TempDir dir_;
  train::ClassifierRunOptions options_;
};

TEST_F(ClassifierRunTest, ResumeAfterAPauseEqualsAnUninterruptedRun) {
  options_.model_dir = dir_ / "straight";
  const auto straight = train::run_classifier_training(options_);
  EXPECT_TRUE(straight.finished);
  options_.model_dir = dir_ / "paused";
  options_.max_epochs_now = 1;
  EXPECT_TRUE(train::run_classifier_training(options_).interrupted);
  options_.resume = true;
  options_.max_epochs_now = 0;
  const auto resumed = train::run_classifier_training(options_);
  EXPECT_TRUE(resumed.finished);
  EXPECT_EQ(resumed.epochs_trained, 2);
  // The same losses and validation scores epoch by epoch (images/s aside).
  auto scores = [](const fs::path& file) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(io::read_file(file));
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      j.erase("images_per_second");
      lines.push_back(j);
    }
    return lines;
  };
  EXPECT_EQ(scores(dir_ / "straight" / "metrics.jsonl"), scores(dir_ / "paused" / "metrics.jsonl"));
  auto parameters = [](const fs::path& file) {
    torch::serialize::InputArchive archive, model;
    archive.load_from(file.string());
    archive.read("model", model);
    models::Classifier m(models::ClassifierOptions()
                             .arch(models::ClassifierArch::kSmallCnn)
                             .num_classes(3)
                             .image_size(32)
                             .width(4));
    m->load(model);
    return m->parameters();
  };
  const auto a = parameters(dir_ / "straight" / "checkpoints" / "last.pt");
  const auto b = parameters(dir_ / "paused" / "checkpoints" / "last.pt");
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
  EXPECT_EQ(straight.best_val_balanced_accuracy, resumed.best_val_balanced_accuracy);
  // An existing model folder is refused without --resume/--force.
  options_.resume = false;
  EXPECT_THROW(train::run_classifier_training(options_), ConfigError);
}

TEST_F(ClassifierRunTest, PrecisionAutoIsFp32OnTheCpuAndBf16IsRefusedThereBeforeAnyWork) {
  options_.model_dir = dir_ / "bf16";
  options_.config.precision = "bf16";
  try {
    train::run_classifier_training(options_);
    FAIL() << "bf16 on the CPU was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("CUDA"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(options_.model_dir / "config.json"));
  options_.model_dir = dir_ / "auto";
  options_.config.precision = "auto";
  options_.config.epochs = 1;
  train::run_classifier_training(options_);
  const auto config = nlohmann::json::parse(io::read_file(options_.model_dir / "config.json"));
  EXPECT_EQ(config.at("classifier").at("precision"), "fp32");
}

TEST_F(ClassifierRunTest, ABatchLargerThanTheTrainingSetIsRefusedBeforeAnythingIsWritten) {
  options_.model_dir = dir_ / "big_batch";
  options_.config.class_weights = false;
  options_.config.batch_size = 1000;
  try {
    train::run_classifier_training(options_);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--batch-size 1000"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(options_.model_dir / "config.json"));
}

TEST_F(ClassifierRunTest, EvaluateWritesMetricsAndRefusesAnUnknownMappedClass) {
  eval::EvaluateOptions o = evaluation_of_a_trained_model("set", "eval");
  const nlohmann::json r = eval::evaluate_model(o);
  for (const char* file : {"metrics.json", "predictions.csv", "confusion.csv"})
    EXPECT_TRUE(fs::exists(o.output / file)) << file;
  EXPECT_GT(r.at("metrics").at("count").get<int>(), 0);

  o.output = dir_ / "eval_mapped";
  o.label_map = "nv=nv,mel=melanoma";
  try {
    eval::evaluate_model(o);
    FAIL() << "accepted a map to an unknown class";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("class 'melanoma' is not a class of the model"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(o.output));
  // A map that keeps only some labels reports the others as excluded.
  o.label_map = "nv=nv,mel=mel";
  const nlohmann::json mapped = eval::evaluate_model(o);
  EXPECT_GT(mapped.at("excluded").at("bkl").get<int>(), 0);
  EXPECT_THROW(eval::parse_label_map("nv"), ConfigError);
}

TEST(Evaluate, RestrictedProbabilitiesKeepOnlyTheAllowedClassesRenormalised) {
  const auto r =
      eval::restrict_probabilities({{0.5, 0.3, 0.2}, {1.0, 0.0, 0.0}}, {false, true, true});
  EXPECT_DOUBLE_EQ(r[0][0], 0.0);
  EXPECT_DOUBLE_EQ(r[0][1], 0.6);
  EXPECT_DOUBLE_EQ(r[0][2], 0.4);
  EXPECT_EQ(r[1], (std::vector<double>{0.0, 0.0, 0.0}));  // no allowed mass: stays 0
}

TEST_F(ClassifierRunTest, RestrictedFiguresPredictOnlyTheMappedClasses) {
  eval::EvaluateOptions o = evaluation_of_a_trained_model("set", "eval");
  o.split = "all";
  o.restrict_to_mapped = true;
  try {
    eval::evaluate_model(o);
    FAIL() << "accepted --restrict-to-mapped without a label map";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--restrict-to-mapped"), std::string::npos) << e.what();
  }
  o.label_map = "nv=nv,mel=mel";
  const nlohmann::json r = eval::evaluate_model(o);
  const auto& restricted = r.at("restricted");
  auto classes = restricted.at("classes").get<std::vector<std::string>>();
  std::sort(classes.begin(), classes.end());
  EXPECT_EQ(classes, (std::vector<std::string>{"mel", "nv"}));
  EXPECT_EQ(restricted.at("metrics").at("count"), r.at("metrics").at("count"));
  // A prediction of a mapped class stays; one of bkl moves to a mapped class: never worse.
  EXPECT_GE(restricted.at("metrics").at("accuracy").get<double>(),
            r.at("metrics").at("accuracy").get<double>());
  const io::CsvTable t = io::read_csv(o.output / "predictions.csv");
  const int column = t.require_column("predicted_restricted", "predictions.csv");
  for (const auto& row : t.rows) EXPECT_TRUE(row[column] == "nv" || row[column] == "mel");
}

TEST_F(ClassifierRunTest, ACohortSharingTrainingImagesIsRefusedWithTheIdsNamed) {
  // The same images prepared again into another folder: every id is a training image.
  test::prepare_test_set(dir_ / "src", dir_ / "copy", 32);
  eval::EvaluateOptions o = evaluation_of_a_trained_model("copy", "leak");
  o.split = "all";
  try {
    eval::evaluate_model(o);
    FAIL() << "accepted a cohort that shares training images";
  } catch (const DataError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("images that the model trained or was selected on"), std::string::npos)
        << message;
    EXPECT_NE(message.find("IMG_"), std::string::npos) << message;
    EXPECT_NE(message.find("leakage"), std::string::npos) << message;
  }
  EXPECT_FALSE(fs::exists(o.output));
  // A cohort of other images (other ids, other pixels) is evaluated, and says what it checked.
  std::vector<test::TinyRow> rows = test::make_rows({"nv", "mel"}, 3, 1);
  for (auto& r : rows) r.image = "COH" + r.image, r.lesion = "C" + r.lesion;
  test::write_ham_set(dir_ / "cohort_src", rows, 44, 34);
  test::prepare_test_set(dir_ / "cohort_src", dir_ / "cohort", 32);
  o.data_set = dir_ / "cohort";
  o.output = dir_ / "cohort_eval";
  const nlohmann::json r = eval::evaluate_model(o);
  EXPECT_EQ(r.at("leakage_check").at("against").size(), 1u);
  // The model's own set is split by lesion already: not compared with itself.
  o.data_set = dir_ / "set";
  o.output = dir_ / "own";
  o.split = "test";
  EXPECT_TRUE(eval::evaluate_model(o).at("leakage_check").at("skipped").is_string());
}
