// `--backbone FILE`: a user's TorchScript image model fine-tuned with a new head. The tests make
// the TorchScript file themselves (a tiny conv net compiled with Module::define and saved, as
// torch.jit.save would write it).
#include <gtest/gtest.h>

#include <fstream>

#include <torch/script.h>
#include <torch/torch.h>

#include "core/error.h"
#include "eval/evaluate.h"
#include "eval/feature_model.h"
#include "models/classifier/classifier.h"
#include "test_util.h"
#include "train/classifier_run.h"

namespace fs = std::filesystem;
using namespace skingan;

namespace {

// conv 3->6 (3x3, padding 1) -> relu -> feature maps [N,6,S,S], or pooled [N,6] when `pooled`.
void write_backbone(const fs::path& path, bool pooled, const std::string& output = "") {
  torch::manual_seed(3);
  torch::jit::Module m("TinyBackbone");
  m.register_parameter("weight", torch::randn({6, 3, 3, 3}) * 0.3, false);
  m.register_parameter("bias", torch::zeros({6}), false);
  std::string body = "    h = torch.relu(torch.conv2d(x, self.weight, self.bias, 1, 1))\n";
  if (pooled) body += "    h = h.mean([2, 3])\n";
  if (!output.empty()) body = output;
  m.define("def forward(self, x):\n" + body + "    return h\n");
  m.save(path.string());
}

models::ClassifierOptions options_for(const fs::path& file) {
  return models::ClassifierOptions()
      .arch(models::ClassifierArch::kBackbone)
      .num_classes(2)
      .image_size(32)
      .backbone(file.string());
}

}  // namespace

TEST(Backbone, FineTunesEveryWeightLearnsAndRoundTrips) {
  test::TempDir dir;
  for (bool pooled : {false, true}) {
    write_backbone(dir / "b.pt", pooled);
    const auto [images, labels] = test::two_colour_images();
    torch::manual_seed(1);
    models::Classifier model(options_for(dir / "b.pt"));
    // The backbone's two tensors and the head's two are all trainable parameters.
    EXPECT_EQ(model->parameters().size(), 4u);
    const torch::Tensor before = model->named_parameters()["backbone_weight"].clone();
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-2));
    for (int step = 0; step < 60; ++step) {
      const torch::Tensor loss = torch::nn::functional::cross_entropy(
          model->forward(models::normalize_images(images)), labels);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    }
    EXPECT_FALSE(torch::equal(before, model->named_parameters()["backbone_weight"]));  // fine-tuned
    const torch::Tensor p = models::predict_probabilities(model, images, 8, torch::kCPU);
    EXPECT_TRUE(torch::equal(p.argmax(1), labels)) << "pooled " << pooled;

    torch::serialize::OutputArchive out;
    model->save(out);
    out.save_to((dir / "m.pt").string());
    models::Classifier loaded(options_for(dir / "b.pt"));  // the original weights of the file
    torch::serialize::InputArchive in;
    in.load_from((dir / "m.pt").string());
    loaded->load(in);
    loaded->eval();
    model->eval();
    const torch::Tensor x = models::normalize_images(images);
    EXPECT_TRUE(torch::equal(loaded->forward(x), model->forward(x)));
  }
}

TEST(Backbone, RefusesFilesThatAreNotUsableModels) {
  test::TempDir dir;
  test::write_text(dir / "junk.pt", "not a model");
  try {
    models::Classifier model(options_for(dir / "junk.pt"));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("not a loadable TorchScript module"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("torch.jit.script(model).save"), std::string::npos);
  }
  write_backbone(dir / "flat.pt", false, "    h = x.flatten()\n");  // [N*3*S*S]: 1-D
  try {
    models::Classifier model(options_for(dir / "flat.pt"));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("[N,F] or [N,C,h,w] feature maps"), std::string::npos);
  }
}

TEST(Backbone, TrainClassifierCopiesTheFileAndEvaluatesFromTheModelFolderAlone) {
  test::TempDir dir;
  test::write_ham_set(dir / "raw", test::make_rows({"mel", "nv"}, 6, 2), 40, 30);
  test::prepare_test_set(dir / "raw", dir / "set", 32);
  write_backbone(dir / "b.pt", false);
  train::ClassifierRunOptions o;
  o.train_sets = {dir / "set"};
  o.model_dir = dir / "model";
  o.config.arch = models::ClassifierArch::kBackbone;
  o.config.backbone = (dir / "b.pt").string();
  o.config.epochs = 2;
  o.config.batch_size = 8;
  o.progress = false;
  const auto result = train::run_classifier_training(o);
  EXPECT_TRUE(result.finished);
  EXPECT_TRUE(fs::exists(dir / "model" / "backbone.pt"));
  fs::remove(dir / "b.pt");  // the model folder must not need the original file
  const auto config = nlohmann::json::parse(std::ifstream(dir / "model" / "config.json"));
  EXPECT_EQ(config["model"]["backbone"], "backbone.pt");
  EXPECT_EQ(config["model"]["arch"], "backbone");
  o.resume = true;
  o.config.epochs = 3;
  EXPECT_TRUE(train::run_classifier_training(o).finished);  // resumes without the original
  eval::EvaluateOptions e;
  e.model_dir = dir / "model";
  e.data_set = dir / "set";
  e.output = dir / "eval";
  e.bootstrap = 100;
  const auto metrics = eval::evaluate_model(e);
  EXPECT_GT(metrics["metrics"]["count"].get<int>(), 0);

  o.model_dir = dir / "model2";
  o.resume = false;
  try {
    train::run_classifier_training(o);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(dir / "model2"));
}

namespace {

// A TorchScript module with `source` (the whole forward definition) saved to `path`.
void write_script(const fs::path& path, const std::string& source,
                  c10::optional<c10::IValue> image_size = c10::nullopt) {
  torch::jit::Module m("UserModel");
  if (image_size) m.register_attribute("image_size", image_size->type(), *image_size);
  m.define(source);
  m.save(path.string());
}

}  // namespace

// Hostile or mistaken TorchScript files for --backbone and --features: the interface is checked
// from the compiled schema and the output from a probe, each refused with what was found.
TEST(Backbone, InterfaceAndProbeOutputAreValidatedBeforeUse) {
  test::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"def forward(self, x, y):\n    return x + y\n", "forward(self, x: Tensor) -> Tensor"},
      {"def forward(self, x):\n    return (x.mean([2, 3]), x)\n", "(Tensor, Tensor)"},
      {"def forward(self, x):\n    return x.mean([0, 2, 3])\n", "shape [3]"},
      {"def forward(self, x):\n    return x[0:1].mean([2, 3])\n", "shape [1, 3] for 2 images"},
      {"def forward(self, x):\n    return torch.log(x.mean([2, 3]) - 10.0)\n", "NaN"},
      {"def forward(self, x):\n    return (x.mean([2, 3]) > 0).long()\n", "Long"},
  };
  for (const auto& [source, expected] : cases) {
    write_script(dir / "m.pt", source);
    for (const bool as_features : {false, true}) {
      std::string message;
      try {
        if (as_features) {
          eval::FeatureModel::open(dir / "m.pt", torch::kCPU);
        } else {
          models::Classifier model(options_for(dir / "m.pt"));
        }
      } catch (const ConfigError& e) {
        message = e.what();
      }
      EXPECT_NE(message.find(as_features ? "--features" : "--backbone"), std::string::npos)
          << source << " -> " << message;
      EXPECT_NE(message.find(expected), std::string::npos) << source << " -> " << message;
    }
  }
  // A model that divides by the image's spread is accepted: the probe is not a blank image.
  write_script(dir / "spread.pt", "def forward(self, x):\n    return x.mean([2, 3]) / x.std()\n");
  EXPECT_EQ(eval::FeatureModel::open(dir / "spread.pt", torch::kCPU).image_size(), -1);
  models::Classifier accepted(options_for(dir / "spread.pt"));
  // The feature model's image_size attribute must be a plausible side.
  const std::string pooled = "def forward(self, x):\n    return x.mean([2, 3])\n";
  for (const auto& [value, expected] : std::vector<std::pair<c10::IValue, std::string>>{
           {c10::IValue(int64_t{5}), "image_size = Int 5"},
           {c10::IValue(std::string("big")), "image_size = String"}}) {
    write_script(dir / "attr.pt", pooled, value);
    try {
      eval::FeatureModel::open(dir / "attr.pt", torch::kCPU);
      ADD_FAILURE() << expected;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}
