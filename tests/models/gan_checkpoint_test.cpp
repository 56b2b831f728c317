// Reading GAN runs back without the trainer (models/gan/gan_architecture.h, gan_checkpoint.h):
// the model part of a stored train-gan configuration, and refusals of damaged ones.
#include <gtest/gtest.h>

#include "core/error.h"
#include "models/gan/gan_architecture.h"
#include "models/gan/gan_checkpoint.h"
#include "test_util.h"
#include "train/gan_config.h"

using namespace skingan;

TEST(GanArchitecture, ReadsTheModelFieldsTheTrainerStored) {
  for (auto arch :
       {models::GanArch::kDcgan, models::GanArch::kAcgan, models::GanArch::kCgan,
        models::GanArch::kProgan, models::GanArch::kResnet, models::GanArch::kFastgan}) {
    train::GanConfig c = train::default_gan_config(arch);
    c.image_size = 32;
    c.latent_dim = 24;
    c.g_channels = 12;
    c.d_channels = 20;
    c.per_class = arch == models::GanArch::kResnet;
    c.ema_decay = arch == models::GanArch::kDcgan ? 0.0 : 0.999;
    c.seed = 77;
    const models::GanModelConfig m = models::gan_model_config_from_json(train::to_json(c));
    SCOPED_TRACE(models::gan_arch_name(arch));
    EXPECT_EQ(m.arch, arch);
    EXPECT_EQ(m.image_size, 32);
    EXPECT_EQ(m.latent_dim, 24);
    EXPECT_EQ(m.g_channels, 12);
    EXPECT_EQ(m.d_channels, 20);
    EXPECT_EQ(m.spectral_norm, c.spectral_norm);
    EXPECT_EQ(m.upsample, c.upsample);
    EXPECT_EQ(m.per_class, c.per_class);
    EXPECT_EQ(m.has_ema, arch != models::GanArch::kDcgan);
    EXPECT_EQ(m.seed, 77u);
    // The trainer's own view agrees with the reader's.
    EXPECT_EQ(train::is_conditional(c), models::is_conditional(m));
    EXPECT_EQ(models::generator_options(m, 3).num_classes(),
              models::generator_options(train::model_config(c), 3).num_classes());
  }
}

TEST(GanArchitecture, RefusesAConfigurationWithoutItsModelFields) {
  nlohmann::json j = train::to_json(train::default_gan_config(models::GanArch::kCgan));
  j.erase("latent_dim");
  try {
    models::gan_model_config_from_json(j);
    FAIL() << "read a configuration without latent_dim";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("latent_dim"), std::string::npos) << e.what();
  }
  j = train::to_json(train::default_gan_config(models::GanArch::kCgan));
  j["arch"] = "stylegan9";
  EXPECT_THROW(models::gan_model_config_from_json(j), ConfigError);
}

TEST(GanArchitecture, AnOldRunWithoutUpsampleReadsBackAsTransposed) {
  nlohmann::json j = train::to_json(train::default_gan_config(models::GanArch::kDcgan));
  j.erase("upsample");
  EXPECT_EQ(models::gan_model_config_from_json(j).upsample, models::Upsample::kTransposed);
}

TEST(GanCheckpoint, ARunFolderWithoutConfigIsRefusedWithWhatToDo) {
  test::TempDir dir;
  try {
    models::read_gan_run(dir.path());
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("skingan train-gan"), std::string::npos) << e.what();
  }
}
