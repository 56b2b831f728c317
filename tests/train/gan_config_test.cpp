// train-gan's configuration checks: the refusals that name the option and the reason, and the
// fields a run's config.json carries across a save and load.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "core/error.h"
#include "test_util.h"
#include "train/gan_config.h"

using namespace skingan;
using namespace skingan::train;

namespace {

// validate()'s ConfigError message for `c`, or "accepted".
std::string refusal_of(const GanConfig& c) {
  try {
    validate(c);
  } catch (const ConfigError& e) {
    return std::string(e.what());
  }
  return std::string("accepted");
}

}  // namespace

TEST(GanConfigValidation, ResNetGanRefusesTransposedUpsamplingAndAllowsPerClass) {
  GanConfig c = test::tiny_gan_config(GanArch::kResnet);
  c.per_class = true;
  EXPECT_NO_THROW(validate(c));
  c.upsample = models::Upsample::kTransposed;
  try {
    validate(c);
    FAIL() << "accepted --upsample transposed";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--upsample transposed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--arch resnet"), std::string::npos) << e.what();
  }
  c.upsample = models::Upsample::kBilinear;
  EXPECT_NO_THROW(validate(c));
  c.upsample = models::Upsample::kSkipBilinear;
  EXPECT_NO_THROW(validate(c));
  c.minibatch_stddev = true;
  EXPECT_NO_THROW(validate(c));
  EXPECT_TRUE(gan_config_from_json(to_json(c)).minibatch_stddev);
  nlohmann::json before = to_json(c);  // runs written before the option read back without it
  before.erase("minibatch_stddev");
  EXPECT_FALSE(gan_config_from_json(before).minibatch_stddev);
  GanConfig progan = test::tiny_gan_config(GanArch::kProgan);
  progan.minibatch_stddev = true;
  try {
    validate(progan);
    FAIL() << "accepted --minibatch-stddev with --arch progan";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--minibatch-stddev"), std::string::npos) << e.what();
  }
  for (GanArch other : {GanArch::kCgan, GanArch::kFastgan}) {
    for (models::Upsample u :
         {models::Upsample::kSkipBilinear, models::Upsample::kSkipBilinearLast}) {
      GanConfig skip = test::tiny_gan_config(other);
      skip.upsample = u;
      try {
        validate(skip);
        FAIL() << "accepted --upsample " << models::upsample_name(u) << " with --arch "
               << gan_arch_name(other);
      } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("--upsample " + models::upsample_name(u)),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("only its blocks have residual shortcuts"),
                  std::string::npos)
            << e.what();
      }
    }
  }
  GanConfig cgan = test::tiny_gan_config(GanArch::kCgan);
  cgan.per_class = true;
  EXPECT_THROW(validate(cgan), ConfigError);
}

TEST(GanConfigValidation, ProgressiveGanRefusesOptionsItDoesNotUseWithTheReason) {
  auto refusal = [](const std::function<void(GanConfig&)>& adjust) {
    GanConfig c = test::tiny_gan_config(GanArch::kProgan);
    adjust(c);
    return refusal_of(c);
  };
  EXPECT_NE(refusal([](GanConfig& c) { c.spectral_norm = true; }).find("equalises its learning"),
            std::string::npos);
  EXPECT_NE(refusal([](GanConfig& c) {
              c.upsample = models::Upsample::kTransposed;
            }).find("--upsample transposed"),
            std::string::npos);
  EXPECT_NE(refusal([](GanConfig& c) {
              c.upsample = models::Upsample::kBilinear;
            }).find("--upsample bilinear"),
            std::string::npos);
  EXPECT_NE(refusal([](GanConfig& c) { c.phase_kimg = -1; }).find("--phase-kimg"),
            std::string::npos);
  EXPECT_NE(refusal([](GanConfig& c) { c.r1_every = 0; }).find("--r1-every"), std::string::npos);
  // wgan-gp: ADA's r_t needs a logit with a decision at 0, which a critic does not have.
  EXPECT_NE(refusal([](GanConfig& c) { c.loss = GanLoss::kWganGp; }).find("--loss wgan-gp"),
            std::string::npos);
  EXPECT_EQ(refusal([](GanConfig& c) {
              c.loss = GanLoss::kWganGp;
              c.ada_target = 0;
            }),
            "accepted");
  EXPECT_EQ(refusal([](GanConfig&) {}), "accepted");
}

TEST(GanConfigValidation, BalancePowerIsRefusedOutsideZeroToOneAndWithoutBalancedSampling) {
  GanConfig resnet = test::tiny_gan_config(GanArch::kResnet);
  resnet.balance_power = 0.5;
  EXPECT_NO_THROW(validate(resnet));
  EXPECT_DOUBLE_EQ(gan_config_from_json(to_json(resnet)).balance_power, 0.5);
  nlohmann::json before = to_json(resnet);  // runs written before the option
  before.erase("balance_power");
  EXPECT_DOUBLE_EQ(gan_config_from_json(before).balance_power, 0.0);

  resnet.balance_power = 1.5;
  const std::string out_of_range = refusal_of(resnet);
  EXPECT_NE(out_of_range.find("--balance-power"), std::string::npos) << out_of_range;
  EXPECT_NE(out_of_range.find("[0, 1]"), std::string::npos) << out_of_range;
  resnet.balance_power = std::nan("");
  EXPECT_NE(refusal_of(resnet).find("--balance-power"), std::string::npos);

  for (bool per_class : {false, true}) {
    GanConfig dcgan = test::tiny_gan_config(GanArch::kDcgan);
    dcgan.per_class = per_class;
    dcgan.balance_power = 0.5;
    const std::string message = refusal_of(dcgan);
    EXPECT_NE(message.find("--balance-power 0.5"), std::string::npos) << message;
    EXPECT_NE(message.find("class-balanced sampling"), std::string::npos) << message;
  }
}
