// Image classifiers for 32-128 px lesion images.
//   resnet18: He et al.'s ResNet-18 (BasicBlocks [2,2,2,2], widths w,2w,4w,8w) with a stem for
//     small images: a 3x3 convolution at full resolution, then a stride-2 3x3 convolution, so the
//     first stage works at 32x32 for 64 px inputs (ImageNet's 7x7/2 + max-pool stem would leave
//     16x16 and throw away the fine texture that tells lesions apart), and at 32x32 for 128 px
//     inputs too (one more stride 2), which bounds compute on a 2-core CPU.
//   small_cnn: four 3x3 conv-BN-ReLU-maxpool blocks (w, 2w, 4w, 8w): a fast baseline.
//   backbone: a user's TorchScript image model (e.g. an ImageNet-pretrained network exported
//     from Python) whose output [N,F] or [N,C,h,w] becomes the features; every weight of it is
//     fine-tuned with the new head.
// All end in global average pooling (where the features are maps), dropout and a linear layer:
// [N,3,S,S] -> logits [N,K].
#pragma once

#include <string>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/script.h>
#include <nlohmann/json.hpp>

namespace skingan::models {

enum class ClassifierArch { kResnet18, kSmallCnn, kBackbone };

ClassifierArch parse_classifier_arch(const std::string& name);  // ConfigError when unknown
std::string classifier_arch_name(ClassifierArch arch);

struct ClassifierOptions {
  TORCH_ARG(ClassifierArch, arch) = ClassifierArch::kResnet18;
  TORCH_ARG(int64_t, num_classes) = 7;
  TORCH_ARG(int64_t, image_size) = 64;
  TORCH_ARG(int64_t, width) = 64;
  TORCH_ARG(double, dropout) = 0.2;
  TORCH_ARG(std::string, backbone) = "";  // kBackbone: the TorchScript file
};

class ClassifierImpl : public torch::nn::Module {
 public:
  explicit ClassifierImpl(const ClassifierOptions& options);
  // x: float [N,3,S,S] normalised (see normalize_images) -> logits [N,K]
  torch::Tensor forward(const torch::Tensor& x);
  // x as for forward -> the penultimate layer (pooled features before dropout and the head)
  // [N,F]: the feature space `skingan score` measures generators in.
  torch::Tensor features(const torch::Tensor& x);
  // features [N,F] -> logits [N,K] (dropout, then the head).
  torch::Tensor classify(const torch::Tensor& features);
  const ClassifierOptions& options() const { return options_; }
  // Also switches the TorchScript backbone (its BatchNorm and dropout) between modes.
  void train(bool on = true) override;

 private:
  // Loads the TorchScript file, registers its parameters and buffers here (so optimisers,
  // to(device), save and load see them) and returns the feature width.
  int64_t load_backbone(const std::string& path);

  ClassifierOptions options_;
  std::shared_ptr<torch::jit::Module> backbone_;
  torch::nn::Sequential features_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(Classifier);

// uint8 or [0,1] float images [N,3,S,S] -> the classifier's input: (x - 0.5) / 0.25 per channel.
torch::Tensor normalize_images(const torch::Tensor& unit_images);

}  // namespace skingan::models

namespace skingan::models {

// Class probabilities for uint8 images [N,3,S,S] (any device), in eval mode, `batch` at a time:
// float [N,K] on the CPU. With tta, the mean over the identity, both flips and a 180-degree
// rotation (lesions have no canonical orientation).
torch::Tensor predict_probabilities(Classifier& model, const torch::Tensor& images, int64_t batch,
                                    c10::Device device, bool tta = false);

// Model options <-> JSON (config.json of a model folder).
nlohmann::json to_json(const ClassifierOptions& options);
ClassifierOptions classifier_options_from_json(const nlohmann::json& j);

}  // namespace skingan::models
