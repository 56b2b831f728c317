// The GAN architectures skingan trains, and the part of a run's configuration that rebuilds
// their networks. train::GanConfig holds everything else (losses, optimiser, augmentation); this
// part lives here so that sampling, filtering and export (generate/) read checkpoints without
// the trainer.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "models/gan/discriminator.h"
#include "models/gan/generator.h"
#include "models/gan/upsample.h"

namespace skingan::models {

enum class GanArch { kDcgan, kAcgan, kCgan, kProgan, kResnet, kFastgan };

// dcgan | acgan | cgan | progan | resnet | fastgan; ConfigError otherwise
GanArch parse_gan_arch(const std::string& name);
std::string gan_arch_name(GanArch arch);

struct GanModelConfig {
  GanArch arch = GanArch::kDcgan;
  int64_t image_size = 64;
  int64_t latent_dim = 100;
  int64_t g_channels = 64;
  int64_t d_channels = 64;
  bool spectral_norm = false;     // in D
  bool minibatch_stddev = false;  // in a ResNet D (DiscriminatorOptions)
  Upsample upsample = Upsample::kTransposed;
  bool per_class = false;  // one unconditional GAN per class
  bool has_ema = true;     // the checkpoints hold an EMA generator
  std::uint64_t seed = 1;  // the run's seed: standing BatchNorm statistics are drawn from it
};

// The model fields of a stored train-gan configuration (config.json's "gan", or a checkpoint's
// "config"); ConfigError naming the field when one is missing or invalid. Runs written before
// resize upsampling existed read back as transposed.
// ConfigError for a missing or mistyped field, an unsupported image size, or a latent size or
// width outside 1..kMaxGanWidth.
inline constexpr int64_t kMaxGanWidth = 4096;
GanModelConfig gan_model_config_from_json(const nlohmann::json& j);

// Whether one network draws every class (acgan, cgan, progan, resnet and fastgan without
// per_class).
bool is_conditional(const GanModelConfig& config);

// The network a Generator and Discriminator of `arch` build (progan: progressive, resnet: ResNet,
// fastgan: FastGAN, the others the DCGAN stack).
NetworkFamily network_family(GanArch arch);

// The options of the networks a configuration builds, for `num_classes` classes (the trainer
// and the checkpoint reader both use these, so the two cannot drift apart).
GeneratorOptions generator_options(const GanModelConfig& config, int64_t num_classes);
DiscriminatorOptions discriminator_options(const GanModelConfig& config, int64_t num_classes);

}  // namespace skingan::models
