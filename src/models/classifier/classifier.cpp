#include "models/classifier/classifier.h"

#include <torch/torch.h>

#include "core/error.h"
#include "core/exception_message.h"
#include "models/distributed_layers.h"
#include "models/torchscript_check.h"

namespace skingan::models {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

// He et al.'s basic residual block: two 3x3 convolutions, identity or 1x1 projection shortcut.
class BasicBlockImpl : public nn::Module {
 public:
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
    conv1_ = register_module("conv1", conv3x3(in, out, stride));
    bn1_ = register_module("bn1", SyncBatchNorm2d(out));
    conv2_ = register_module("conv2", conv3x3(out, out, 1));
    bn2_ = register_module("bn2", SyncBatchNorm2d(out));
    // Zero-init the last BN scale: each block starts as the identity (Goyal et al. 2017).
    nn::init::zeros_(bn2_->weight);
    if (stride != 1 || in != out) {
      shortcut_ = register_module(
          "shortcut",
          nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)),
                         SyncBatchNorm2d(out)));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h = torch::relu(bn1_->forward(conv1_->forward(x)));
    h = bn2_->forward(conv2_->forward(h));
    return torch::relu(h + (shortcut_ ? shortcut_->forward(x) : x));
  }

 private:
  nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  SyncBatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  nn::Sequential shortcut_{nullptr};
};
TORCH_MODULE(BasicBlock);

void add_conv_bn_relu(nn::Sequential& seq, int64_t in, int64_t out, int64_t stride) {
  seq->push_back(conv3x3(in, out, stride));
  seq->push_back(SyncBatchNorm2d(out));
  seq->push_back(nn::ReLU(nn::ReLUOptions(true)));
}

}  // namespace

ClassifierArch parse_classifier_arch(const std::string& name) {
  if (name == "resnet18") return ClassifierArch::kResnet18;
  if (name == "small_cnn") return ClassifierArch::kSmallCnn;
  if (name == "backbone") return ClassifierArch::kBackbone;
  throw ConfigError(describe_problem("--model " + name, "an unknown model",
                                     "resnet18 or small_cnn (or --backbone FILE)", ""));
}

std::string classifier_arch_name(ClassifierArch arch) {
  switch (arch) {
    case ClassifierArch::kResnet18:
      return "resnet18";
    case ClassifierArch::kSmallCnn:
      return "small_cnn";
    default:
      return "backbone";
  }
}

int64_t ClassifierImpl::load_backbone(const std::string& path) {
  try {
    backbone_ = std::make_shared<torch::jit::Module>(torch::jit::load(path, torch::kCPU));
  } catch (const std::exception& e) {
    throw ConfigError(describe_problem(
        "--backbone " + path,
        std::string("not a loadable TorchScript module (") + short_message(e) + ")",
        "a file written by torch.jit.save (torch.jit.script or torch.jit.trace of an image model)",
        "In Python: torch.jit.script(model).save('backbone.pt')."));
  }
  const std::string what = "--backbone " + path;
  check_image_model_interface(*backbone_, what);
  // Registered under flattened names: nn::Module names may not contain dots.
  auto flat = [](std::string name) {
    std::replace(name.begin(), name.end(), '.', '_');
    return "backbone_" + name;
  };
  for (const auto& p : backbone_->named_parameters(/*recurse=*/true)) {
    register_parameter(flat(p.name), p.value, /*requires_grad=*/true);  // fine-tune all
  }
  for (const auto& b : backbone_->named_buffers(/*recurse=*/true))
    register_buffer(flat(b.name), b.value);
  // Feature width from a probe in eval mode (BatchNorm with batch statistics would not matter,
  // but some models refuse batch 1 in training mode). The probe is a fixed ramp, not zeros: a
  // model may normalise by the image's spread, and must not be refused for a blank image.
  torch::NoGradGuard no_grad;
  backbone_->eval();
  const int64_t side = options_.image_size();
  torch::Tensor out;
  try {
    out = backbone_
              ->forward({torch::linspace(-1, 1, 2 * 3 * side * side).reshape({2, 3, side, side})})
              .toTensor();
  } catch (const std::exception& e) {
    throw ConfigError(describe_problem(
        what,
        std::string("a model that fails on [2,3,") + std::to_string(side) + "," +
            std::to_string(side) + "] images (" + e.what() + ")",
        "forward(images) -> tensor", "Export a model that takes one image batch."));
  }
  backbone_->train();
  check_image_model_output(out, 2, what);
  return out.size(1);
}

void ClassifierImpl::train(bool on) {
  nn::Module::train(on);
  if (backbone_) backbone_->train(on);
}

ClassifierImpl::ClassifierImpl(const ClassifierOptions& o) : options_(o) {
  if (o.image_size() < 32 || o.image_size() > 512 || o.num_classes() < 2 ||
      o.num_classes() > 1000 || o.width() < 4 || o.width() > 1024) {
    throw ConfigError(
        "classifier: image size must be 32..512, classes 2..1000, width 4..1024 (got " +
        std::to_string(o.image_size()) + ", " + std::to_string(o.num_classes()) + ", " +
        std::to_string(o.width()) + ").");
  }
  if (o.arch() == ClassifierArch::kBackbone) {
    const int64_t features = load_backbone(o.backbone());
    head_ = register_module("head", nn::Linear(features, o.num_classes()));
    return;
  }
  const int64_t w = o.width();
  features_ = nn::Sequential();
  int64_t channels = w;
  if (o.arch() == ClassifierArch::kResnet18) {
    // Stem: [N,3,S,S] -> [N,w/2,S,S] -> [N,w,S/2,S/2], then stride 2 until the side is <= 32.
    add_conv_bn_relu(features_, 3, w / 2, 1);
    add_conv_bn_relu(features_, w / 2, w, 2);
    for (int64_t side = o.image_size() / 2; side > 32; side /= 2)
      add_conv_bn_relu(features_, w, w, 2);
    const int64_t widths[] = {w, 2 * w, 4 * w, 8 * w};
    int64_t in = w;
    for (int stage = 0; stage < 4; ++stage) {
      for (int block = 0; block < 2; ++block) {
        const int64_t stride = stage > 0 && block == 0 ? 2 : 1;
        features_->push_back(BasicBlock(in, widths[stage], stride));
        in = widths[stage];
      }
    }
    channels = 8 * w;
  } else {
    int64_t in = 3;
    for (int64_t out : {w, 2 * w, 4 * w, 8 * w}) {
      add_conv_bn_relu(features_, in, out, 1);
      features_->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
      in = out;
    }
    channels = 8 * w;
  }
  register_module("features", features_);
  head_ = register_module("head", nn::Linear(channels, o.num_classes()));
  for (auto& m : modules(false)) {
    if (auto* conv = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    }
  }
}

torch::Tensor ClassifierImpl::forward(const torch::Tensor& x) { return classify(features(x)); }

torch::Tensor ClassifierImpl::features(const torch::Tensor& x) {
  torch::Tensor h = backbone_ ? backbone_->forward({x}).toTensor()         // [N,F] or [N,C,s,s]
                              : features_->forward(x);                     // [N,C,s,s]
  if (h.dim() == 4) h = torch::adaptive_avg_pool2d(h, {1, 1}).flatten(1);  // [N,C]
  return h;
}

torch::Tensor ClassifierImpl::classify(const torch::Tensor& features) {
  return head_->forward(
      sharded_dropout(features, options_.dropout(), is_training()));  // [N,F] -> [N,K]
}

torch::Tensor normalize_images(const torch::Tensor& images) {
  const torch::Tensor unit =
      images.scalar_type() == torch::kByte ? images.to(torch::kFloat).div(255.0) : images;
  return unit.sub(0.5).div(0.25);
}

}  // namespace skingan::models

namespace skingan::models {

torch::Tensor predict_probabilities(Classifier& model, const torch::Tensor& images, int64_t batch,
                                    c10::Device device, bool tta) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  std::vector<torch::Tensor> out;
  for (int64_t start = 0; start < images.size(0); start += batch) {
    torch::Tensor x = normalize_images(images.slice(0, start, start + batch).to(device));
    if (device.is_cpu()) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    torch::Tensor p = torch::softmax(model->forward(x), 1);
    if (tta) {
      p = p + torch::softmax(model->forward(x.flip({3})), 1) +
          torch::softmax(model->forward(x.flip({2})), 1) +
          torch::softmax(model->forward(x.flip({2, 3})), 1);
      p = p / 4;
    }
    out.push_back(p.to(torch::kCPU));
  }
  if (was_training) model->train();
  return out.empty() ? torch::zeros({0, model->options().num_classes()}) : torch::cat(out);
}

nlohmann::json to_json(const ClassifierOptions& o) {
  return {{"arch", classifier_arch_name(o.arch())},
          {"num_classes", o.num_classes()},
          {"image_size", o.image_size()},
          {"width", o.width()},
          {"dropout", o.dropout()},
          {"backbone", o.backbone()}};
}

ClassifierOptions classifier_options_from_json(const nlohmann::json& j) {
  const ClassifierOptions o = ClassifierOptions()
                                  .arch(parse_classifier_arch(j.at("arch").get<std::string>()))
                                  .num_classes(j.at("num_classes").get<int64_t>())
                                  .image_size(j.at("image_size").get<int64_t>())
                                  .width(j.at("width").get<int64_t>())
                                  .dropout(j.at("dropout").get<double>())
                                  .backbone(j.value("backbone", std::string()));
  // The same ranges the constructor checks, here before anything is allocated, and bounds on
  // what a damaged file could make the reader allocate.
  if (o.image_size() < 32 || o.image_size() > 512 || o.num_classes() < 2 ||
      o.num_classes() > 1000 || o.width() < 4 || o.width() > 1024 ||
      !(o.dropout() >= 0 && o.dropout() < 1)) {
    throw ConfigError(
        describe_problem("classifier model settings",
                         "image size " + std::to_string(o.image_size()) + ", " +
                             std::to_string(o.num_classes()) + " classes, width " +
                             std::to_string(o.width()) + ", dropout " + std::to_string(o.dropout()),
                         "image size 32..512, 2..1000 classes, width 4..1024, dropout in [0,1)",
                         "The file is damaged or not from skingan."));
  }
  return o;
}

}  // namespace skingan::models
