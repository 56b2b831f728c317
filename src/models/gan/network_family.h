// Which network a Generator or Discriminator (models/gan/generator.h, discriminator.h) builds.
#pragma once

namespace skingan::models {

enum class NetworkFamily {
  kDcgan,        // the DCGAN stack (dcgan, acgan and cgan)
  kProgressive,  // progressive growing (models/gan/progressive.h)
  kResNet,       // residual blocks in the SNGAN/BigGAN style (models/gan/resnet.h)
  kFastGan,      // skip-layer excitation and a self-supervised discriminator (models/gan/fastgan.h)
};

}  // namespace skingan::models
