#include "train/gan_trainer.h"

#include <cmath>
#include <limits>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/exception_message.h"
#include "core/host_to_device.h"
#include "io/archive_code.h"
#include "io/archive_file.h"
#include "io/json_fields.h"
#include "models/gan/batch_norm_statistics.h"
#include "models/gan/gan_checkpoint.h"
#include "train/gan_losses.h"
#include "train/growth_schedule.h"

namespace fs = std::filesystem;

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

double score(GanLoss loss, const torch::Tensor& logits) {
  return (loss == GanLoss::kBce ? torch::sigmoid(logits) : logits).mean().item<double>();
}

void check_finite(double value, const char* what, int64_t step) {
  if (!std::isfinite(value)) {
    throw TrainingDiverged(
        std::string(what) + " became " + std::to_string(value) + " at step " +
        std::to_string(step) +
        ". Training stopped; the last checkpoint on disk is the last good state. "
        "Lower the learning rates, add --r1 or spectral norm, and resume or restart.");
  }
}

// One device read for the whole module.
void check_finite_weights(const std::vector<torch::Tensor>& parameters, const char* what,
                          int64_t step) {
  std::vector<torch::Tensor> finite;
  for (const auto& p : parameters) finite.push_back(torch::isfinite(p).all());
  if (!finite.empty() && !torch::stack(finite).all().item<bool>()) {
    check_finite(std::numeric_limits<double>::quiet_NaN(), what, step);
  }
}

}  // namespace

GanTrainer::GanTrainer(const GanConfig& config, const torch::Tensor& images,
                       const torch::Tensor& labels, int64_t num_classes, torch::Device device)
    : config_(config),
      device_(device),
      channels_last_(device.is_cpu()),
      num_classes_(num_classes),
      sampler_(labels, num_classes, config.balanced_sampling && is_conditional(config)),
      rng_(at::make_generator<at::CPUGeneratorImpl>(config.seed)) {
  validate(config_);
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
    ada_ =
        std::make_unique<AdaController>(config_.ada_target, config_.ada_kimg, config_.batch_size);
  }
  use_fast_layout();
  optimizer_g_ = std::make_unique<torch::optim::Adam>(
      generator_->parameters(),
      torch::optim::AdamOptions(config_.lr_g).betas({config_.beta1, config_.beta2}));
  optimizer_d_ = std::make_unique<torch::optim::Adam>(
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

torch::Tensor GanTrainer::augment(const torch::Tensor& x) {
  if (!config_.diff_augment.any()) return x;
  return augment::diff_augment(x, config_.diff_augment, rng_, ada_ ? ada_->p() : 1.0);
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
  const int64_t batch = config_.batch_size;
  const torch::Tensor indices = sampler_.next(batch, rng_);
  torch::Tensor real = real_batch(indices);  // [B,3,S,S]
  // Real images at the level's resolution, faded like the generator's output (Karras et al.).
  if (level >= 0) real = models::fade_images(real, level);
  const torch::Tensor real_labels = to_device(labels_.index_select(0, indices), device_);  // [B]
  const torch::Tensor z =
      to_device(torch::randn({batch, config_.latent_dim}, rng_, torch::kFloat), device_);
  FakeBatch fake;
  fake.labels = is_conditional(config_) ? to_device(sampler_.sample_labels(batch, rng_), device_)
                                        : torch::Tensor();
  {
    // Only the generator update's fakes need a graph back to G.
    torch::AutoGradMode grad_mode(keep_graph);
    fake.images = generator_->forward(z, fake.labels);  // [B,3,S,S]
  }

  optimizer_d_->zero_grad();
  torch::Tensor real_input = augment(real);
  // Lazy R1 (Karras et al. 2020, StyleGAN2): every r1_every steps, weighted r1_every times.
  const bool r1_now = config_.r1_gamma > 0 && step_ % config_.r1_every == 0;
  if (r1_now) real_input = real_input.detach().requires_grad_(true);
  const auto d_real = discriminator_->forward(real_input, real_labels);
  const torch::Tensor fake_input = augment(fake.images.detach());
  const auto d_fake = discriminator_->forward(fake_input, fake.labels);
  torch::Tensor loss_d =
      discriminator_loss(config_.loss, d_real.logits, d_fake.logits, config_.label_smoothing);
  if (config_.arch == GanArch::kAcgan) {
    loss_d = loss_d + config_.aux_weight *
                          (torch::nn::functional::cross_entropy(d_real.class_logits, real_labels) +
                           torch::nn::functional::cross_entropy(d_fake.class_logits, fake.labels));
    if (measure) {
      m.aux_accuracy =
          (d_real.class_logits.argmax(1) == real_labels).to(torch::kFloat).mean().item<double>();
    }
  }
  if (r1_now) {
    const torch::Tensor r1 = r1_penalty(real_input, d_real.logits);
    if (measure) m.r1 = r1.item<double>();
    loss_d = loss_d + 0.5 * config_.r1_gamma * static_cast<double>(config_.r1_every) * r1;
  }
  if (config_.loss == GanLoss::kWganGp) {
    // On what the critic saw (augmented images), with the real images' classes.
    const torch::Tensor gp = gradient_penalty(
        [&](const torch::Tensor& x) { return discriminator_->forward(x, real_labels).logits; },
        real_input, fake_input, rng_);
    if (measure) m.gp = gp.item<double>();
    loss_d = loss_d + config_.gp_weight * gp;
  }
  loss_d.backward();
  if (measure) {
    m.d_loss = loss_d.item<double>();
    check_finite(m.d_loss, "the discriminator loss", step_);
    m.grad_norm_d = grad_norm(discriminator_->parameters());
  }
  optimizer_d_->step();
  // One sign pass serves the logged r_t and ADA; ADA reads it from the device once per interval.
  const torch::Tensor sign_sum = d_real.logits.detach().sign().sum();
  if (ada_) ada_->observe(sign_sum, batch);
  if (measure) {
    m.d_real = score(config_.loss, d_real.logits.detach());
    m.r_t = sign_sum.item<double>() / static_cast<double>(batch);
    m.d_fake = score(config_.loss, d_fake.logits.detach());
  }
  return fake;
}

GanStepMetrics GanTrainer::train_step(bool measure) {
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
  const auto d_gen = discriminator_->forward(augment(fake.images), fake.labels);
  torch::Tensor loss_g = generator_loss(config_.loss, d_gen.logits);
  if (config_.arch == GanArch::kAcgan) {
    loss_g = loss_g + config_.aux_weight *
                          torch::nn::functional::cross_entropy(d_gen.class_logits, fake.labels);
  }
  // Gradients for G's parameters only: D's weight gradients would be discarded (D's next update
  // zeroes them first), and skipping them saves about a third of D's backward pass here.
  torch::autograd::backward({loss_g}, {}, c10::nullopt, false, generator_->parameters());
  if (measure) {
    m.g_loss = loss_g.item<double>();
    check_finite(m.g_loss, "the generator loss", step_);
    m.grad_norm_g = grad_norm(generator_->parameters());
  }
  optimizer_g_->step();
  if (ema_) ema_->update(generator_, step_);
  m.ada_p = ada_p();
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
      was_training_(generator_->is_training()) {
  torch::NoGradGuard no_grad;
  for (const auto& b : generator_->buffers()) running_.push_back(b.clone());
  models::recompute_batch_norm_statistics(generator_, models::kStandingBatches,
                                          models::kStandingBatchSize, /*seed=*/1, trainer.device_);
  generator_->eval();
}

GanTrainer::Sampler::~Sampler() {
  torch::NoGradGuard no_grad;
  const std::vector<torch::Tensor> buffers = generator_->buffers();
  for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(running_[i]);
  if (was_training_) generator_->train();
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

void GanTrainer::save(const fs::path& path) const {
  // Steps that were not measured did not check their losses: a checkpoint is the last good state,
  // so weights that are no longer finite are never written.
  check_finite_weights(generator_->parameters(), "the generator's weights", step_);
  check_finite_weights(discriminator_->parameters(), "the discriminator's weights", step_);
  torch::serialize::OutputArchive archive;
  auto sub = [&](const char* key, auto&& save_into) {
    torch::serialize::OutputArchive part;
    save_into(part);
    archive.write(key, part);
  };
  sub("generator", [&](auto& a) { generator_->save(a); });
  sub("discriminator", [&](auto& a) { discriminator_->save(a); });
  if (ema_) sub("generator_ema", [&](auto& a) { ema_->model()->save(a); });
  sub("optimizer_g", [&](auto& a) { optimizer_g_->save(a); });
  sub("optimizer_d", [&](auto& a) { optimizer_d_->save(a); });
  archive.write("step", torch::tensor({step_}, torch::kLong));
  archive.write("rng", rng_.get_state());
  archive.write("sampler", sampler_.state());
  if (ada_) archive.write("ada", ada_->state());
  archive.write("fixed_noise", fixed_noise_);
  archive.write("fixed_labels", fixed_labels_);
  archive.write("num_classes", torch::tensor({num_classes_}, torch::kLong));
  archive.write("config", c10::IValue(to_json(config_).dump()));
  io::save_archive_atomic(archive, path);
}

void GanTrainer::load(const fs::path& path) {
  torch::serialize::InputArchive archive;
  try {
    io::load_archive(archive, path, device_);
  } catch (const CheckpointError&) {
    throw;  // code the loader must not parse, named by record and line
  } catch (const std::exception& e) {
    throw CheckpointError(describe_problem(
        "checkpoint " + path.string(), "an unreadable file", "a skingan GAN checkpoint",
        "The file is damaged; resume from an earlier checkpoint."));
  }
  c10::IValue config_value;
  if (!archive.try_read("config", config_value) || !config_value.isString()) {
    throw CheckpointError(path.string() + " is not a skingan GAN checkpoint (no config).");
  }
  const std::string fix = "The file is damaged; resume from an earlier checkpoint.";
  const auto saved_json =
      io::parse_json_object<CheckpointError>(config_value.toStringRef(), path.string(), fix);
  const GanConfig saved = io::read_json_fields<CheckpointError>(
      path.string(), fix, [&] { return gan_config_from_json(saved_json); });
  torch::Tensor classes;
  archive.read("num_classes", classes);
  auto differs = [&](const std::string& what, const std::string& found,
                     const std::string& expected) {
    throw CheckpointError(describe_problem(
        "checkpoint " + path.string() + " has another " + what, found, expected + " (this run's)",
        "Resume with the run's own settings, or start a new run."));
  };
  if (saved.arch != config_.arch)
    differs("architecture", gan_arch_name(saved.arch), gan_arch_name(config_.arch));
  if (saved.image_size != config_.image_size)
    differs("image size", std::to_string(saved.image_size), std::to_string(config_.image_size));
  if (saved.g_channels != config_.g_channels || saved.d_channels != config_.d_channels ||
      saved.latent_dim != config_.latent_dim) {
    differs(
        "width",
        "g/d channels " + std::to_string(saved.g_channels) + "/" + std::to_string(saved.d_channels),
        "g/d channels " + std::to_string(config_.g_channels) + "/" +
            std::to_string(config_.d_channels));
  }
  if (classes.item<int64_t>() != num_classes_)
    differs("class count", std::to_string(classes.item<int64_t>()), std::to_string(num_classes_));
  auto sub = [&](const char* key, auto&& load_from) {
    torch::serialize::InputArchive part;
    archive.read(key, part);
    load_from(part);
  };
  sub("generator", [&](auto& a) { generator_->load(a); });
  sub("discriminator", [&](auto& a) { discriminator_->load(a); });
  if (ema_) sub("generator_ema", [&](auto& a) { ema_->model()->load(a); });
  sub("optimizer_g", [&](auto& a) { optimizer_g_->load(a); });
  sub("optimizer_d", [&](auto& a) { optimizer_d_->load(a); });
  torch::Tensor step, rng_state, sampler_state;
  archive.read("step", step);
  archive.read("rng", rng_state);
  archive.read("sampler", sampler_state);
  archive.read("fixed_noise", fixed_noise_);
  archive.read("fixed_labels", fixed_labels_);
  step_ = step.item<int64_t>();
  rng_.set_state(rng_state.to(torch::kCPU));
  sampler_.load_state(sampler_state);
  if (ada_) {
    torch::Tensor ada_state;
    if (!archive.try_read("ada", ada_state)) {
      throw CheckpointError(describe_problem("checkpoint " + path.string(), "no ADA state",
                                             "the state of this run's --ada-target",
                                             "Resume with the settings the run was started with."));
    }
    ada_->load_state(ada_state);
  }
  fixed_noise_ = fixed_noise_.to(torch::kCPU);
  fixed_labels_ = fixed_labels_.to(torch::kCPU);
  use_fast_layout();  // a checkpoint written before channels-last arrives NCHW
}

}  // namespace skingan::train
