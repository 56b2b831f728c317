#include "train/gan_trainer.h"

#include <algorithm>
#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/host_to_device.h"
#include "dist/gradient_sync.h"
#include "models/gan/batch_norm_statistics.h"
#include "train/foreach_adam.h"
#include "train/gan_losses.h"
#include "train/growth_schedule.h"

namespace skingan::train {
namespace {

// sqrt(sum of squared gradients) over the parameters that have one: one device read.
double grad_norm(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> squares;
  for (const auto& p : parameters) {
    if (p.grad().defined()) squares.push_back(p.grad().pow(2).sum());
  }
  return squares.empty() ? 0.0 : std::sqrt(torch::stack(squares).sum().item<double>());
}

// The mean D score of a batch: a scalar tensor, read by the caller.
torch::Tensor score(GanLoss loss, const torch::Tensor& logits) {
  return (loss == GanLoss::kBce ? torch::sigmoid(logits) : logits).mean();
}

void check_finite(double value, const char* what, int64_t step) {
  if (!std::isfinite(value)) {
    throw TrainingDiverged(
        std::string(what) + " became " + std::to_string(value) + " at step " +
        std::to_string(step) +
        ". Training stopped; the last checkpoint on disk is the last good state. " +
        kDivergenceRemedy);
  }
}

}  // namespace

GanTrainer::GanTrainer(const GanConfig& config, const torch::Tensor& images,
                       const torch::Tensor& labels, int64_t num_classes, torch::Device device,
                       dist::ProcessGroup* group)
    : config_(config),
      device_(device),
      group_(group != nullptr && group->size() > 1 ? group : nullptr),
      local_batch_(config.batch_size),
      weights_synchronised_(group_ == nullptr),
      channels_last_(device.is_cpu()),
      num_classes_(num_classes),
      sampler_(labels, num_classes, config.balanced_sampling && is_conditional(config),
               config.balance_power),
      rng_(at::make_generator<at::CPUGeneratorImpl>(config.seed)) {
  validate(config_);
  if (group_ != nullptr) {
    if (config_.batch_size % group_->size() != 0) {
      throw ConfigError(describe_problem(
          "a global batch of " + std::to_string(config_.batch_size) + " under " +
              std::to_string(group_->size()) + " processes",
          "not divisible", "a batch every process gets an equal share of",
          "Run a number of processes that divides it (a resumed run keeps its global batch)."));
    }
    local_batch_ = config_.batch_size / group_->size();
    shard_ = {config_.batch_size, local_batch_ * group_->rank()};
  }
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) == config.image_size &&
                  images.size(3) == config.image_size && images.scalar_type() == torch::kByte,
              "GanTrainer expects uint8 images [N,3,", config.image_size, ",", config.image_size,
              "], got ", images.sizes(), " ", images.scalar_type());
  images_ = images.to(device_);
  labels_ = labels.to(torch::kCPU, torch::kLong);
  // Weights are initialised from torch's global generator: seed it so runs are reproducible.
  torch::manual_seed(config.seed);
  const models::GanModelConfig model = model_config(config_);
  generator_ = models::Generator(models::generator_options(model, num_classes_));
  discriminator_ = models::Discriminator(models::discriminator_options(model, num_classes_));
  generator_->to(device_);
  discriminator_->to(device_);
  if (config_.ema_decay > 0)
    ema_ = std::make_unique<GeneratorEma>(generator_, config_.ema_decay, device_);
  if (config_.ada_target > 0) {
    // r_t: adjusted every 4 updates from their sign sums; r_v: every kOverfitProbeEvery steps
    // from one measurement (train_step), by the images shown in between.
    const bool rv = config_.ada_heuristic == AdaHeuristic::kRv;
    ada_ = std::make_unique<AdaController>(
        config_.ada_target, config_.ada_kimg,
        rv ? config_.batch_size * kOverfitProbeEvery : config_.batch_size,
        /*interval=*/rv ? 1 : 4, config_.ada_per_class ? num_classes_ : 1);
  }
  if (config_.spectral_weight > 0) {
    spectrum_match_ = std::make_unique<SpectrumMatch>(
        images_, is_conditional(config_) ? labels_ : torch::Tensor(), num_classes_, device_);
  }
  if (config_.lecam_weight > 0) lecam_ = std::make_unique<LecamRegularizer>(device_);
  use_fast_layout();
  // Adam as multi-tensor ops (train/foreach_adam.h): the same state and, on the CPU, the same
  // weights as LibTorch's Adam, with far fewer kernel launches per step on a GPU.
  optimizer_g_ = std::make_unique<ForeachAdam>(
      generator_->parameters(),
      torch::optim::AdamOptions(config_.lr_g).betas({config_.beta1, config_.beta2}));
  optimizer_d_ = std::make_unique<ForeachAdam>(
      discriminator_->parameters(),
      torch::optim::AdamOptions(config_.lr_d).betas({config_.beta1, config_.beta2}));
  // Fixed grid noise: one row per class (or one row for an unconditional GAN), same noise in
  // every row so rows differ only by class.
  const int64_t rows = is_conditional(config_) ? num_classes_ : 1;
  const torch::Tensor noise =
      torch::randn({kSampleColumns, config_.latent_dim}, rng_, torch::kFloat);
  fixed_noise_ = noise.repeat({rows, 1});
  fixed_labels_ = torch::arange(rows, torch::kLong).repeat_interleave(kSampleColumns);
}

void GanTrainer::use_fast_layout() {
  if (!channels_last_) return;
  models::use_channels_last(*generator_);
  models::use_channels_last(*discriminator_);
  if (ema_) models::use_channels_last(*ema_->model());
}

torch::Tensor GanTrainer::real_batch(const torch::Tensor& indices) const {
  // uint8 [B,3,S,S] -> float in [-1,1]
  const torch::Tensor batch =
      images_.index_select(0, to_device(indices, device_)).to(torch::kFloat).div_(127.5).sub_(1.0);
  return channels_last_ ? batch.contiguous(torch::MemoryFormat::ChannelsLast) : batch;
}

torch::Tensor GanTrainer::local_rows(const torch::Tensor& global) const {
  return shard_.take(global, local_batch_);
}

double GanTrainer::global_mean(const torch::Tensor& scalar) const {
  if (group_ == nullptr) return scalar.item<double>();
  torch::Tensor sum = scalar.detach().to(torch::kDouble).reshape({1}).clone();
  group_->all_reduce_sum(sum, "the step's metrics");
  return sum.item<double>() / static_cast<double>(group_->size());
}

void GanTrainer::synchronise_weights() {
  if (weights_synchronised_) return;
  dist::broadcast_module(*group_, *generator_);
  dist::broadcast_module(*group_, *discriminator_);
  if (ema_) dist::broadcast_module(*group_, *ema_->model());
  weights_synchronised_ = true;
}

bool GanTrainer::average_gradients(const std::vector<torch::Tensor>& parameters,
                                   bool stop_requested) {
  if (group_ == nullptr) return stop_requested;
  return dist::average_gradients(*group_, parameters, stop_requested);
}

torch::Tensor GanTrainer::augment(const torch::Tensor& x, const torch::Tensor& labels) {
  if (!config_.diff_augment.any()) return x;
  if (!ada_ || ada_->groups() == 1) {
    return augment::diff_augment(x, config_.diff_augment, rng_, ada_ ? ada_->p() : 1.0, shard_);
  }
  const std::vector<double>& p = ada_->group_p();
  const auto [lowest, highest] = std::minmax_element(p.begin(), p.end());
  // Every class at 0 or at 1: the pooled call's shortcuts (no draws at 0, no masks at 1).
  if (*highest <= 0 || *lowest >= 1) {
    return augment::diff_augment(x, config_.diff_augment, rng_, *lowest, shard_);
  }
  const torch::Tensor class_p =
      to_device(torch::tensor(p, torch::kDouble).to(torch::kFloat), x.device());  // [K]
  return augment::diff_augment(x, config_.diff_augment, rng_, class_p.index_select(0, labels),
                               shard_);
}

double GanTrainer::grow() {
  if (config_.arch != GanArch::kProgan) return -1.0;
  const double level =
      growth_level(discriminator_images(config_, step_), phase_images(config_), config_.image_size);
  // The EMA generator takes the level with the other buffers in its update.
  generator_->progressive()->set_level(level);
  discriminator_->progressive()->set_level(level);
  return level;
}

GanTrainer::FakeBatch GanTrainer::discriminator_update(double level, bool keep_graph, bool measure,
                                                       GanStepMetrics& m) {
  // Drawn for the global batch, this rank's rows kept (all of them in one process).
  const int64_t batch = config_.batch_size;
  const torch::Tensor indices = local_rows(sampler_.next(batch, rng_));  // [B/R]
  torch::Tensor real = real_batch(indices);                              // [B/R,3,S,S]
  // Real images at the level's resolution, faded like the generator's output (Karras et al.).
  if (level >= 0) real = models::fade_images(real, level);
  const torch::Tensor real_labels = to_device(labels_.index_select(0, indices), device_);  // [B]
  const torch::Tensor z = to_device(
      local_rows(torch::randn({batch, config_.latent_dim}, rng_, torch::kFloat)), device_);
  FakeBatch fake;
  fake.labels = is_conditional(config_)
                    ? to_device(local_rows(sampler_.sample_labels(batch, rng_)), device_)
                    : torch::Tensor();
  {
    // Only the generator update's fakes need a graph back to G.
    torch::AutoGradMode grad_mode(keep_graph);
    fake.images = generator_->forward(z, fake.labels);  // [B,3,S,S]
  }

  optimizer_d_->zero_grad();
  torch::Tensor real_input = augment(real, real_labels);
  // Lazy R1 (Karras et al. 2020, StyleGAN2): every r1_every steps, weighted r1_every times.
  const bool r1_now = config_.r1_gamma > 0 && step_ % config_.r1_every == 0;
  if (r1_now) real_input = real_input.detach().requires_grad_(true);
  // FastGAN's self-supervision: D also rebuilds the real images it was shown, one random quarter
  // in detail (models/gan/fastgan.h). Drawn from the shared generator: the same on every rank.
  const int64_t part = config_.arch == GanArch::kFastgan
                           ? torch::randint(4, {1}, rng_, torch::kLong).item<int64_t>()
                           : -1;
  const auto d_real = discriminator_->forward(real_input, real_labels, part);
  const torch::Tensor fake_input = augment(fake.images.detach(), fake.labels);
  const auto d_fake = discriminator_->forward(fake_input, fake.labels);
  torch::Tensor loss_d =
      discriminator_loss(config_.loss, d_real.logits, d_fake.logits, config_.label_smoothing);
  if (config_.arch == GanArch::kAcgan) {
    loss_d = loss_d + config_.aux_weight *
                          (torch::nn::functional::cross_entropy(d_real.class_logits, real_labels) +
                           torch::nn::functional::cross_entropy(d_fake.class_logits, fake.labels));
    if (measure) {
      m.aux_accuracy =
          global_mean((d_real.class_logits.argmax(1) == real_labels).to(torch::kFloat).mean());
    }
  }
  if (d_real.reconstruction_loss.defined()) {
    if (measure) m.reconstruction = global_mean(d_real.reconstruction_loss);
    loss_d = loss_d + d_real.reconstruction_loss;
  }
  if (lecam_) {
    // Against the anchors of the updates before this one (their global means, all-reduced
    // below with the signs).
    const torch::Tensor lecam = lecam_->loss(d_real.logits, d_fake.logits);
    if (measure) m.lecam = global_mean(lecam);
    loss_d = loss_d + config_.lecam_weight * lecam;
  }
  if (r1_now) {
    const torch::Tensor r1 = r1_penalty(real_input, d_real.logits);
    if (measure) m.r1 = global_mean(r1);
    loss_d = loss_d + 0.5 * config_.r1_gamma * static_cast<double>(config_.r1_every) * r1;
  }
  if (config_.loss == GanLoss::kWganGp) {
    // On what the critic saw (augmented images), with the real images' classes.
    const torch::Tensor gp = gradient_penalty(
        [&](const torch::Tensor& x) { return discriminator_->forward(x, real_labels).logits; },
        real_input, fake_input, rng_, shard_);
    if (measure) m.gp = global_mean(gp);
    loss_d = loss_d + config_.gp_weight * gp;
  }
  loss_d.backward();
  average_gradients(discriminator_->parameters(), false);
  if (measure) {
    m.d_loss = global_mean(loss_d);
    check_finite(m.d_loss, "the discriminator loss", step_);
    m.grad_norm_d = grad_norm(discriminator_->parameters());
  }
  optimizer_d_->step();
  // One sign pass serves the logged r_t and ADA; ADA reads it from the device once per interval.
  // With LeCam, the sums of D's scores travel with it: over the global batch, one small
  // all-reduce per update with several ranks.
  // --ada-per-class adds the signs and the image counts per class ([K] each).
  const torch::Tensor signs = d_real.logits.detach().sign().reshape({-1});  // [B/R]
  std::vector<torch::Tensor> sums{signs.sum().reshape({1})};
  if (lecam_) {
    sums.push_back(d_real.logits.detach().sum().reshape({1}));
    sums.push_back(d_fake.logits.detach().sum().reshape({1}));
  }
  const bool ada_rt = ada_ && config_.ada_heuristic == AdaHeuristic::kRt;
  const bool per_class = ada_rt && ada_->groups() > 1;
  if (per_class) {
    const torch::Tensor zeros = torch::zeros({num_classes_}, signs.options());
    sums.push_back(zeros.index_add(0, real_labels, signs));
    sums.push_back(zeros.index_add(0, real_labels, torch::ones_like(signs)));
  }
  if (group_ != nullptr && (ada_rt || measure || lecam_)) {
    torch::Tensor all = torch::cat(sums).to(torch::kFloat).contiguous();  // [1, 3, +2K]
    group_->all_reduce_sum(all, "the real images' signs and D's scores");
    int64_t offset = 0;
    for (torch::Tensor& sum : sums) {
      const int64_t n = sum.size(0);
      sum = all.narrow(0, offset, n);
      offset += n;
    }
  }
  const torch::Tensor sign_sum = sums[0].reshape({});
  if (lecam_) lecam_->observe(sums[1].reshape({}) / batch, sums[2].reshape({}) / batch);
  if (per_class) {
    ada_->observe(sums[sums.size() - 2], sums.back());
  } else if (ada_rt) {
    ada_->observe(sign_sum, batch);
  }
  if (measure) {
    m.d_real = global_mean(score(config_.loss, d_real.logits.detach()));
    m.r_t = sign_sum.item<double>() / static_cast<double>(batch);
    m.d_fake = global_mean(score(config_.loss, d_fake.logits.detach()));
  }
  return fake;
}

GanStepMetrics GanTrainer::train_step(bool measure, bool stop_requested) {
  // The group is seen by the layers that cover the global batch (SyncBatchNorm2d, the minibatch
  // standard deviation) for this step only: sampling between steps is rank 0's alone.
  dist::ActiveGroup active(group_);
  synchronise_weights();
  generator_->train();
  discriminator_->train();
  GanStepMetrics m;
  m.level = grow();
  // d_steps discriminator updates (SNGAN's n_dis), each on its own real and fake batch; the
  // metrics are the last update's. The generator then learns from the last update's fakes.
  FakeBatch fake;
  for (int64_t i = 0; i < config_.d_steps; ++i) {
    const bool last = i + 1 == config_.d_steps;
    fake = discriminator_update(m.level, /*keep_graph=*/last, measure && last, m);
  }

  // Generator update on the same fakes (as pytorch/examples' DCGAN: one G forward per step).
  optimizer_g_->zero_grad();
  const auto d_gen = discriminator_->forward(augment(fake.images, fake.labels), fake.labels);
  torch::Tensor loss_g = generator_loss(config_.loss, d_gen.logits);
  if (config_.arch == GanArch::kAcgan) {
    loss_g = loss_g + config_.aux_weight *
                          torch::nn::functional::cross_entropy(d_gen.class_logits, fake.labels);
  }
  if (spectrum_match_) {
    // On the generator's own images, before DiffAugment (the real reference is unaugmented).
    const torch::Tensor spectral = spectrum_match_->loss(fake.images, fake.labels);
    if (measure) m.spectral = spectral.item<double>();  // already the global batch's
    loss_g = loss_g + config_.spectral_weight * spectral;
  }
  // Gradients for G's parameters only: D's weight gradients would be discarded (D's next update
  // zeroes them first), and skipping them saves about a third of D's backward pass here.
  torch::autograd::backward({loss_g}, {}, c10::nullopt, false, generator_->parameters());
  // The stop requests travel with G's gradients: every rank stops after this step.
  m.stop = average_gradients(generator_->parameters(), stop_requested);
  if (measure) {
    m.g_loss = global_mean(loss_g);
    check_finite(m.g_loss, "the generator loss", step_);
    m.grad_norm_g = grad_norm(generator_->parameters());
  }
  optimizer_g_->step();
  if (ema_) ema_->update(generator_, step_);
  const bool rv = config_.ada_heuristic == AdaHeuristic::kRv;
  if (ada_ && rv && (step_ + 1) % kOverfitProbeEvery == 0) observe_overfit();
  m.ada_p = ada_p();
  if (ada_ && ada_->groups() > 1) m.ada_p_per_class = ada_->group_p();
  if (ada_ && rv) m.r_v_per_class = ada_->group_last_r_t();
  if (ada_ && !rv && ada_->groups() > 1) m.r_t_per_class = ada_->group_last_r_t();
  m.step = ++step_;
  return m;
}

// The sampling generator's BatchNorm running statistics lag its weights, and the EMA copy's are
// the raw generator's (batch_norm_statistics.h). Sample grids and --eval-every scores used to
// swing with them (KID x 1000 54 -> 21 within 52 steps of an EMA 0.999 ResNet run), so a Sampler
// samples with standing statistics, as `skingan generate` does, recomputed once when it is made,
// and puts the running statistics back when it ends: training, checkpoints and resume are
// unchanged. Their draws have a fixed seed, so the weights alone decide the samples (a loaded
// checkpoint samples as the run that saved it).
GanTrainer::Sampler::Sampler(GanTrainer& trainer, bool use_ema)
    : trainer_(trainer),
      generator_(use_ema && trainer.ema_ ? trainer.ema_->model() : trainer.generator_),
      was_training_(generator_->is_training()),
      running_(*generator_) {
  torch::NoGradGuard no_grad;
  models::recompute_batch_norm_statistics(generator_, models::kStandingBatches,
                                          models::kStandingBatchSize, /*seed=*/1, trainer.device_);
  generator_->eval();
}

GanTrainer::Sampler::~Sampler() {
  if (was_training_) generator_->train();  // running_ then puts the buffers back
}

torch::Tensor GanTrainer::Sampler::generate(const torch::Tensor& z,
                                            const torch::Tensor& labels) const {
  torch::NoGradGuard no_grad;
  const torch::Tensor labels_on_device =
      is_conditional(trainer_.config_) ? labels.to(trainer_.device_) : torch::Tensor();
  return generator_->forward(z.to(trainer_.device_), labels_on_device);
}

torch::Tensor GanTrainer::generate(const torch::Tensor& z, const torch::Tensor& labels,
                                   bool use_ema) {
  return Sampler(*this, use_ema).generate(z, labels);
}

}  // namespace skingan::train
