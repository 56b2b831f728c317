// GanTrainer data-parallel: two ranks (two threads of this process over a real TCPStore + Gloo
// group) with a global batch of 8 train the weights of one process with the batch of 8, for every
// architecture and the paths that mix rows of the batch or draw per row: synchronised BatchNorm in
// G and D, the minibatch standard deviation (grouped and per class), DiffAugment and ADA draws,
// R1 and WGAN-GP (double backward through the all-reduces), d_steps, growth and fade-in.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "augment/diff_augment.h"
#include "core/error.h"
#include "test_util.h"
#include "train/gan_trainer.h"

using namespace skingan;
using namespace skingan::train;

namespace {

struct Case {
  std::string name;
  GanConfig config;
  int64_t classes;
  bool ada_moves = false;  // ADA's p leaves 0 within the steps
  // > 0: the one-process reference trains on this many threads (the count is restored after).
  // Two ranks of 4 rows sum a batch as one process on 2 threads does (each thread half the
  // rows, then the two partial sums), so their rounding is that of 2 threads; where 6 steps
  // amplify rounding beyond 1e-5, the reference must round alike (see the ResNet cases).
  int reference_threads = 0;
};

// The global batch of 8 is 4 rows per rank; progan crosses 4x4, a fade-in and 8x8 in 6 steps.
GanConfig small_config(GanArch arch) { return test::tiny_gan_config(arch); }

std::vector<Case> cases() {
  const auto all_augmentations = augment::parse_diff_augment("color,translation,cutout");
  std::vector<Case> list;
  {  // BatchNorm in G and D, R1 through D's synchronised BatchNorm.
    GanConfig c = small_config(GanArch::kDcgan);
    c.r1_gamma = 1.0;
    c.r1_every = 1;
    c.diff_augment = all_augmentations;
    list.push_back({"dcgan + R1 + DiffAugment", c, 1});
  }
  {  // The critic's interpolation weights are drawn per row.
    GanConfig c = small_config(GanArch::kAcgan);
    c.loss = GanLoss::kWganGp;
    c.ada_target = 0;
    list.push_back({"acgan + WGAN-GP", c, 2});
  }
  {  // ADA: p leaves 0 after the first interval, so its per-row draws start mid-run.
    GanConfig c = small_config(GanArch::kCgan);
    c.d_steps = 2;
    c.diff_augment = all_augmentations;
    c.ada_target = 0.01;
    c.ada_kimg = 1;
    c.lecam_weight = 0.3;  // its anchors are the global batch's, all-reduced with ADA's signs
    list.push_back({"cgan + d_steps 2 + ADA + LeCam", c, 2, true});
    // One p per class: the signs and image counts per class travel in the same all-reduce.
    c.ada_per_class = true;
    list.push_back({"cgan + d_steps 2 + ADA per class + LeCam", c, 2, true});
  }
  {
    GanConfig c = small_config(GanArch::kResnet);
    c.diff_augment = augment::parse_diff_augment("translation");
    c.spectral_weight = 1.0;  // its batch spectrum and reference are all-reduced
    // Nearest resizing, as when this bound was measured. With the default's bilinear shortcuts
    // the ranks part from one process by 4.7e-5 (1 thread) and 1.2e-3 (2 threads): 6 steps
    // amplify rounding here beyond 1e-5 whichever order the reference sums in.
    c.upsample = models::Upsample::kResizeConv;
    list.push_back({"resnet + spectral loss", c, 2});
  }
  {  // The default, bilinear shortcuts, with D's per-class minibatch standard deviation over the
     // global batch. One process on 1 and on 2 threads part by 3.3e-3 after these 6 steps (a
     // class-to-norm bias by 5%); the ranks meet the 2-thread process within 1e-5.
    GanConfig c = small_config(GanArch::kResnet);
    c.minibatch_stddev = true;
    Case stddev{"resnet + minibatch stddev", c, 2};
    stddev.reference_threads = 2;
    list.push_back(stddev);
  }
  {  // D's BatchNorm synchronised and its decoders' error over the global batch. Without R1: with
     // R1 through this D, one process on 1 and on 2 threads already parts by 3% after 6 steps
     // (measured; 8e-7 without), so that case would test rounding, not the data parallelism.
    list.push_back({"fastgan", small_config(GanArch::kFastgan), 2});
  }
  {  // Per-class minibatch standard deviation with R1 through it.
    GanConfig c = small_config(GanArch::kProgan);
    c.r1_gamma = 0.1;
    c.r1_every = 1;
    list.push_back({"progan conditional + R1", c, 2});
  }
  {  // Grouped minibatch standard deviation: groups of 4 strided over both ranks' rows.
    GanConfig c = small_config(GanArch::kProgan);
    c.per_class = true;
    list.push_back({"progan per class", c, 1});
  }
  return list;
}

using State = std::map<std::string, torch::Tensor>;

State state_of(GanTrainer& trainer) {
  State state;
  for (const auto& p : trainer.generator()->named_parameters()) state["G." + p.key()] = p.value();
  for (const auto& b : trainer.generator()->named_buffers()) state["G." + b.key()] = b.value();
  for (const auto& p : trainer.discriminator()->named_parameters())
    state["D." + p.key()] = p.value();
  for (const auto& b : trainer.discriminator()->named_buffers()) state["D." + b.key()] = b.value();
  // And what G draws in training mode (batch statistics) for fixed noise: the function itself.
  {
    torch::NoGradGuard no_grad;
    dist::ActiveGroup this_process_only(nullptr);
    auto rng = at::make_generator<at::CPUGeneratorImpl>(99);
    const torch::Tensor z = torch::randn({16, trainer.config().latent_dim}, rng, torch::kFloat);
    const torch::Tensor labels = torch::arange(16, torch::kLong) % 2;
    state["G(z)"] = trainer.generator()->forward(
        z, is_conditional(trainer.config()) ? labels : torch::Tensor());
  }
  for (auto& [name, t] : state) t = t.detach().clone().to(torch::kDouble);
  return state;
}

// Parameters whose exact gradient is 0, so that the computed one is rounding noise: a bias whose
// every path to the output runs through BatchNorm (the ResNet generator's conv and shortcut
// biases: BatchNorm removes any per-channel constant). Adam scales that noise to full steps whose
// direction depends on the summation order, so such a tensor wanders in both runs alike but not
// identically and cannot change any output; it is left out of the comparison, with the running
// means of its module's BatchNorm layers (averages of activations those constants shift), while
// G's output, which they cannot change, is compared. Found from the reference run's last
// gradients: below 1e-5 of its module's total gradient norm.
std::set<std::string> noise_gradient_tensors(GanTrainer& trainer) {
  std::set<std::string> noise;
  const std::pair<std::string, torch::nn::Module*> modules[] = {
      {"G.", trainer.generator().get()}, {"D.", trainer.discriminator().get()}};
  for (const auto& [prefix, module] : modules) {
    double total = 0;
    for (const auto& p : module->parameters())
      if (p.grad().defined()) total += p.grad().pow(2).sum().item<double>();
    bool any = false;
    for (const auto& p : module->named_parameters()) {
      if (p.value().grad().defined() &&
          p.value().grad().norm().item<double>() < 1e-5 * std::sqrt(total)) {
        noise.insert(prefix + p.key());
        any = true;
      }
    }
    for (const auto& b : module->named_buffers()) {
      const std::string& name = b.key();
      const std::string mean = "running_mean";
      if (any && name.size() >= mean.size() &&
          name.compare(name.size() - mean.size(), mean.size(), mean) == 0) {
        noise.insert(prefix + name);
      }
    }
  }
  return noise;
}

// Over the whole state, and the worst single floating-point tensor (relative to its norm).
void expect_same_state(const State& run, const State& reference,
                       const std::set<std::string>& left_out, const std::string& what) {
  ASSERT_EQ(run.size(), reference.size()) << what;
  double squared_difference = 0, squared_norm = 0, worst = 0;
  std::string worst_name;
  for (const auto& [name, y] : reference) {
    if (left_out.count(name) > 0) continue;
    const double difference = (run.at(name) - y).norm().item<double>();
    const double norm = y.norm().item<double>();
    squared_difference += difference * difference;
    squared_norm += norm * norm;
    if (difference / std::max(norm, 1e-12) > worst) {
      worst = difference / std::max(norm, 1e-12);
      worst_name = name;
    }
  }
  // The goal's 1e-5 over the model. A single tensor of small norm (the ResNet's class-to-norm
  // maps, |w| ~ 0.01) drifts further relative to itself as training amplifies rounding over the
  // steps (2.6e-4 here); a missing synchronisation moves tensors by 1e-1 and more. The bound
  // holds for this seed's 6 steps, not for every seed: where an element's gradient has been
  // nearly 0 (a ReLU channel that just came alive), Adam's first steps scale its rounding noise
  // to +-lr, so its sign decides the step. Seeds 1 to 3 show such flips (acgan seed 1: 1e-8 over
  // the model until step 5, then 4.7e-5), and one process with 1 and with 2 threads parts by the
  // same 4.7e-5 there: rounding, not the data parallelism.
  EXPECT_LE(std::sqrt(squared_difference / squared_norm), 1e-5) << what;
  EXPECT_LE(worst, 1e-3) << what << ": " << worst_name;
}

constexpr int kSteps = 6;

}  // namespace

TEST(GanDataParallel, TwoRanksTrainTheWeightsOfOneProcessWithTheSameGlobalBatch) {
  const auto [images, labels] = test::two_colour_images();
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const int threads = torch::get_num_threads();
    if (c.reference_threads > 0) torch::set_num_threads(c.reference_threads);
    GanTrainer one(c.config, images, labels, c.classes, torch::kCPU);
    std::vector<GanStepMetrics> expected;
    for (int i = 0; i < kSteps; ++i) expected.push_back(one.train_step());
    torch::set_num_threads(threads);
    const State reference = state_of(one);
    const std::set<std::string> noise = noise_gradient_tensors(one);
    for (const auto& name : noise) {  // only biases may be pure noise; a weight would be a bug
      const std::string tail = name.substr(name.rfind('.') + 1);
      EXPECT_TRUE(tail == "bias" || tail == "running_mean") << name << " has no gradient";
    }

    std::mutex construction;  // weights are drawn from torch's global generator
    State rank0;
    std::vector<GanStepMetrics> seen[2];
    test::on_two_ranks([&](dist::ProcessGroup& group) {
      std::unique_ptr<GanTrainer> trainer;
      {
        std::lock_guard<std::mutex> lock(construction);
        trainer =
            std::make_unique<GanTrainer>(c.config, images, labels, c.classes, torch::kCPU, &group);
      }
      for (int i = 0; i < kSteps; ++i) {
        seen[group.rank()].push_back(trainer->train_step(/*measure=*/true));
        // Rank 0 samples alone between steps, as train-gan's grids and evaluations do.
        if (group.rank() == 0 && i == 2) {
          trainer->generate(torch::randn({4, 16}), torch::zeros({4}, torch::kLong), true);
        }
      }
      if (group.rank() == 0) rank0 = state_of(*trainer);
    });
    expect_same_state(rank0, reference, noise, c.name);
    for (int r = 0; r < 2; ++r) {
      ASSERT_EQ(seen[r].size(), static_cast<size_t>(kSteps));
      for (int i = 0; i < kSteps; ++i) {
        // The metrics are the global batch's, the same on both ranks.
        const GanStepMetrics& a = seen[r][i];
        const GanStepMetrics& b = expected[i];
        EXPECT_NEAR(a.d_loss, b.d_loss, 1e-4 * (1 + std::abs(b.d_loss))) << "step " << i;
        EXPECT_NEAR(a.g_loss, b.g_loss, 1e-4 * (1 + std::abs(b.g_loss))) << "step " << i;
        EXPECT_NEAR(a.r_t, b.r_t, 1e-9) << "step " << i;
        EXPECT_NEAR(a.grad_norm_g, b.grad_norm_g, 1e-4 * (1 + b.grad_norm_g)) << "step " << i;
        EXPECT_EQ(a.ada_p, b.ada_p) << "step " << i;
        EXPECT_EQ(a.ada_p_per_class, b.ada_p_per_class) << "step " << i;
        EXPECT_EQ(a.level, b.level) << "step " << i;
        EXPECT_FALSE(a.stop);
      }
    }
    if (c.ada_moves) {
      EXPECT_GT(expected.back().ada_p, 0.0);  // ADA's draws were used
    }
  }
}

TEST(GanDataParallel, OneRanksStopRequestEndsTheSameStepOnEveryRank) {
  const auto [images, labels] = test::two_colour_images();
  const GanConfig config = small_config(GanArch::kCgan);
  std::mutex construction;
  bool stopped[2][2] = {};
  test::on_two_ranks([&](dist::ProcessGroup& group) {
    std::unique_ptr<GanTrainer> trainer;
    {
      std::lock_guard<std::mutex> lock(construction);
      trainer = std::make_unique<GanTrainer>(config, images, labels, 2, torch::kCPU, &group);
    }
    const int r = group.rank();
    stopped[r][0] = trainer->train_step(false, /*stop_requested=*/false).stop;
    stopped[r][1] = trainer->train_step(false, /*stop_requested=*/r == 1).stop;
  });
  EXPECT_FALSE(stopped[0][0]);
  EXPECT_FALSE(stopped[1][0]);
  EXPECT_TRUE(stopped[0][1]);  // rank 0 was not asked, but stops with rank 1
  EXPECT_TRUE(stopped[1][1]);
}

TEST(GanDataParallel, AGlobalBatchTheRanksCannotShareEquallyIsRefused) {
  const auto [images, labels] = test::two_colour_images();
  GanConfig config = small_config(GanArch::kDcgan);
  config.batch_size = 7;
  try {
    test::on_two_ranks([&](dist::ProcessGroup& group) {
      GanTrainer trainer(config, images, labels, 1, torch::kCPU, &group);
    });
    FAIL() << "a global batch of 7 was accepted under 2 processes";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("a global batch of 7 under 2 processes"),
              std::string::npos)
        << e.what();
  }
}
