// GanTrainer::discriminator_logits: what D says about given images outside a training step
// (train/gan_evaluator.h measures with it how far D has memorised each class's training images).
#include <vector>

#include <torch/torch.h>

#include "core/host_to_device.h"
#include "dist/process_group.h"
#include "models/gan/progressive.h"
#include "train/gan_trainer.h"

namespace skingan::train {

torch::Tensor GanTrainer::discriminator_logits(const torch::Tensor& images,
                                               const torch::Tensor& labels) {
  TORCH_CHECK(images.dim() == 4 && labels.dim() == 1 && labels.size(0) == images.size(0),
              "discriminator_logits: images [N,3,S,S] and labels [N], got ", images.sizes(),
              " and ", labels.sizes());
  constexpr int64_t kBatch = 256;
  torch::NoGradGuard no_grad;
  const dist::ActiveGroup one_process(nullptr);  // no collective layer may wait for other ranks
  // Evaluation mode: BatchNorm on its running statistics and spectral norm without a power
  // iteration, so nothing D keeps changes. Training mode comes back however this ends.
  struct EvalMode {
    models::Discriminator& d;
    bool was_training;
    ~EvalMode() {
      if (was_training) d->train();
    }
  } mode{discriminator_, discriminator_->is_training()};
  discriminator_->eval();
  const bool conditional = is_conditional(config_);
  const double level =
      config_.arch == GanArch::kProgan ? discriminator_->progressive()->level() : -1.0;
  std::vector<torch::Tensor> out;
  for (int64_t start = 0; start < images.size(0); start += kBatch) {
    const int64_t n = std::min(kBatch, images.size(0) - start);
    torch::Tensor x = to_device(images.narrow(0, start, n), device_).to(torch::kFloat);
    if (level >= 0) x = models::fade_images(x, level);
    if (channels_last_) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    const torch::Tensor y =
        conditional ? to_device(labels.narrow(0, start, n), device_) : torch::Tensor();
    out.push_back(discriminator_->forward(x, y).logits.reshape({-1}).to(torch::kCPU));
  }
  return out.empty() ? torch::zeros({0}) : torch::cat(out);
}

}  // namespace skingan::train
