#include "train/gan_config.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/text.h"

namespace skingan::train {

GanLoss parse_gan_loss(const std::string& name) {
  if (name == "bce") return GanLoss::kBce;
  if (name == "hinge") return GanLoss::kHinge;
  if (name == "lsgan") return GanLoss::kLsgan;
  if (name == "wgan-gp") return GanLoss::kWganGp;
  throw ConfigError(
      describe_problem("--loss", "'" + name + "'", "bce, hinge, lsgan or wgan-gp", ""));
}

AdaHeuristic parse_ada_heuristic(const std::string& name) {
  if (name == "rt") return AdaHeuristic::kRt;
  if (name == "rv") return AdaHeuristic::kRv;
  throw ConfigError(describe_problem("--ada-heuristic", "'" + name + "'",
                                     "rt (the training batches' signs) or rv (D's memorisation "
                                     "measured on the real validation images)",
                                     ""));
}

std::string ada_heuristic_name(AdaHeuristic heuristic) {
  return heuristic == AdaHeuristic::kRv ? "rv" : "rt";
}

std::string gan_loss_name(GanLoss loss) {
  switch (loss) {
    case GanLoss::kBce:
      return "bce";
    case GanLoss::kHinge:
      return "hinge";
    case GanLoss::kLsgan:
      return "lsgan";
    case GanLoss::kWganGp:
      return "wgan-gp";
  }
  return "?";
}

models::GanModelConfig model_config(const GanConfig& c) {
  models::GanModelConfig m;
  m.arch = c.arch;
  m.image_size = c.image_size;
  m.latent_dim = c.latent_dim;
  m.g_channels = c.g_channels;
  m.d_channels = c.d_channels;
  m.spectral_norm = c.spectral_norm;
  m.upsample = c.upsample;
  m.minibatch_stddev = c.minibatch_stddev;
  m.per_class = c.per_class;
  m.has_ema = c.ema_decay > 0;
  m.seed = c.seed;
  return m;
}

bool is_conditional(const GanConfig& config) {
  return models::is_conditional(model_config(config));
}

int64_t phase_images(const GanConfig& config) { return std::llround(config.phase_kimg * 1000.0); }

int64_t discriminator_images(const GanConfig& config, int64_t steps) {
  return steps * config.batch_size * config.d_steps;
}

int64_t steps_for(const GanConfig& config, int64_t images) {
  if (config.epochs <= 0) return config.steps;
  return config.epochs * std::max<int64_t>(1, images / config.batch_size);
}

GanConfig default_gan_config(GanArch arch) {
  GanConfig c;
  c.arch = arch;
  c.diff_augment = augment::parse_diff_augment("color,translation");
  // Measured on HAM10000 (issue 12): at the same steps, seed and data the DCGAN's recall went
  // from 0.07 to 0.63 and its FID from 7.1 to 3.7 with resize upsampling; the lattice went.
  c.upsample = models::Upsample::kResizeConv;
  if (arch == GanArch::kAcgan) c.balanced_sampling = true;
  if (arch == GanArch::kCgan || arch == GanArch::kResnet) {
    c.loss = GanLoss::kHinge;
    c.spectral_norm = true;
    c.lr_g = 1e-4;
    c.lr_d = 4e-4;
    c.beta1 = 0.0;
    c.beta2 = 0.9;
    c.diff_augment = augment::parse_diff_augment("color,translation,cutout");
    c.balanced_sampling = true;
  }
  if (arch == GanArch::kResnet) {
    c.ada_target = 0.6;
    c.d_steps = 2;
    c.lr_g = 5e-5;
    // Bilinear shortcuts: on HAM10000 (width 32, 1,500 steps, two training seeds x three draws)
    // the texture peak of the fine mesh fell 2.5-5x with FID, KID and recall level or better
    // (docs/scores_ham10000.md, section 16).
    c.upsample = models::Upsample::kSkipBilinear;
  }
  if (arch == GanArch::kFastgan) {
    // Liu et al.'s recipe: hinge loss, spectral norm in D, Adam 2e-4 with beta1 0.5 for both,
    // DiffAugment colour and translation, one D update per step.
    c.loss = GanLoss::kHinge;
    c.spectral_norm = true;
    c.lr_g = 2e-4;
    c.lr_d = 2e-4;
    c.beta1 = 0.5;
    c.beta2 = 0.999;
    c.balanced_sampling = true;
  }
  if (arch == GanArch::kProgan) {
    c.r1_gamma = 0.1;
    c.r1_every = 16;
    c.lr_g = 1e-3;
    c.lr_d = 1e-3;
    c.beta1 = 0.0;
    c.beta2 = 0.99;
    c.ada_target = 0.6;
    c.balanced_sampling = true;
  }
  return c;
}

void validate(const GanConfig& c) {
  auto refuse = [](const std::string& option, const std::string& found,
                   const std::string& expected) {
    throw ConfigError(describe_problem(option, found, expected, ""));
  };
  if (c.image_size != 32 && c.image_size != 64 && c.image_size != 128) {
    refuse(
        "image size", std::to_string(c.image_size),
        "32, 64 or 128 (a power of two the architectures support; prepare the set with --size 64)");
  }
  if (c.latent_dim < 1 || c.latent_dim > models::kMaxGanWidth) {
    refuse("--latent-dim", std::to_string(c.latent_dim),
           "1.." + std::to_string(models::kMaxGanWidth));
  }
  if (c.g_channels < 1 || c.g_channels > 1024)
    refuse("--g-channels", std::to_string(c.g_channels), "1..1024");
  if (c.d_channels < 1 || c.d_channels > 1024)
    refuse("--d-channels", std::to_string(c.d_channels), "1..1024");
  if (!(c.lr_g > 0) || !(c.lr_d > 0)) refuse("--lr-g/--lr-d", "a non-positive rate", "rates > 0");
  if (!(c.beta1 >= 0 && c.beta1 < 1) || !(c.beta2 >= 0 && c.beta2 < 1)) {
    refuse("--beta1/--beta2", std::to_string(c.beta1) + "/" + std::to_string(c.beta2),
           "values in [0,1)");
  }
  if (!(c.label_smoothing >= 0 && c.label_smoothing < 0.5)) {
    refuse("--label-smoothing", std::to_string(c.label_smoothing), "a value in [0, 0.5)");
  }
  if (!(c.r1_gamma >= 0)) refuse("--r1", std::to_string(c.r1_gamma), "a weight >= 0");
  if (c.r1_every < 1) refuse("--r1-every", std::to_string(c.r1_every), "a positive step count");
  if (!(c.gp_weight > 0)) refuse("--gp", std::to_string(c.gp_weight), "a weight > 0");
  if (!(c.spectral_weight >= 0 && c.spectral_weight <= 100)) {
    refuse("--spectral-loss", std::to_string(c.spectral_weight), "a weight in [0, 100]");
  }
  if (!(c.lecam_weight >= 0 && c.lecam_weight <= 100)) {
    refuse("--lecam", std::to_string(c.lecam_weight), "a weight in [0, 100]");
  }
  if (c.arch == GanArch::kProgan && c.spectral_weight > 0) {
    // Its images change resolution as it grows; the reference spectrum is the full-size one.
    refuse("--spectral-loss", "with --arch progan",
           "0 (the progressive GAN's image resolution changes as it grows)");
  }
  if (c.loss == GanLoss::kWganGp && c.ada_target > 0) {
    // r_t = E[sign D(real)] reads D's output as a decision around 0; a critic's output has no
    // such boundary (only differences between its values mean something).
    throw ConfigError(describe_problem(
        "--ada-target " + std::to_string(c.ada_target), "with --loss wgan-gp",
        "a loss whose logit separates real from fake at 0 (bce, hinge, lsgan) for ADA's r_t",
        "Add --ada-target 0 (the augmentations in --diffaugment then apply to every image)."));
  }
  if (c.loss == GanLoss::kWganGp && c.label_smoothing > 0) {
    refuse("--label-smoothing", std::to_string(c.label_smoothing), "0 with --loss wgan-gp");
  }
  if (c.d_steps < 1 || c.d_steps > 16)
    refuse("--d-steps", std::to_string(c.d_steps), "1..16 discriminator updates per step");
  if (!(c.ema_decay >= 0 && c.ema_decay < 1))
    refuse("--ema", std::to_string(c.ema_decay), "a decay in [0,1)");
  if (!(c.ada_target >= 0 && c.ada_target < 1))
    refuse("--ada-target", std::to_string(c.ada_target), "0 (off) or a target r_t in (0,1)");
  if (c.ada_target > 0 && !c.diff_augment.any()) {
    throw ConfigError(
        describe_problem("--ada-target " + std::to_string(c.ada_target), "with --diffaugment none",
                         "augmentations for ADA to apply",
                         "Add --diffaugment color,translation (or drop --ada-target)."));
  }
  if (c.ada_kimg < 1) refuse("--ada-kimg", std::to_string(c.ada_kimg), "a positive count");
  if (c.ada_heuristic == AdaHeuristic::kRv && c.ada_target <= 0) {
    throw ConfigError(describe_problem("--ada-heuristic rv", "without --ada-target",
                                       "a target r_v for ADA to steer towards",
                                       "Add --ada-target 0.4 (or drop --ada-heuristic)."));
  }
  if (c.ada_per_class && c.ada_target <= 0) {
    throw ConfigError(describe_problem("--ada-per-class", "without --ada-target",
                                       "a target r_t for each class's p",
                                       "Add --ada-target 0.6 (or drop --ada-per-class)."));
  }
  if (c.ada_per_class && !is_conditional(c)) {
    // One unconditional GAN per class (--per-class), or one for all classes: D never sees which
    // class an image belongs to, and each per-class GAN has its own p already.
    throw ConfigError(describe_problem(
        "--ada-per-class",
        "with an unconditional GAN (" + gan_arch_name(c.arch) +
            (c.per_class ? " --per-class" : "") + ")",
        "a conditional GAN (cgan, acgan, resnet, fastgan or progan without --per-class)",
        c.per_class ? "Drop --ada-per-class: each per-class GAN steers its own p already."
                    : "Drop --ada-per-class."));
  }
  if (!(c.balance_power >= 0 && c.balance_power <= 1)) {
    refuse("--balance-power", std::to_string(c.balance_power),
           "a power q in [0, 1] (0: every class equally often, 0.5: square-root, 1: as often as "
           "its images)");
  }
  if (c.balance_power > 0 && !(c.balanced_sampling && is_conditional(c))) {
    throw ConfigError(describe_problem(
        "--balance-power " + number_text(c.balance_power),
        "with " + gan_arch_name(c.arch) + (c.per_class ? " --per-class" : "") +
            ", which draws its real images without regard to their classes",
        "a conditional GAN with class-balanced sampling (acgan, cgan, progan, resnet or fastgan "
        "without --per-class)",
        "Drop --balance-power."));
  }
  if (c.batch_size < 2 || c.batch_size > 4096)
    refuse("--batch-size", std::to_string(c.batch_size), "2..4096");
  if (c.steps < 1 || c.epochs < 0)
    refuse("--steps/--epochs", std::to_string(c.steps) + "/" + std::to_string(c.epochs),
           "at least one step");
  if (c.eval_every < 0 || (c.eval_every > 0 && c.eval_features.empty())) {
    throw ConfigError(describe_problem(
        "--eval-every " + std::to_string(c.eval_every),
        c.eval_every < 0 ? "a negative interval" : "no feature model",
        "0 (off), or a step interval together with --eval-features MODEL",
        "Train a classifier on the real set (`skingan train-classifier`) and pass its folder "
        "with --eval-features."));
  }
  if (c.eval_images < 4) {
    throw ConfigError(describe_problem("--eval-images " + std::to_string(c.eval_images),
                                       "fewer than 4", "at least 4 (KID's minimum)", ""));
  }
  if (c.log_every < 1 || c.sample_every < 1 || c.checkpoint_every < 1) {
    refuse("--log-every/--sample-every/--checkpoint-every", "a value < 1", "positive step counts");
  }
  if (!(c.phase_kimg >= 0)) {
    refuse("--phase-kimg", std::to_string(c.phase_kimg),
           "a count of thousands of images, or 0 (no growing: the image size from the start)");
  }
  if (c.arch == GanArch::kProgan && c.spectral_norm) {
    refuse("--spectral-norm", "with --arch progan",
           "no spectral norm (the progressive GAN equalises its learning rate instead)");
  }
  if (c.arch == GanArch::kProgan && c.upsample != models::Upsample::kResizeConv) {
    refuse("--upsample " + models::upsample_name(c.upsample), "with --arch progan",
           "resize (the progressive GAN upsamples by nearest x2 as in Karras et al.)");
  }
  if ((c.arch == GanArch::kResnet || c.arch == GanArch::kFastgan) &&
      c.upsample == models::Upsample::kTransposed) {
    refuse("--upsample transposed", "with --arch " + gan_arch_name(c.arch),
           "resize or bilinear (its blocks resize, then convolve)");
  }
  if (c.arch != GanArch::kResnet && c.minibatch_stddev) {
    refuse("--minibatch-stddev", "with --arch " + gan_arch_name(c.arch),
           "--arch resnet (the progressive discriminator always has it)");
  }
  if (c.arch != GanArch::kResnet && models::resizes_residual_shortcuts(c.upsample)) {
    refuse("--upsample " + models::upsample_name(c.upsample),
           "with --arch " + gan_arch_name(c.arch),
           "--arch resnet (only its blocks have residual shortcuts), or resize or bilinear");
  }
  if (c.arch == GanArch::kFastgan && c.loss == GanLoss::kWganGp) {
    refuse("--loss wgan-gp", "with --arch fastgan",
           "hinge or bce (its discriminator's BatchNorm mixes the samples that the gradient "
           "penalty must treat one by one)");
  }
  if (c.per_class && (c.arch == GanArch::kAcgan || c.arch == GanArch::kCgan)) {
    refuse("--per-class", "--arch " + gan_arch_name(c.arch),
           "--arch dcgan, progan, resnet or fastgan (acgan and cgan model every class in one "
           "network)");
  }
}

nlohmann::json to_json(const GanConfig& c) {
  return {{"arch", gan_arch_name(c.arch)},
          {"image_size", c.image_size},
          {"latent_dim", c.latent_dim},
          {"g_channels", c.g_channels},
          {"d_channels", c.d_channels},
          {"loss", gan_loss_name(c.loss)},
          {"lr_g", c.lr_g},
          {"lr_d", c.lr_d},
          {"beta1", c.beta1},
          {"beta2", c.beta2},
          {"label_smoothing", c.label_smoothing},
          {"spectral_norm", c.spectral_norm},
          {"minibatch_stddev", c.minibatch_stddev},
          {"r1_gamma", c.r1_gamma},
          {"r1_every", c.r1_every},
          {"d_steps", c.d_steps},
          {"gp_weight", c.gp_weight},
          {"spectral_weight", c.spectral_weight},
          {"lecam_weight", c.lecam_weight},
          {"diff_augment", augment::to_string(c.diff_augment)},
          {"ema_decay", c.ema_decay},
          {"ada_target", c.ada_target},
          {"ada_kimg", c.ada_kimg},
          {"ada_per_class", c.ada_per_class},
          {"ada_heuristic", ada_heuristic_name(c.ada_heuristic)},
          {"upsample", models::upsample_name(c.upsample)},
          {"phase_kimg", c.phase_kimg},
          {"balanced_sampling", c.balanced_sampling},
          {"balance_power", c.balance_power},
          {"aux_weight", c.aux_weight},
          {"batch_size", c.batch_size},
          {"steps", c.steps},
          {"epochs", c.epochs},
          {"seed", c.seed},
          {"log_every", c.log_every},
          {"sample_every", c.sample_every},
          {"checkpoint_every", c.checkpoint_every},
          {"keep_checkpoints", c.keep_checkpoints},
          {"eval_every", c.eval_every},
          {"eval_features", c.eval_features},
          {"eval_images", c.eval_images},
          {"per_class", c.per_class},
          {"classes", c.classes}};
}

GanConfig gan_config_from_json(const nlohmann::json& j) {
  // The model fields as the checkpoint reader reads them, then the trainer's own.
  const models::GanModelConfig m = models::gan_model_config_from_json(j);
  GanConfig c = default_gan_config(m.arch);
  c.image_size = m.image_size;
  c.latent_dim = m.latent_dim;
  c.g_channels = m.g_channels;
  c.d_channels = m.d_channels;
  c.spectral_norm = m.spectral_norm;
  c.upsample = m.upsample;
  c.minibatch_stddev = m.minibatch_stddev;
  c.per_class = m.per_class;
  c.seed = m.seed;
  c.loss = parse_gan_loss(j.at("loss").get<std::string>());
  c.lr_g = j.at("lr_g");
  c.lr_d = j.at("lr_d");
  c.beta1 = j.at("beta1");
  c.beta2 = j.at("beta2");
  c.label_smoothing = j.at("label_smoothing");
  c.r1_gamma = j.at("r1_gamma");
  c.diff_augment = augment::parse_diff_augment(j.at("diff_augment").get<std::string>());
  c.ema_decay = j.at("ema_decay");
  c.balanced_sampling = j.at("balanced_sampling");
  c.balance_power = j.value("balance_power", 0.0);  // absent before --balance-power existed
  c.aux_weight = j.at("aux_weight");
  c.batch_size = j.at("batch_size");
  c.steps = j.at("steps");
  c.epochs = j.at("epochs");
  c.log_every = j.at("log_every");
  c.sample_every = j.at("sample_every");
  c.checkpoint_every = j.at("checkpoint_every");
  c.keep_checkpoints = j.at("keep_checkpoints");
  // Absent in runs written before scoring during training existed.
  c.eval_every = j.value("eval_every", int64_t{0});
  c.eval_features = j.value("eval_features", std::string());
  c.eval_images = j.value("eval_images", int64_t{250});
  // Absent in runs written before ADA and resize upsampling existed.
  c.ada_target = j.value("ada_target", 0.0);
  c.ada_kimg = j.value("ada_kimg", int64_t{100});
  c.ada_per_class = j.value("ada_per_class", false);  // absent before --ada-per-class existed
  c.ada_heuristic = parse_ada_heuristic(j.value("ada_heuristic", std::string("rt")));
  c.phase_kimg = j.value("phase_kimg", 10.0);
  c.r1_every = j.value("r1_every", int64_t{1});
  c.d_steps = j.value("d_steps", int64_t{1});           // absent before --d-steps existed
  c.gp_weight = j.value("gp_weight", 10.0);             // absent before --loss wgan-gp existed
  c.spectral_weight = j.value("spectral_weight", 0.0);  // absent before --spectral-loss existed
  c.lecam_weight = j.value("lecam_weight", 0.0);        // absent before --lecam existed
  c.classes = j.at("classes").get<std::vector<std::string>>();
  return c;
}

}  // namespace skingan::train
