// `skingan score` on the two-colour toy set: a faithful synthetic set scores near the real floor
// and is recognised, a class-swapped one is not, a planted training image is a near-copy, CAS
// tells the two apart, and bad inputs are refused with nothing written.
#include "eval/generator_score.h"

#include <gtest/gtest.h>

#include <torch/script.h>
#include <torch/torch.h>
#include <opencv2/imgcodecs.hpp>

#include "core/error.h"
#include "data/prepare.h"
#include "data/prepared_set.h"
#include "eval/feature_model.h"
#include "io/csv.h"
#include "io/files.h"
#include "test_util.h"
#include "train/cas.h"
#include "train/classifier_run.h"

namespace fs = std::filesystem;
using namespace skingan;

namespace {

// BGR colour of each toy class, with per-pixel noise.
const std::map<std::string, cv::Scalar> kColours = {{"red", cv::Scalar(50, 60, 200)},
                                                    {"blue", cv::Scalar(190, 70, 40)},
                                                    {"green", cv::Scalar(60, 180, 60)}};

void write_colour_images(const fs::path& root, const std::string& folder, const std::string& colour,
                         int count, int seed, int checkerboard = 0) {
  cv::RNG rng(static_cast<uint64_t>(seed));
  for (int i = 0; i < count; ++i) {
    cv::Mat image(32, 32, CV_8UC3, kColours.at(colour));
    cv::Mat noise(32, 32, CV_16SC3);
    rng.fill(noise, cv::RNG::NORMAL, 0, 25);
    image.convertTo(image, CV_16SC3);
    image += noise;
    // A +-checkerboard (period 2 both ways): the mesh the texture scores must see.
    for (int y = 0; y < 32; ++y) {
      for (int x = 0; x < 32; ++x) {
        image.at<cv::Vec3s>(y, x) +=
            cv::Vec3s::all(static_cast<int16_t>((x + y) % 2 ? checkerboard : -checkerboard));
      }
    }
    image.convertTo(image, CV_8UC3);  // saturates into 0..255
    test::write_image(
        root / folder / (colour + "_" + std::to_string(seed) + "_" + std::to_string(i) + ".png"),
        image);
  }
}

void prepare_folders(const fs::path& source, const fs::path& output) {
  data::PrepareOptions p;
  p.source.root = source;
  p.output = output;
  p.preprocess.size = 32;
  p.preprocess.remove_hair = false;  // keep the colours as drawn
  p.preprocess.color_constancy = false;
  p.progress = false;
  data::prepare_dataset(p);
}

class ScoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const fs::path& d = dir_->path();
    for (const auto& c : {"red", "blue"}) write_colour_images(d / "real_src", c, c, 60, 1);
    prepare_folders(d / "real_src", d / "real");
    // Faithful: new draws of each class. Swapped: each class drawn in the other's colour.
    for (const auto& c : {"red", "blue"}) write_colour_images(d / "good_src", c, c, 40, 2);
    write_colour_images(d / "swapped_src", "red", "blue", 40, 3);
    write_colour_images(d / "swapped_src", "blue", "red", 40, 4);
    prepare_folders(d / "good_src", d / "good");
    prepare_folders(d / "swapped_src", d / "swapped");
    for (const auto& c : {"red", "blue"}) write_colour_images(d / "mesh_src", c, c, 40, 5, 30);
    prepare_folders(d / "mesh_src", d / "mesh");
    // The feature model: a small classifier trained on the real training split.
    test::train_tiny_classifier(d / "real", d / "features", 8, 4, 16);
  }
  static void TearDownTestSuite() { delete dir_; }

  eval::ScoreOptions options(const std::string& synthetic, const std::string& out) const {
    eval::ScoreOptions o;
    o.synthetic = dir_->path() / synthetic;
    o.real = dir_->path() / "real";
    o.features = dir_->path() / "features";
    o.output = dir_->path() / out;
    o.metrics.kid_subsets = 20;
    return o;
  }
  static test::TempDir* dir_;
};
test::TempDir* ScoreTest::dir_ = nullptr;

void expect_refused(const eval::ScoreOptions& o, const std::string& fragment) {
  try {
    eval::score_synthetic_set(o);
    ADD_FAILURE() << "accepted; expected a refusal containing: " << fragment;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(o.output)) << "a refused score wrote " << o.output;
}

}  // namespace

TEST_F(ScoreTest, AFaithfulSetScoresNearTheFloorAndASwappedOneDoesNot) {
  const nlohmann::json good = eval::score_synthetic_set(options("good", "score_good"));
  const nlohmann::json swapped = eval::score_synthetic_set(options("swapped", "score_swapped"));
  for (const auto& c : {"red", "blue"}) {
    const auto& g = good.at("per_class").at(c);
    const auto& s = swapped.at("per_class").at(c);
    // Counts: synthetic images capped at the class's real training count (42 of 60).
    EXPECT_EQ(g.at("score").at("synthetic"), 40);
    EXPECT_NEAR(g.at("floor").at("synthetic").get<double>(), 42, 1);  // the real training split
    EXPECT_GE(g.at("conditional_accuracy").get<double>(), 0.9) << c;
    EXPECT_LE(s.at("conditional_accuracy").get<double>(), 0.1) << c;
    const double kid_good = g.at("score").at("kid").at("mean");
    const double kid_swapped = s.at("score").at("kid").at("mean");
    const double kid_floor = g.at("floor").at("kid").at("mean");
    EXPECT_GT(kid_swapped, 20 * std::max(std::abs(kid_good), std::abs(kid_floor))) << c;
    EXPECT_GT(s.at("score").at("fid").get<double>(), 10 * g.at("score").at("fid").get<double>());
    EXPECT_GE(g.at("score").at("precision").get<double>(), 0.7) << c;
    EXPECT_LE(s.at("score").at("precision").get<double>(), 0.05) << c;
    EXPECT_LE(s.at("score").at("coverage").get<double>(), 0.05) << c;
  }
  EXPECT_NE(good.at("feature_space_description").get<std::string>().find("penultimate"),
            std::string::npos);
  for (const auto& file : {"scores.json", "scores.md", "nearest.csv"}) {
    EXPECT_TRUE(fs::exists(dir_->path() / "score_good" / file)) << file;
  }
  const std::string md = io::read_file(dir_->path() / "score_good" / "scores.md");
  EXPECT_NE(md.find("| red |"), std::string::npos) << md;
  EXPECT_NE(md.find("not comparable"), std::string::npos);
  EXPECT_FALSE(good.at("cas").at("computed").get<bool>());
}

TEST_F(ScoreTest, TextureSeesAPlantedCheckerboardThatTheFaithfulSetLacks) {
  auto o = options("good", "texture_good");
  const nlohmann::json good = eval::score_synthetic_set(o);
  o = options("mesh", "texture_mesh");
  const nlohmann::json mesh = eval::score_synthetic_set(o);
  for (const auto& c : {"red", "blue"}) {
    const auto& g = good.at("per_class").at(c).at("texture");
    const auto& m = mesh.at("per_class").at(c).at("texture");
    const double floor = g.at("floor").at("high_frequency_ratio");
    EXPECT_NEAR(floor, 1, 0.15) << c;
    EXPECT_NEAR(g.at("score").at("high_frequency_ratio").get<double>(), 1, 0.15) << c;
    EXPECT_GT(m.at("score").at("high_frequency_ratio").get<double>(), 2 * floor) << c;
    EXPECT_GT(m.at("score").at("peak_ratio").get<double>(),
              10 * m.at("floor").at("peak_ratio").get<double>())
        << c;
    EXPECT_DOUBLE_EQ(m.at("score").at("peak_frequency").at("horizontal").get<double>(), 0.5);
  }
  EXPECT_GT(mesh.at("overall").at("texture").at("score").at("high_frequency_ratio").get<double>(),
            2);
  const std::string md = io::read_file(dir_->path() / "texture_mesh" / "scores.md");
  EXPECT_NE(md.find("| strongest peak |"), std::string::npos) << md;
  EXPECT_NE(md.find("(-0.5, 0.5)"), std::string::npos) << md;
}

TEST_F(ScoreTest, APlantedTrainingImageIsANearCopyAndComesFirst) {
  // Copy one real training image's source file among faithful synthetic images.
  const fs::path& d = dir_->path();
  const auto real = data::PreparedSet::open(d / "real");
  std::string planted;
  for (const auto& r : real.rows()) {
    if (r.label == "red" && r.split == data::Split::kTrain) {
      planted = r.origin;
      break;
    }
  }
  ASSERT_FALSE(planted.empty());
  write_colour_images(d / "planted_src", "red", "red", 30, 5);
  write_colour_images(d / "planted_src", "blue", "blue", 30, 6);
  fs::copy_file(d / "real_src" / planted, d / "planted_src" / "red" / "planted.png");
  prepare_folders(d / "planted_src", d / "planted");
  eval::ScoreOptions o = options("planted", "score_planted");
  std::vector<eval::NearestPairs> pairs;
  o.extra_outputs = [&](const fs::path&, const nlohmann::json&,
                        const std::vector<eval::NearestPairs>& p) { pairs = p; };
  const nlohmann::json s = eval::score_synthetic_set(o);
  const auto& red = s.at("per_class").at("red").at("memorisation");
  EXPECT_GE(red.at("features").at("synthetic_near_copies").get<int>(), 1);
  EXPECT_GE(red.at("pixels").at("synthetic_near_copies").get<int>(), 1);
  ASSERT_EQ(pairs.size(), 2u);
  const auto& red_pairs = pairs[0].label == "red" ? pairs[0] : pairs[1];
  ASSERT_EQ(red_pairs.label, "red");
  EXPECT_TRUE(red_pairs.near_copy[0]);
  EXPECT_LT(red_pairs.distances[0], 1e-3);
  EXPECT_TRUE(torch::equal(red_pairs.synthetic[0], red_pairs.real[0]));
  // nearest.csv: the planted image is a near-copy in both spaces, at distance ~0.
  const io::CsvTable csv = io::read_csv(d / "score_planted" / "nearest.csv");
  int found = 0;
  for (const auto& row : csv.rows) {
    if (row[csv.column("synthetic_id")].find("planted") == std::string::npos) continue;
    ++found;
    EXPECT_EQ(row[csv.column("near_copy_features")], "1");
    EXPECT_EQ(row[csv.column("near_copy_pixels")], "1");
    EXPECT_LT(std::stod(row[csv.column("pixel_distance")]), 1e-3);
  }
  EXPECT_EQ(found, 1);
}

TEST_F(ScoreTest, CasTellsATeachingSetFromAMisleadingOne) {
  train::CasSettings cas;
  cas.epochs = 3;
  cas.width = 8;
  cas.batch_size = 16;
  cas.progress = false;
  auto hook = [&](const eval::CasRequest& r) { return train::run_cas(r, cas); };
  eval::ScoreOptions good = options("good", "cas_good");
  good.cas = hook;
  eval::ScoreOptions swapped = options("swapped", "cas_swapped");
  swapped.cas = hook;
  const nlohmann::json g = eval::score_synthetic_set(good).at("cas");
  const nlohmann::json s = eval::score_synthetic_set(swapped).at("cas");
  EXPECT_TRUE(g.at("computed").get<bool>());
  EXPECT_GE(g.at("synthetic_balanced_accuracy").get<double>(), 0.9);
  EXPECT_GE(g.at("real_balanced_accuracy").get<double>(), 0.9);
  EXPECT_GE(g.at("ratio").get<double>(), 0.9);
  EXPECT_LE(s.at("synthetic_balanced_accuracy").get<double>(), 0.2);
  EXPECT_EQ(g.at("steps"), 3 * (84 / 16));
  EXPECT_TRUE(fs::exists(dir_->path() / "cas_good" / "cas" / "synthetic" / "best.pt"));
}

// A real set's majority class gets no synthetic images (generate balances the others up to it);
// CAS then trains and tests on the classes the synthetic set has. Found by the GPU study, where
// CAS refused the whole score: its classifier still had every real class, one of them empty.
TEST_F(ScoreTest, CasUsesTheClassesTheSyntheticSetHasWhenTheRealSetHasMore) {
  test::TempDir d;
  for (const auto& c : {"red", "blue", "green"}) write_colour_images(d / "src", c, c, 60, 5);
  prepare_folders(d / "src", d / "real3");
  test::train_tiny_classifier(d / "real3", d / "features3", 8, 4, 16);
  train::CasSettings cas;
  cas.epochs = 3;
  cas.width = 8;
  cas.batch_size = 16;
  cas.progress = false;
  eval::ScoreOptions o = options("good", "unused");
  o.real = d / "real3";
  o.features = d / "features3";
  o.output = d / "scores";
  o.cas = [&](const eval::CasRequest& r) { return train::run_cas(r, cas); };
  const nlohmann::json c = eval::score_synthetic_set(o).at("cas");
  ASSERT_TRUE(c.at("computed").get<bool>()) << c.dump();
  EXPECT_EQ(c.at("classes"), nlohmann::json({"blue", "red"}));
  EXPECT_EQ(c.at("per_class").size(), 2u);
  EXPECT_GE(c.at("synthetic_balanced_accuracy").get<double>(), 0.9);
  // The classifiers CAS trained have the two classes only.
  const nlohmann::json config =
      nlohmann::json::parse(io::read_file(d / "scores" / "cas" / "synthetic" / "config.json"));
  EXPECT_EQ(config.at("classes"), nlohmann::json({"blue", "red"}));
}

TEST_F(ScoreTest, RefusesBadInputsAndWritesNothing) {
  const fs::path& d = dir_->path();
  // A synthetic class the real set lacks.
  write_colour_images(d / "green_src", "red", "red", 20, 7);
  write_colour_images(d / "green_src", "green", "green", 20, 8);
  prepare_folders(d / "green_src", d / "green");
  expect_refused(options("green", "refused_1"), "images of class 'green'");
  // A requested class without synthetic images.
  write_colour_images(d / "red_only_src", "red", "red", 20, 9);
  prepare_folders(d / "red_only_src", d / "red_only");
  eval::ScoreOptions o = options("red_only", "refused_2");
  o.classes = {"red", "blue"};
  expect_refused(o, "no synthetic images");
  // Too few synthetic images for the neighbourhood metrics (k+1 = 6 needed).
  o = options("good", "refused_3");
  o.max_per_class = 3;
  expect_refused(o, "at least 6");
  // Leaving small classes out instead: every class is listed with its reason, nothing scored.
  o.skip_small_classes = true;
  const nlohmann::json nothing = eval::score_synthetic_set(o);
  EXPECT_TRUE(nothing.at("classes").empty());
  EXPECT_NE(nothing.at("left_out").at("red").get<std::string>().find("at least 6"),
            std::string::npos);
  EXPECT_NE(io::read_file(o.output / "scores.md").find("Nothing was scored"), std::string::npos);
  // A feature model trained on another class list.
  test::train_tiny_classifier(d / "green", d / "green_features", 4, 1, 8);
  o = options("good", "refused_4");
  o.features = d / "green_features";
  expect_refused(o, "no class 'blue'");
  // A feature model of another input size.
  for (const auto& col : {"red", "blue"}) write_colour_images(d / "big_src", col, col, 60, 10);
  data::PrepareOptions p;
  p.source.root = d / "big_src";
  p.output = d / "big";
  p.preprocess.size = 64;
  p.progress = false;
  data::prepare_dataset(p);
  o = options("big", "refused_5");
  o.real = d / "big";
  expect_refused(o, "trained on 32 px");
  // Not a TorchScript file.
  test::write_text(d / "junk.pt", "this is not a model");
  o = options("good", "refused_6");
  o.features = d / "junk.pt";
  expect_refused(o, "not a TorchScript file");
  // An existing output.
  fs::create_directories(d / "exists");
  o = options("good", "exists");
  try {
    eval::score_synthetic_set(o);
    ADD_FAILURE() << "overwrote an existing output";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--force"), std::string::npos);
  }
}

TEST_F(ScoreTest, ATorchScriptFeatureModelIsUsedAtItsOwnInputSize) {
  // Mean colour of each channel after resizing to the module's image_size: [N,3].
  torch::jit::Module m("MeanColour");
  m.register_attribute("image_size", c10::IntType::get(), int64_t{16});
  m.define("def forward(self, x):\n    assert x.size(2) == 16\n    return x.mean([2, 3])\n");
  const fs::path file = dir_->path() / "mean_colour.pt";
  m.save(file.string());
  const auto model = eval::FeatureModel::open(file, torch::kCPU);
  EXPECT_EQ(model.image_size(), 16);
  EXPECT_FALSE(model.has_classifier());
  const torch::Tensor images = torch::full({2, 3, 32, 32}, 255, torch::kByte);
  const torch::Tensor f = model.extract(images);
  ASSERT_EQ(f.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_NEAR(f.min().item<float>(), 1.0f, 1e-5);
  eval::ScoreOptions o = options("good", "score_script");
  o.features = file;
  const nlohmann::json s = eval::score_synthetic_set(o);
  EXPECT_EQ(s.at("feature_space").at("kind"), "torchscript");
  EXPECT_FALSE(s.at("per_class").at("red").contains("conditional_accuracy"));
  EXPECT_LT(s.at("per_class").at("red").at("score").at("fid").get<double>(), 0.01);
}
