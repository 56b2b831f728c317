#include "models/gan/gan_architecture.h"

#include "core/error.h"
#include "models/gan/layers.h"

namespace skingan::models {

GanArch parse_gan_arch(const std::string& name) {
  if (name == "dcgan") return GanArch::kDcgan;
  if (name == "acgan") return GanArch::kAcgan;
  if (name == "cgan") return GanArch::kCgan;
  if (name == "progan") return GanArch::kProgan;
  if (name == "resnet") return GanArch::kResnet;
  if (name == "fastgan") return GanArch::kFastgan;
  throw ConfigError(describe_problem("--arch", "'" + name + "'",
                                     "dcgan, acgan, cgan, progan, resnet or fastgan", ""));
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
    case GanArch::kFastgan:
      return "fastgan";
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
    c.minibatch_stddev = j.value("minibatch_stddev", false);  // absent before it existed
    c.per_class = j.at("per_class");
    c.has_ema = j.at("ema_decay").get<double>() > 0;
    c.seed = j.at("seed");
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(std::string("a GAN configuration without a valid model field (") + e.what() +
                      "): written by another program, or damaged.");
  }
  // The sizes bound what a damaged or hostile file could make the reader allocate.
  check_gan_image_size(c.image_size);
  for (const auto& [name, value] : {std::pair<const char*, int64_t>{"latent_dim", c.latent_dim},
                                    {"g_channels", c.g_channels},
                                    {"d_channels", c.d_channels}}) {
    if (value < 1 || value > kMaxGanWidth) {
      throw ConfigError(describe_problem(
          std::string("GAN configuration field ") + name, std::to_string(value),
          "1.." + std::to_string(kMaxGanWidth), "The file is damaged or not from skingan."));
    }
  }
  return c;
}

bool is_conditional(const GanModelConfig& config) {
  return config.arch != GanArch::kDcgan && !config.per_class;
}

NetworkFamily network_family(GanArch arch) {
  if (arch == GanArch::kProgan) return NetworkFamily::kProgressive;
  if (arch == GanArch::kResnet) return NetworkFamily::kResNet;
  if (arch == GanArch::kFastgan) return NetworkFamily::kFastGan;
  return NetworkFamily::kDcgan;
}

GeneratorOptions generator_options(const GanModelConfig& c, int64_t num_classes) {
  GeneratorOptions o;
  o.image_size(c.image_size).latent_dim(c.latent_dim).channels(c.g_channels);
  o.upsample(c.upsample).family(network_family(c.arch));
  if (c.arch == GanArch::kCgan) o.num_classes(num_classes).conditioning(Conditioning::kBatchNorm);
  // acgan, and progan, resnet and fastgan drawing every class: the class embedding joins z.
  if (c.arch != GanArch::kCgan && is_conditional(c))
    o.num_classes(num_classes).conditioning(Conditioning::kConcat);
  return o;
}

DiscriminatorOptions discriminator_options(const GanModelConfig& c, int64_t num_classes) {
  DiscriminatorOptions o;
  o.image_size(c.image_size).channels(c.d_channels).spectral_norm(c.spectral_norm);
  o.family(network_family(c.arch)).minibatch_stddev(c.minibatch_stddev);
  if (c.arch == GanArch::kAcgan) {
    o.num_classes(num_classes).head(DiscriminatorHead::kAuxiliary);
  } else if (is_conditional(c)) {  // cgan, and progan, resnet and fastgan drawing every class
    o.num_classes(num_classes).head(DiscriminatorHead::kProjection);
  }
  return o;
}

}  // namespace skingan::models
