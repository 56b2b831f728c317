// One GAN (generator, discriminator, EMA generator, both Adam optimisers, sampler and RNG) and
// its training step. Architecture (models/gan), loss (gan_losses) and regularisers stay separate;
// this class only wires them per GanConfig. Run folders, schedules and signals live in gan_run.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/optim/adam.h>

#include "augment/batch_shard.h"
#include "core/error.h"
#include "data/batch_sampler.h"
#include "dist/process_group.h"
#include "models/gan/batch_norm_statistics.h"
#include "models/gan/discriminator.h"
#include "models/gan/generator.h"
#include "train/ada.h"
#include "train/ema.h"
#include "train/gan_config.h"
#include "train/lecam.h"
#include "train/overfit_probe.h"
#include "train/spectrum_match.h"

namespace skingan::train {

struct GanStepMetrics {
  int64_t step = 0;  // steps done after this one
  double d_loss = 0, g_loss = 0;
  double d_real = 0, d_fake = 0;  // mean sigmoid(D) for bce, mean raw logit otherwise
  // Karras et al. 2020's overfitting heuristic r_t = E[sign(D(real))] on this batch: near 0
  // while D generalises, towards 1 as it memorises the training images.
  double r_t = 0;
  double grad_norm_d = 0, grad_norm_g = 0;
  double r1 = -1;              // R1 penalty (before its weight); -1 on steps without it
  double gp = -1;              // wgan-gp: the gradient penalty (before its weight); -1 otherwise
  double spectral = -1;        // the spectral term (before its weight); -1 when off
  double lecam = -1;           // the LeCam term (before its weight); -1 when off
  double reconstruction = -1;  // fastgan: D's self-supervised reconstruction error; -1 otherwise
  double aux_accuracy = -1;    // ACGAN class head accuracy on real images, -1 otherwise
  double ada_p = -1;           // ADA's augmentation probability after this step, -1 without ADA
  // --ada-per-class: each class's p after this step and r_t of ADA's last completed interval, in
  // the run's class order (empty otherwise).
  std::vector<double> ada_p_per_class, r_t_per_class;
  // --ada-heuristic rv: r_v of the last measurement per class (one value when pooled).
  std::vector<double> r_v_per_class;
  double level = -1;  // progan: the growth level of this step (models/gan/progressive.h)
  // A stop was requested during this step: train_step's argument, or in a data-parallel run that
  // of any rank (it travels with the gradients, so every rank stops after the same step).
  bool stop = false;
};

// Thrown when a loss becomes NaN or infinite; the last checkpoint on disk stays the good one.
class TrainingDiverged : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 6; }
};

// What every TrainingDiverged message ends with: what to do about it.
inline constexpr const char* kDivergenceRemedy =
    "Lower the learning rates, add --r1 or spectral norm, and resume or restart.";

class GanTrainer {
 public:
  // images: uint8 [N,3,S,S] (any device; moved to `device`); labels: long [N] class indices
  // (used by conditional models and balanced sampling). num_classes: the classes of the run.
  //
  // Data parallel (`group` of R ranks, dist/): config.batch_size is the global batch, a multiple
  // of R (ConfigError otherwise). Every rank draws everything random for the global batch from
  // the same generator (real rows, z, labels, DiffAugment/ADA parameters, WGAN-GP mixes) and
  // computes its own rows [rank B/R, (rank + 1) B/R); BatchNorm, the minibatch standard deviation
  // and ADA's sign sums cover the global batch, gradients are averaged over the ranks, and
  // rank 0's weights are broadcast before the first step (and after every load), so R ranks
  // train the weights of one process with the same global batch, up to float rounding. Every
  // rank must call train_step and load together; save and the samplers are rank 0's alone.
  GanTrainer(const GanConfig& config, const torch::Tensor& images, const torch::Tensor& labels,
             int64_t num_classes, torch::Device device, dist::ProcessGroup* group = nullptr);

  // One D update (d_steps of them) then one G update on fresh batches. With `measure` the step
  // reads its losses, scores and gradient norms from the device into the metrics (means over the
  // global batch) and throws TrainingDiverged when a loss is not finite; without it the metrics
  // stay at their defaults (step, level, ada_p and stop excepted) and the step never waits for
  // the device, so a GPU's queue stays full (measure on the steps that are logged; save()
  // checks the weights anyway). `stop_requested`: this process was asked to stop (reported back
  // in the metrics, with the other ranks' requests).
  GanStepMetrics train_step(bool measure = true, bool stop_requested = false);
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
    dist::ActiveGroup one_process_{nullptr};  // rank 0 samples alone: its layers must not wait
    GanTrainer& trainer_;
    models::Generator& generator_;
    bool was_training_;
    models::KeptBuffers running_;  // the buffers as they were, put back when it ends
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

  // The discriminator's real/fake logits for images in [-1,1], float [N,3,S,S] (any device;
  // progan's are faded to its level as real images are in training; a generator's own images
  // change by that only within a fade-in), with their classes (long [N]; ignored by
  // unconditional GANs): float [N] on the CPU. Unaugmented, in evaluation mode, without
  // gradients, in batches of 256 (progan's minibatch standard deviation is over those); D's
  // mode, weights and spectral-norm vectors are left as they were, so training and resume are
  // unchanged. Rank 0's alone in a data-parallel run.
  torch::Tensor discriminator_logits(const torch::Tensor& images, const torch::Tensor& labels);

  // --ada-heuristic rv: the real validation images D's memorisation is measured on (uint8
  // [V,3,S,S], any device) and their classes (long [V], as the training labels); required
  // before the first step of such a run.
  void set_validation_images(const torch::Tensor& images, const torch::Tensor& labels);

 private:
  torch::Tensor real_batch(const torch::Tensor& indices) const;
  // long [B/R] (CPU): this rank's rows of a draw for the global batch ([B], CPU).
  torch::Tensor local_rows(const torch::Tensor& global) const;
  // A scalar's mean over the ranks (its value in one process): one device read.
  double global_mean(const torch::Tensor& scalar) const;
  // Data parallel: rank 0's weights and buffers on every rank (before the first step and after
  // a load), and the ranks' average of the gradients of `parameters`; returns whether any rank
  // asked to stop. No-ops in one process.
  void synchronise_weights();
  bool average_gradients(const std::vector<torch::Tensor>& parameters, bool stop_requested);
  // Channels-last parameters on the CPU (see models::use_channels_last); a no-op elsewhere.
  void use_fast_layout();
  // DiffAugment with ADA's probability: the pooled p, or with --ada-per-class each image's
  // class's p (labels: long [B] on the device).
  torch::Tensor augment(const torch::Tensor& x, const torch::Tensor& labels);
  // --ada-heuristic rv: measures r_v on the probe and moves ADA's p by it.
  void observe_overfit();
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
  dist::ProcessGroup* group_;  // null in one process
  int64_t local_batch_;        // this rank's rows of config_.batch_size
  augment::BatchShard shard_;  // those rows in the global batch (empty in one process)
  bool weights_synchronised_;  // rank 0's weights have been broadcast since the last change
  bool channels_last_;         // on the CPU only: cuDNN picks its own layouts
  int64_t num_classes_;
  torch::Tensor images_;  // uint8 [N,3,S,S] on device
  torch::Tensor labels_;  // long [N] on CPU
  models::Generator generator_{nullptr};
  models::Discriminator discriminator_{nullptr};
  std::unique_ptr<GeneratorEma> ema_;
  std::unique_ptr<AdaController> ada_;             // with config.ada_target > 0
  std::unique_ptr<OverfitProbe> probe_;            // with --ada-heuristic rv, once set
  std::unique_ptr<SpectrumMatch> spectrum_match_;  // with config.spectral_weight > 0
  std::unique_ptr<LecamRegularizer> lecam_;        // with config.lecam_weight > 0
  std::unique_ptr<torch::optim::Adam> optimizer_g_, optimizer_d_;
  data::BatchSampler sampler_;
  at::Generator rng_;
  torch::Tensor fixed_noise_, fixed_labels_;
  int64_t step_ = 0;
};

// Rows per class and columns of the fixed sample grid.
inline constexpr int64_t kSampleColumns = 8;

}  // namespace skingan::train
