#include "eval/feature_model.h"

#include <algorithm>

#include <torch/script.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/exception_message.h"
#include "core/text.h"
#include "models/classifier/classifier_folder.h"
#include "models/torchscript_check.h"

namespace fs = std::filesystem;

namespace skingan::eval {

struct FeatureModel::State {
  c10::Device device{c10::kCPU};
  std::string description;
  nlohmann::json json;
  int64_t image_size = -1;
  std::vector<std::string> classes;
  models::Classifier classifier{nullptr};      // a skingan model folder
  std::shared_ptr<torch::jit::Module> script;  // or a TorchScript file
  std::string path;
};

FeatureModel::FeatureModel(std::unique_ptr<State> state) : state_(std::move(state)) {}
FeatureModel::~FeatureModel() = default;
FeatureModel::FeatureModel(FeatureModel&&) noexcept = default;
FeatureModel& FeatureModel::operator=(FeatureModel&&) noexcept = default;

FeatureModel FeatureModel::open(const fs::path& path, c10::Device device) {
  auto s = std::make_unique<State>();
  s->device = device;
  s->path = fs::absolute(path).lexically_normal().string();
  if (fs::is_directory(path)) {
    models::ClassifierFolder folder = models::load_classifier_folder(path, device);
    s->classifier = folder.model;
    s->classes = folder.classes;
    s->image_size = folder.model->options().image_size();
    const auto& model = folder.config.at("model");
    std::string trained_on;
    if (folder.config.contains("train_sets") && !folder.config["train_sets"].empty()) {
      trained_on = folder.config["train_sets"][0].get<std::string>();
    }
    FeatureModel probe(std::move(s));
    const int64_t width =
        probe.extract(torch::zeros({2, 3, probe.image_size(), probe.image_size()}, torch::kByte))
            .size(1);
    State& st = *probe.state_;
    st.description = "skingan classifier " + st.path + " (" + model.value("arch", "?") +
                     ", trained on " + trained_on + "): penultimate layer, " +
                     std::to_string(width) + "-d";
    st.json = {{"kind", "skingan-classifier"}, {"path", st.path},
               {"layer", "penultimate"},       {"dimensions", width},
               {"classes", st.classes},        {"image_size", st.image_size},
               {"trained_on", trained_on}};
    return probe;
  }
  if (!fs::is_regular_file(path)) {
    throw ConfigError(describe_problem("--features " + path.string(), "no such file or folder",
                                       "a model folder from `skingan train-classifier` or a "
                                       "TorchScript file (torch.jit.save)",
                                       "Train a classifier on the real set first."));
  }
  try {
    s->script = std::make_shared<torch::jit::Module>(torch::jit::load(path.string(), device));
  } catch (const std::exception& e) {
    throw ConfigError(describe_problem(
        "--features " + path.string(), "not a TorchScript file (torch::jit::load failed)",
        "a model saved with torch.jit.save(torch.jit.script(model)) or a skingan model folder",
        "Export the model from Python with torch.jit.script or torch.jit.trace."));
  }
  const std::string what = "--features " + path.string();
  models::check_image_model_interface(*s->script, what);
  s->script->eval();
  s->image_size = models::image_model_int_attribute(*s->script, "image_size", 16, 1024, what);
  FeatureModel model(std::move(s));
  // The feature width from a probe (a fixed ramp of pixel values, not a blank image: a model may
  // normalise by the image's spread); image_size -1 probes at 64 px.
  const int64_t side = model.image_size() > 0 ? model.image_size() : 64;
  torch::Tensor probe;
  try {
    probe = model.raw_output(torch::arange(2 * 3 * side * side)
                                 .remainder(256)
                                 .to(torch::kByte)
                                 .reshape({2, 3, side, side}));
  } catch (const std::exception& e) {
    throw ConfigError(describe_problem(
        what,
        std::string("a model that fails on [2,3,") + std::to_string(side) + "," +
            std::to_string(side) + "] images (" + e.what() + ")",
        "forward(images [N,3,S,S] in [0,1]) -> [N,F] or [N,C,h,w]",
        "Export a model that takes one image batch, or give it an `image_size` attribute."));
  }
  models::check_image_model_output(probe, 2, what);
  const int64_t width = probe.size(1);
  State& st = *model.state_;
  st.description =
      "TorchScript model " + st.path + ": output, " + std::to_string(width) + "-d" +
      (st.image_size > 0 ? ", inputs resized to " + std::to_string(st.image_size) + " px" : "");
  st.json = {{"kind", "torchscript"},
             {"path", st.path},
             {"layer", "output"},
             {"dimensions", width},
             {"image_size", st.image_size}};
  return model;
}

const std::string& FeatureModel::description() const { return state_->description; }
nlohmann::json FeatureModel::to_json() const { return state_->json; }
int64_t FeatureModel::image_size() const { return state_->image_size; }
const std::vector<std::string>& FeatureModel::classes() const { return state_->classes; }

void FeatureModel::check_compatible(const std::string& what, int64_t size,
                                    const std::vector<std::string>& set_classes) const {
  if (state_->classifier && state_->image_size != size) {
    throw ConfigError(describe_problem(
        "feature model " + state_->path,
        "trained on " + std::to_string(state_->image_size) + " px images, but " + what + " has " +
            std::to_string(size) + " px",
        "a feature classifier trained at the set's size",
        "Train one with `skingan train-classifier --train SET` on a set of this size."));
  }
  if (!state_->classifier) return;
  for (const auto& c : set_classes) {
    if (std::find(state_->classes.begin(), state_->classes.end(), c) == state_->classes.end()) {
      throw ConfigError(
          describe_problem("feature model " + state_->path,
                           "no class '" + c + "' (it knows " + join(state_->classes, ", ") + ")",
                           "a classifier trained on the classes of " + what,
                           "Train the feature classifier on the real set these images belong to."));
    }
  }
}

at::Tensor FeatureModel::raw_output(const at::Tensor& images) const {
  State& s = *state_;
  torch::Tensor x = images.to(s.device).to(torch::kFloat).div(255.0);  // [n,3,S,S] in [0,1]
  if (s.image_size > 0 && s.image_size != x.size(2)) {
    namespace F = torch::nn::functional;
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{s.image_size, s.image_size})
                              .mode(torch::kBilinear)
                              .align_corners(false)
                              .antialias(x.size(2) > s.image_size));
  }
  return s.script->forward({x}).toTensor();
}

at::Tensor FeatureModel::extract(const at::Tensor& images, int64_t batch,
                                 at::Tensor* probabilities) const {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3, "images should be [N,3,S,S], got ",
              images.sizes());
  TORCH_CHECK(probabilities == nullptr || state_->classifier,
              "class probabilities need a skingan classifier as the feature model");
  torch::NoGradGuard no_grad;
  State& s = *state_;  // modules run non-const forwards
  std::vector<torch::Tensor> features, probs;
  for (int64_t start = 0; start < images.size(0); start += batch) {
    const torch::Tensor chunk = images.slice(0, start, start + batch).to(s.device);
    if (s.classifier) {
      torch::Tensor x = models::normalize_images(chunk);
      if (s.device.is_cpu()) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
      const torch::Tensor f = s.classifier->features(x);  // [n,F]
      features.push_back(f.to(torch::kCPU, torch::kFloat));
      if (probabilities) {
        probs.push_back(torch::softmax(s.classifier->classify(f), 1).to(torch::kCPU));
      }
      continue;
    }
    torch::Tensor f = raw_output(chunk);
    if (f.dim() == 4) f = f.mean({2, 3});  // [n,C,h,w] -> [n,C]
    TORCH_CHECK(f.dim() == 2, "the TorchScript feature model returned ", f.sizes(),
                "; expected [N,F] or [N,C,h,w]");
    features.push_back(f.to(torch::kCPU, torch::kFloat));
  }
  if (probabilities) *probabilities = probs.empty() ? torch::zeros({0}) : torch::cat(probs);
  return features.empty() ? torch::zeros({0, 0}) : torch::cat(features);
}

}  // namespace skingan::eval
