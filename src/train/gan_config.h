// Everything one GAN training run is configured by, with the per-architecture defaults.
// Filled by the CLI (train-gan), stored as config.json in the run folder and in every checkpoint.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "augment/diff_augment.h"
#include "models/gan/gan_architecture.h"
#include "models/gan/upsample.h"

namespace skingan::train {

// The architectures are the models layer's (models/gan/gan_architecture.h).
using models::gan_arch_name;
using models::GanArch;
using models::parse_gan_arch;

// wgan-gp: the Wasserstein loss with gradient penalty (Gulrajani et al. 2017) and the progressive
// GAN's drift term (Karras et al. 2018); see train/gan_losses.h.
enum class GanLoss { kBce, kHinge, kLsgan, kWganGp };

GanLoss parse_gan_loss(const std::string& name);  // bce | hinge | lsgan | wgan-gp
std::string gan_loss_name(GanLoss loss);

// What steers ADA's p (train/ada.h): r_t = E[sign D(real)] on the training batches (the paper's
// choice), or r_v, D's memorisation measured on held-out real validation images (train/
// overfit_probe.h).
enum class AdaHeuristic { kRt, kRv };
AdaHeuristic parse_ada_heuristic(const std::string& name);  // rt | rv
std::string ada_heuristic_name(AdaHeuristic heuristic);

struct GanConfig {
  GanArch arch = GanArch::kDcgan;
  int64_t image_size = 64;
  int64_t latent_dim = 100;
  int64_t g_channels = 64;  // ngf
  int64_t d_channels = 64;  // ndf
  GanLoss loss = GanLoss::kBce;
  double lr_g = 2e-4, lr_d = 2e-4;  // separate rates: TTUR (Heusel et al. 2017)
  double beta1 = 0.5, beta2 = 0.999;
  double label_smoothing = 0.0;  // one-sided: real targets 1 - s (bce and lsgan)
  bool spectral_norm = false;    // in D; replaces the DCGAN D's BatchNorm
  // resnet: D sees the minibatch standard deviation per class (models/gan/resnet.h).
  bool minibatch_stddev = false;
  double r1_gamma = 0.0;    // R1 penalty weight on real images (Mescheder et al. 2018)
  int64_t r1_every = 1;     // lazy R1: computed every this many steps, weighted as many times
  double gp_weight = 10.0;  // wgan-gp: lambda of the gradient penalty (Gulrajani et al.)
  // Discriminator updates per generator update, each on its own batches (SNGAN's n_dis: 5 in
  // Miyato et al. 2018, 2 in BigGAN). A step is one generator update either way.
  int64_t d_steps = 1;
  // Weight of the spectral term in G's loss (train/spectrum_match.h): the smooth-L1 distance of
  // the generated batch's log power spectrum from the real images' of the same classes. 0 = off.
  double spectral_weight = 0.0;
  // Weight of LeCam regularisation in D's loss (train/lecam.h), against a discriminator that
  // memorises a small training set. 0 = off.
  double lecam_weight = 0.0;
  augment::DiffAugmentPolicy diff_augment;
  // Adaptive discriminator augmentation (Karras et al. 2020): > 0 applies diff_augment to each
  // image with a probability p steered so that r_t tends to this target (the paper's 0.6); 0 =
  // off (diff_augment on every image, the DiffAugment recipe). See train/ada.h.
  double ada_target = 0.0;
  int64_t ada_kimg = 100;  // p can move from 0 to 1 within this many thousand real images
  // Conditional GANs with ADA: one p per class, steered by that class's r_t (train/ada.h).
  bool ada_per_class = false;
  AdaHeuristic ada_heuristic = AdaHeuristic::kRt;
  models::Upsample upsample = models::Upsample::kTransposed;  // generator; see models/gan
  // progan: real images per growth phase, in thousands (train/growth_schedule.h); the paper
  // used 600 at up to 1024 px on 30,000 images. 0: no growing (the image size from step one).
  double phase_kimg = 10;
  double ema_decay = 0.999;        // 0 = no EMA generator
  bool balanced_sampling = false;  // class-balanced real batches and fake labels (conditional)
  // With balanced sampling: class c drawn with probability n_c^q / sum_k n_k^q (q in [0, 1]; 0 is
  // class-balanced, 1 the images' frequencies; data/batch_sampler.h). Balanced sampling shows
  // each of a rare class's few images far more often than a common class's, and D memorises them
  // first (docs/scores_ham10000.md section 18); q > 0 trades that against fewer rare-class batches.
  double balance_power = 0.0;
  double aux_weight = 1.0;  // ACGAN class-loss weight
  int64_t batch_size = 64;
  int64_t steps = 2000;  // per generator (per class with --per-class); see epochs
  int64_t epochs = 0;    // > 0: steps = epochs * floor(training images / batch) per GAN
  std::uint64_t seed = 1;
  int64_t log_every = 10;
  int64_t sample_every = 250;
  int64_t checkpoint_every = 250;
  int keep_checkpoints = 3;
  bool per_class = false;            // dcgan, progan or resnet: one unconditional GAN per class
  std::vector<std::string> classes;  // with per_class (or to restrict a conditional run)
  // Scoring during training (train/gan_evaluator.h): every eval_every steps, eval_images EMA
  // samples per class against the real validation images in eval_features' space; 0 = off.
  int64_t eval_every = 0;
  std::string eval_features;  // a model folder from train-classifier or a TorchScript file
  int64_t eval_images = 250;
};

// Defaults that work on HAM10000 without tuning:
//  all:   resize upsampling in the generator (nearest x2 + 3x3 convolution).
//  dcgan: BCE, Adam 2e-4 (0.5, 0.999), BatchNorm D, DiffAugment color+translation, EMA 0.999.
//  acgan: as dcgan plus the auxiliary class loss and class-balanced sampling.
//  cgan:  hinge loss, spectral norm D, TTUR 1e-4 / 4e-4 with Adam (0, 0.9), DiffAugment
//         color+translation+cutout, EMA 0.999, class-balanced sampling.
//  progan: progressive growing (phases of phase_kimg), equalised learning rate, pixel norm,
//         minibatch stddev, projection D; non-saturating loss with lazy R1 (gamma 0.1 every 16
//         steps: the penalty's double backward cost 1.5x the step every step), Adam 1e-3
//         (0, 0.99), ADA towards r_t 0.6 over color+translation, EMA 0.999, balanced sampling.
//  resnet: residual G and D (models/gan/resnet.h) with cgan's recipe (hinge, spectral norm D,
//         Adam (0, 0.9), ADA towards 0.6 over color+translation+cutout, EMA 0.999, balanced
//         sampling) but 2 discriminator updates per step and TTUR 5e-5 / 4e-4: with cgan's single
//         update and G at 1e-4 the residual generator outran its discriminator within 50 steps
//         and the discriminator never recovered (hinge loss 2.0; docs/scores_ham10000.md 8).
GanConfig default_gan_config(GanArch arch);

// ConfigError naming the option when a value is out of range or a combination is refused.
void validate(const GanConfig& config);

nlohmann::json to_json(const GanConfig& config);
GanConfig gan_config_from_json(const nlohmann::json& j);

// The part of `config` that rebuilds the networks (what checkpoints are read back with).
models::GanModelConfig model_config(const GanConfig& config);

// Whether one network draws every class (acgan, cgan, progan and resnet without per_class).
bool is_conditional(const GanConfig& config);

// progan: real images per growth phase (phase_kimg * 1000, rounded); 0 = no growing.
int64_t phase_images(const GanConfig& config);

// Real images the discriminator has been shown after `steps` steps (batch_size x d_steps a
// step): what progan's growth phases count.
int64_t discriminator_images(const GanConfig& config, int64_t steps);

// Steps one GAN trains for on `images` training images (epochs when set, else steps).
int64_t steps_for(const GanConfig& config, int64_t images);

}  // namespace skingan::train
