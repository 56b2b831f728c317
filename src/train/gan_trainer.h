// One GAN (generator, discriminator, EMA generator, both Adam optimisers, sampler and RNG) and
// its training step. Architecture (models/gan), loss (gan_losses) and regularisers stay separate;
// this class only wires them per GanConfig. Run folders, schedules and signals live in gan_run.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include <ATen/core/Generator.h>
#include <torch/optim/adam.h>

#include "core/error.h"
#include "data/batch_sampler.h"
#include "models/gan/discriminator.h"
#include "models/gan/generator.h"
#include "train/ada.h"
#include "train/ema.h"
#include "train/gan_config.h"

namespace skingan::train {

struct GanStepMetrics {
  int64_t step = 0;  // steps done after this one
  double d_loss = 0, g_loss = 0;
  double d_real = 0, d_fake = 0;  // mean sigmoid(D) for bce, mean raw logit otherwise
  // Karras et al. 2020's overfitting heuristic r_t = E[sign(D(real))] on this batch: near 0
  // while D generalises, towards 1 as it memorises the training images.
  double r_t = 0;
  double grad_norm_d = 0, grad_norm_g = 0;
  double r1 = -1;            // R1 penalty (before its weight); -1 on steps without it
  double gp = -1;            // wgan-gp: the gradient penalty (before its weight); -1 otherwise
  double aux_accuracy = -1;  // ACGAN class head accuracy on real images, -1 otherwise
  double ada_p = -1;         // ADA's augmentation probability after this step, -1 without ADA
  double level = -1;         // progan: the growth level of this step (models/gan/progressive.h)
};

// Thrown when a loss becomes NaN or infinite; the last checkpoint on disk stays the good one.
class TrainingDiverged : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 6; }
};

class GanTrainer {
 public:
  // images: uint8 [N,3,S,S] (any device; moved to `device`); labels: long [N] class indices
  // (used by conditional models and balanced sampling). num_classes: the classes of the run.
  GanTrainer(const GanConfig& config, const torch::Tensor& images, const torch::Tensor& labels,
             int64_t num_classes, torch::Device device);

  // One D update (d_steps of them) then one G update on fresh batches. With `measure` the step
  // reads its losses, scores and gradient norms from the device into the metrics and throws
  // TrainingDiverged when a loss is not finite; without it the metrics stay at their defaults
  // (step, level and ada_p excepted) and the step never waits for the device, so a GPU's queue
  // stays full (measure on the steps that are logged; save() checks the weights anyway).
  GanStepMetrics train_step(bool measure = true);
  int64_t step() const { return step_; }

  // Samples from the EMA generator when use_ema and EMA is on (else the raw one), in eval mode
  // with standing BatchNorm statistics recomputed once when made; the generator's running
  // statistics and mode come back when it ends. Make one per batch of calls (an evaluation
  // over every class), not one per call.
  class Sampler {
   public:
    Sampler(GanTrainer& trainer, bool use_ema);
    ~Sampler();
    Sampler(const Sampler&) = delete;
    Sampler& operator=(const Sampler&) = delete;
    // Images in [-1,1], [N,3,S,S]. z: [N,latent]; labels: [N] long (conditional) or undefined.
    torch::Tensor generate(const torch::Tensor& z, const torch::Tensor& labels) const;

   private:
    GanTrainer& trainer_;
    models::Generator& generator_;
    bool was_training_;
    std::vector<torch::Tensor> running_;  // the buffers as they were
  };

  // One Sampler's images: generated images in [-1,1], [N,3,S,S]. No grad.
  torch::Tensor generate(const torch::Tensor& z, const torch::Tensor& labels, bool use_ema);

  // Fixed noise and labels for sample grids: `per_row` columns per class, rows by class.
  const torch::Tensor& fixed_noise() const { return fixed_noise_; }
  const torch::Tensor& fixed_labels() const { return fixed_labels_; }

  // Full state, written atomically (temporary file + rename). load() refuses (CheckpointError)
  // a checkpoint of another architecture, size or width.
  void save(const std::filesystem::path& path) const;
  void load(const std::filesystem::path& path);

  const GanConfig& config() const { return config_; }
  models::Generator& generator() { return generator_; }
  models::Discriminator& discriminator() { return discriminator_; }
  at::Generator& rng() { return rng_; }
  const torch::optim::Adam& discriminator_optimizer() const { return *optimizer_d_; }
  // ADA's current probability, or -1 without ADA.
  double ada_p() const { return ada_ ? ada_->p() : -1.0; }

 private:
  torch::Tensor real_batch(const torch::Tensor& indices) const;
  // Channels-last parameters on the CPU (see models::use_channels_last); a no-op elsewhere.
  void use_fast_layout();
  torch::Tensor augment(const torch::Tensor& x);
  // progan: sets G's and D's level for the images shown before this step; returns it (-1 else).
  double grow();
  // One discriminator update at growth level `level` (-1: not progan) on a fresh real batch and
  // a fresh fake batch, which it returns (with a graph back to G when keep_graph); fills m's
  // discriminator fields.
  struct FakeBatch {
    torch::Tensor images;  // [B,3,S,S] in [-1,1]
    torch::Tensor labels;  // [B] long, undefined for unconditional GANs
  };
  FakeBatch discriminator_update(double level, bool keep_graph, bool measure, GanStepMetrics& m);

  GanConfig config_;
  torch::Device device_;
  bool channels_last_;  // on the CPU only: cuDNN picks its own layouts
  int64_t num_classes_;
  torch::Tensor images_;  // uint8 [N,3,S,S] on device
  torch::Tensor labels_;  // long [N] on CPU
  models::Generator generator_{nullptr};
  models::Discriminator discriminator_{nullptr};
  std::unique_ptr<GeneratorEma> ema_;
  std::unique_ptr<AdaController> ada_;  // with config.ada_target > 0
  std::unique_ptr<torch::optim::Adam> optimizer_g_, optimizer_d_;
  data::BatchSampler sampler_;
  at::Generator rng_;
  torch::Tensor fixed_noise_, fixed_labels_;
  int64_t step_ = 0;
};

// Rows per class and columns of the fixed sample grid.
inline constexpr int64_t kSampleColumns = 8;

}  // namespace skingan::train
