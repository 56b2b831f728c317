#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"

namespace skingan::cli {

CLI::App* add_train_gan_command(CLI::App& app, TrainGanArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "train-gan", "train a GAN (dcgan, acgan, cgan, progan or resnet) on a prepared set");
  args.command = cmd;
  cmd->add_option("set", args.set, "prepared set (its train split is used)")->required();
  cmd->add_option("-o,--output", args.output, "run folder")->required();
  cmd->add_option("--arch", args.arch,
                  "dcgan, acgan, cgan, progan (progressive growing, Karras et al. 2018), resnet "
                  "(residual blocks, SNGAN/BigGAN style) or fastgan (skip-layer excitation and a "
                  "self-supervised discriminator, Liu et al. 2021; 32 px and up)")
      ->required();
  cmd->add_option("--epochs", args.epochs, "epochs over each GAN's training images");
  cmd->add_option("--steps", args.steps, "training steps per GAN (default 2000 unless --epochs)");
  cmd->add_option("--batch-size", args.batch_size,
                  "images per batch and process (default 64; under torchrun/srun the global batch "
                  "is this times the processes)");
  cmd->add_option("--g-channels", args.g_channels, "generator width, ngf (default 64)");
  cmd->add_option("--d-channels", args.d_channels, "discriminator width, ndf (default 64)");
  cmd->add_option("--latent-dim", args.latent_dim, "noise size (default 100)");
  cmd->add_option("--loss", args.loss,
                  "bce, hinge, lsgan or wgan-gp (Wasserstein with gradient penalty and the "
                  "progressive GAN's drift term; default: per architecture)");
  cmd->add_option("--gp", args.gp, "wgan-gp: gradient penalty weight lambda (default 10)");
  cmd->add_option("--lr-g", args.lr_g, "generator learning rate");
  cmd->add_option("--lr-d", args.lr_d, "discriminator learning rate");
  cmd->add_option("--beta1", args.beta1, "Adam beta1");
  cmd->add_option("--beta2", args.beta2, "Adam beta2");
  cmd->add_option("--label-smoothing", args.label_smoothing, "one-sided: real target 1 - s");
  cmd->add_flag("--spectral-norm", args.spectral_norm, "spectral norm in D (default for cgan)");
  cmd->add_flag("--no-spectral-norm", args.no_spectral_norm, "no spectral norm in D");
  cmd->add_flag("--minibatch-stddev", args.minibatch_stddev,
                "resnet: D sees the standard deviation over each class's samples in the batch "
                "(against a class drawn as one lesion whatever z)");
  cmd->add_option("--r1", args.r1, "R1 penalty weight gamma (0 = off)");
  cmd->add_option("--r1-every", args.r1_every,
                  "lazy R1: the penalty every N steps, weighted N times (default 1; progan 16)");
  cmd->add_option("--d-steps", args.d_steps,
                  "discriminator updates per generator update, each on new batches (SNGAN's "
                  "n_dis; default 1, resnet 2)");
  cmd->add_option("--spectral-loss", args.spectral_loss,
                  "weight of a spectral term in G's loss: the smooth-L1 distance of the "
                  "generated batch's log power spectrum from the real images' of the same "
                  "classes, against upsampling mesh and blur (0 = off, the default; not progan)");
  cmd->add_option("--lecam", args.lecam,
                  "weight of LeCam regularisation in D's loss (Tseng et al. 2021): D's scores on "
                  "real images pulled towards its moving average on fakes and back, against a D "
                  "that memorises a small set (0 = off, the default; the paper used 0.3)");
  cmd->add_option("--diffaugment", args.diffaugment,
                  "DiffAugment policy: color,translation,cutout or none");
  cmd->add_option("--ema", args.ema, "generator EMA decay (0 = off, default 0.999)");
  cmd->add_option("--ada-target", args.ada_target,
                  "adaptive augmentation (StyleGAN2-ADA): apply --diffaugment to each image with a "
                  "probability p steered so that r_t = E[sign D(real)] tends to this target, e.g. "
                  "0.6 (0 = off: every image)");
  cmd->add_option("--ada-kimg", args.ada_kimg,
                  "ADA speed: p can move from 0 to 1 within this many thousand real images (100)");
  cmd->add_option("--ada-heuristic", args.ada_heuristic,
                  "what steers ADA's p: rt (E[sign D(real)] on the training batches, the paper's "
                  "and the default) or rv (every 16 steps, D's memorisation r_v = (D(train) - "
                  "D(val)) / (D(train) - D(fake)) on the real validation images; --ada-target is "
                  "then a target r_v)")
      ->check(CLI::IsMember({"rt", "rv"}));
  cmd->add_flag("--ada-per-class", args.ada_per_class,
                "conditional GANs with --ada-target: one p per class, steered by that class's "
                "r_t, so the small classes D memorises first are augmented more (default: one p)");
  cmd->add_option("--balance-power", args.balance_power,
                  "conditional GANs with class-balanced sampling: draw class c with probability "
                  "n_c^Q / sum n_k^Q (0: every class equally often, the default; 0.5: square-root; "
                  "1: as often as its images), so a rare class's few images are repeated less");
  cmd->add_option("--upsample", args.upsample,
                  "generator upsampling: transposed (4x4 stride-2 transposed convolution), "
                  "resize (nearest x2 + 3x3 convolution, no checkerboard) or bilinear (bilinear "
                  "x2 + 3x3 convolution: also no fine mesh from the upsampling's mirror "
                  "frequencies; dcgan, acgan, cgan and resnet) or skip-bilinear (resnet: resize "
                  "in the residual branch, bilinear in the shortcut; its default) or "
                  "skip-bilinear-last (resnet: the same, but bilinear in the last block's branch "
                  "too)")
      ->check(CLI::IsMember(
          {"transposed", "resize", "bilinear", "skip-bilinear", "skip-bilinear-last"}));
  cmd->add_option("--phase-kimg", args.phase_kimg,
                  "progan: thousands of real images per growth phase (4x4, then a fade-in and a "
                  "training phase per resolution; 0 = no growing; default 10)");
  cmd->add_flag("--per-class", args.per_class,
                "dcgan, progan or resnet: one unconditional GAN per class (Frid-Adar et al. 2018)");
  cmd->add_option("--classes", args.classes, "train on these classes only")->delimiter(',');
  cmd->add_option("--seed", args.seed, "random seed");
  cmd->add_option("--log-every", args.log_every, "steps between metrics.jsonl lines");
  cmd->add_option("--sample-every", args.sample_every, "steps between sample grids");
  cmd->add_option("--checkpoint-every", args.checkpoint_every, "steps between checkpoints");
  cmd->add_option("--eval-every", args.eval_every,
                  "steps between scorings of the EMA generator (KID against the real validation "
                  "images; keeps best/checkpoint.pt for `generate --checkpoint best`; 0 = off)");
  cmd->add_option("--eval-features", args.eval_features,
                  "feature model for --eval-every: a train-classifier folder or TorchScript file");
  cmd->add_option("--eval-images", args.eval_images, "images per class per scoring (250)");
  cmd->add_flag("--resume", args.resume,
                "continue the run in --output from its latest checkpoints");
  cmd->add_flag("--force", args.force, "start over in an existing run folder");
  return cmd;
}

train::GanRunOptions to_gan_run_options(const TrainGanArgs& args, const Runtime& runtime) {
  const auto given = [&](const char* name) {
    return args.command && args.command->count(name) > 0;
  };
  train::GanConfig c = train::default_gan_config(train::parse_gan_arch(args.arch));
  if (given("--epochs")) c.epochs = args.epochs;
  if (given("--steps")) c.steps = args.steps;
  if (given("--epochs") && given("--steps")) {
    throw ConfigError("train-gan: give --epochs or --steps, not both.");
  }
  c.batch_size = args.batch_size;
  c.g_channels = args.g_channels;
  c.d_channels = args.d_channels;
  c.latent_dim = args.latent_dim;
  if (given("--loss")) c.loss = train::parse_gan_loss(args.loss);
  if (given("--lr-g")) c.lr_g = args.lr_g;
  if (given("--lr-d")) c.lr_d = args.lr_d;
  if (given("--beta1")) c.beta1 = args.beta1;
  if (given("--beta2")) c.beta2 = args.beta2;
  if (given("--label-smoothing")) c.label_smoothing = args.label_smoothing;
  if (args.spectral_norm && args.no_spectral_norm) {
    throw ConfigError("train-gan: --spectral-norm and --no-spectral-norm contradict each other.");
  }
  if (args.spectral_norm) c.spectral_norm = true;
  if (args.no_spectral_norm) c.spectral_norm = false;
  if (args.minibatch_stddev) c.minibatch_stddev = true;
  if (given("--r1")) c.r1_gamma = args.r1;
  if (given("--r1-every")) c.r1_every = args.r1_every;
  if (given("--d-steps")) c.d_steps = args.d_steps;
  if (given("--gp")) c.gp_weight = args.gp;
  if (given("--spectral-loss")) c.spectral_weight = args.spectral_loss;
  if (given("--lecam")) c.lecam_weight = args.lecam;
  if (given("--balance-power")) c.balance_power = args.balance_power;
  if (given("--diffaugment")) c.diff_augment = augment::parse_diff_augment(args.diffaugment);
  if (given("--ema")) c.ema_decay = args.ema;
  if (given("--ada-target")) c.ada_target = args.ada_target;
  if (given("--ada-kimg")) c.ada_kimg = args.ada_kimg;
  if (args.ada_per_class) c.ada_per_class = true;
  if (given("--ada-heuristic")) c.ada_heuristic = train::parse_ada_heuristic(args.ada_heuristic);
  if (given("--upsample")) c.upsample = models::parse_upsample(args.upsample);
  if (given("--phase-kimg")) c.phase_kimg = args.phase_kimg;
  c.per_class = args.per_class;
  c.classes = args.classes;
  c.seed = args.seed;
  c.log_every = args.log_every;
  c.sample_every = args.sample_every;
  c.checkpoint_every = args.checkpoint_every;
  c.eval_every = args.eval_every;
  c.eval_features = args.eval_features.empty()
                        ? std::string()
                        : std::filesystem::absolute(args.eval_features).lexically_normal().string();
  c.eval_images = args.eval_images;
  c.image_size = 64;  // replaced by the set's size; validated there
  train::validate(c);
  train::GanRunOptions options;
  options.set_dir = args.set;
  options.run_dir = args.output;
  options.config = c;
  options.resume = args.resume;
  options.force = args.force;
  options.device = runtime.device;
  options.progress = runtime.progress;
  if (args.resume && given("--steps")) options.new_steps = args.steps;
  if (args.resume && args.force)
    throw ConfigError("train-gan: --resume and --force contradict each other.");
  return options;
}

int run_train_gan(const TrainGanArgs& args, const Runtime& runtime) {
  const std::unique_ptr<dist::ProcessGroup> group = join_process_group(runtime, "train-gan");
  train::GanRunOptions options = to_gan_run_options(args, runtime);
  options.group = group.get();
  const train::GanRunResult result = train::run_gan_training(options);
  if (group != nullptr && group->rank() != 0) return result.interrupted ? 130 : 0;
  if (result.interrupted) {
    std::cout << "interrupted: checkpoints written; continue with the same command plus --resume\n";
    return 130;
  }
  std::printf("trained %lld steps (%.1f real images/s); samples: %s\n",
              static_cast<long long>(result.steps), result.images_per_second,
              result.final_grid.c_str());
  return 0;
}

}  // namespace skingan::cli
