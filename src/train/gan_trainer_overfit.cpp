// What D says about given images outside a training step, and how far it has memorised its
// training images (train/overfit_probe.h): for --eval-every's r_v (train/gan_evaluator.h) and
// --ada-heuristic rv.
#include <vector>

#include <torch/torch.h>

#include "core/host_to_device.h"
#include "dist/process_group.h"
#include "models/gan/batch_norm_statistics.h"
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

void GanTrainer::set_validation_images(const torch::Tensor& images, const torch::Tensor& labels) {
  TORCH_CHECK(images.dim() == 4 && labels.dim() == 1 && labels.size(0) == images.size(0),
              "set_validation_images: uint8 images [V,3,S,S] and labels [V], got ", images.sizes(),
              " and ", labels.sizes());
  // An unconditional GAN measures one pooled r_v: its training labels (kept for balanced
  // sampling) may name several classes. Its own seed: the probe's noise never moves the
  // training RNG.
  const bool conditional = is_conditional(config_);
  probe_ = std::make_unique<OverfitProbe>(
      make_overfit_probe(images_, conditional ? labels_ : torch::zeros_like(labels_),
                         images.to(device_), conditional ? labels : torch::zeros_like(labels),
                         conditional ? num_classes_ : 1, config_.latent_dim, config_.seed + 991));
}

void GanTrainer::observe_overfit() {
  TORCH_CHECK(probe_ != nullptr,
              "--ada-heuristic rv: set_validation_images() must come before the first step");
  torch::NoGradGuard no_grad;
  const dist::ActiveGroup one_process(nullptr);  // every rank measures the same alone
  // The fakes D trains against: the raw G in training mode (batch statistics). Its buffers
  // (running statistics) are put back, so the measurement leaves G as it was.
  torch::Tensor fakes;
  {
    const models::KeptBuffers kept(*generator_);
    const torch::Tensor fake_labels = to_device(probe_->fake_labels, device_);
    fakes = generator_->forward(to_device(probe_->noise, device_),
                                is_conditional(config_) ? fake_labels : torch::Tensor());
  }
  const auto [r_v, valid] = overfit_ratio(
      discriminator_logits(pixels_to_unit_range(probe_->train_images), probe_->train_labels),
      probe_->train_labels,
      discriminator_logits(pixels_to_unit_range(probe_->validation_images),
                           probe_->validation_labels),
      probe_->validation_labels, discriminator_logits(fakes, probe_->fake_labels),
      probe_->fake_labels, ada_->groups());
  // One "interval" of the controller: r_v where measured (count 1), no evidence elsewhere.
  ada_->observe(r_v * valid, valid);
}

}  // namespace skingan::train
