#include "models/gan/gan_architecture.h"

#include "core/error.h"

namespace skingan::models {

GanArch parse_gan_arch(const std::string& name) {
  if (name == "dcgan") return GanArch::kDcgan;
  if (name == "acgan") return GanArch::kAcgan;
  if (name == "cgan") return GanArch::kCgan;
  if (name == "progan") return GanArch::kProgan;
  if (name == "resnet") return GanArch::kResnet;
  throw ConfigError(
      describe_problem("--arch", "'" + name + "'", "dcgan, acgan, cgan, progan or resnet", ""));
}

std::string gan_arch_name(GanArch arch) {
  switch (arch) {
    case GanArch::kDcgan:
      return "dcgan";
    case GanArch::kAcgan:
      return "acgan";
    case GanArch::kCgan:
      return "cgan";
    case GanArch::kProgan:
      return "progan";
    case GanArch::kResnet:
      return "resnet";
  }
  return "?";
}

GanModelConfig gan_model_config_from_json(const nlohmann::json& j) {
  GanModelConfig c;
  try {
    c.arch = parse_gan_arch(j.at("arch").get<std::string>());
    c.image_size = j.at("image_size");
    c.latent_dim = j.at("latent_dim");
    c.g_channels = j.at("g_channels");
    c.d_channels = j.at("d_channels");
    c.spectral_norm = j.at("spectral_norm");
    c.upsample = parse_upsample(j.value("upsample", std::string("transposed")));
    c.per_class = j.at("per_class");
    c.has_ema = j.at("ema_decay").get<double>() > 0;
    c.seed = j.at("seed");
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(std::string("a GAN configuration without a valid model field (") + e.what() +
                      "): written by another program, or damaged.");
  }
  return c;
}

bool is_conditional(const GanModelConfig& config) {
  return config.arch != GanArch::kDcgan && !config.per_class;
}

GeneratorOptions generator_options(const GanModelConfig& c, int64_t num_classes) {
  GeneratorOptions o;
  o.image_size(c.image_size).latent_dim(c.latent_dim).channels(c.g_channels);
  o.upsample(c.upsample);
  if (c.arch == GanArch::kAcgan) o.num_classes(num_classes).conditioning(Conditioning::kConcat);
  if (c.arch == GanArch::kCgan) o.num_classes(num_classes).conditioning(Conditioning::kBatchNorm);
  if (c.arch == GanArch::kProgan || c.arch == GanArch::kResnet) {
    o.family(c.arch == GanArch::kProgan ? NetworkFamily::kProgressive : NetworkFamily::kResNet);
    if (!c.per_class) o.num_classes(num_classes).conditioning(Conditioning::kConcat);
  }
  return o;
}

DiscriminatorOptions discriminator_options(const GanModelConfig& c, int64_t num_classes) {
  DiscriminatorOptions o;
  o.image_size(c.image_size).channels(c.d_channels).spectral_norm(c.spectral_norm);
  if (c.arch == GanArch::kAcgan) o.num_classes(num_classes).head(DiscriminatorHead::kAuxiliary);
  const bool projection = c.arch == GanArch::kProgan || c.arch == GanArch::kResnet;
  if (c.arch == GanArch::kCgan || (projection && !c.per_class))
    o.num_classes(num_classes).head(DiscriminatorHead::kProjection);
  if (c.arch == GanArch::kProgan) o.family(NetworkFamily::kProgressive);
  if (c.arch == GanArch::kResnet) o.family(NetworkFamily::kResNet);
  return o;
}

}  // namespace skingan::models
