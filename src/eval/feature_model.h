// The feature space generators are measured in (`skingan score`, `train-gan --eval-every`).
//
//   a skingan model folder (train-classifier): the penultimate layer of a classifier trained on
//     the real training split (the default: a domain feature space), plus its class
//     probabilities, which give the conditional accuracy of a generator;
//   a TorchScript file (torch.jit.save): any image model, e.g. torchvision's Inception-v3 for
//     numbers comparable with papers. It receives float RGB in [0,1], [N,3,S,S], at the set's
//     size, or resized (bilinear, antialiased) to its `image_size` attribute when it has one;
//     its output [N,F] or [N,C,h,w] (averaged over h,w) is the feature vector.
// FIDs in different feature spaces are not comparable: description() names the space, and every
// output that carries a number carries it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

namespace skingan::eval {

class FeatureModel {
 public:
  // A folder is read as a skingan classifier, a file as TorchScript. ConfigError when the path
  // is neither (a non-TorchScript file is refused with what was found).
  static FeatureModel open(const std::filesystem::path& path, c10::Device device);
  ~FeatureModel();
  FeatureModel(FeatureModel&&) noexcept;
  FeatureModel& operator=(FeatureModel&&) noexcept;

  // "skingan classifier (resnet18, width 32, trained on ...): penultimate layer, 256-d" or
  // "TorchScript model FILE: output, 2048-d".
  const std::string& description() const;
  nlohmann::json to_json() const;
  // The image size it takes (-1: TorchScript without `image_size`, any size).
  int64_t image_size() const;
  // Classes of a skingan classifier in output order; empty for TorchScript models.
  const std::vector<std::string>& classes() const;
  bool has_classifier() const { return !classes().empty(); }

  // Refuses (ConfigError naming `what`) images of another size than a skingan classifier was
  // trained on, or classes this model does not know (it cannot tell whether a synthetic image
  // looks like a class it never saw).
  void check_compatible(const std::string& what, int64_t image_size,
                        const std::vector<std::string>& set_classes) const;

  // uint8 images [N,3,S,S] (CPU) -> float features [N,F] on the CPU, `batch` images at a time;
  // with `probabilities` (skingan classifiers only) also float class probabilities [N,K].
  at::Tensor extract(const at::Tensor& images, int64_t batch = 256,
                     at::Tensor* probabilities = nullptr) const;

 private:
  struct State;
  explicit FeatureModel(std::unique_ptr<State> state);
  // A TorchScript model's output for uint8 images [n,3,S,S]: scaled to [0,1], resized to its
  // image_size, on its device; [n,F] or [n,C,h,w] as the module returns it.
  at::Tensor raw_output(const at::Tensor& images) const;
  std::unique_ptr<State> state_;
};

}  // namespace skingan::eval
