// GAN training-step throughput: images/s of a full DCGAN step (D update + G update) at 64 px,
// widths 32 and 64, batch 64, plus one epoch over a prepared set end to end; achieved GFLOPS as a
// share of a float matrix-multiply peak measured in the same process; peak memory.
//
//   bench_gan_step [--set PREPARED_SET] [--steps N] [--threads N] [--archs 0|1] [--only TEXT]
// The step is the plain pytorch/examples DCGAN (BCE, Adam 2e-4, no DiffAugment, no EMA); a
// second row per width adds skingan's defaults (DiffAugment color+translation, EMA). A second
// table (--archs 1, the default) has one row per architecture and generator option at width 32,
// 7 classes, each with its own defaults: what a step of each costs relative to the plain DCGAN
// (--only TEXT: that table alone, the rows whose name contains TEXT and the reference; TEXT may
// list several, separated by '|', e.g. --only "resnet, defaults|heuristic rv").
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "bench_flags.h"
#include "core/memory.h"
#include "core/threads.h"
#include "data/prepared_set.h"
#include "train/gan_trainer.h"

using namespace skingan;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Multiply-accumulates of one forward pass, counted layer by layer from the DCGAN shapes.
double dcgan_forward_macs(int64_t size, int64_t width, int64_t latent) {
  double g = 0, d = 0;
  // Generator: [latent,1,1] -> [c(4),4,4], then 4x4 stride-2 transposed convs.
  auto channels_at = [&](int64_t side) { return width * std::min<int64_t>(size / (2 * side), 8); };
  g += static_cast<double>(latent) * channels_at(4) * 16 * 1;  // 4x4 kernel onto a 4x4 output
  for (int64_t side = 4; side < size; side *= 2) {
    const int64_t out = 2 * side == size ? 3 : channels_at(2 * side);
    g += static_cast<double>(channels_at(side)) * out * 16 * side * side;  // each input pixel x 4x4
  }
  // Discriminator: 4x4 stride-2 convs down to 4x4, then the 4x4 output layer.
  int64_t c_in = 3, c_out = width;
  for (int64_t side = size / 2; side >= 4; side /= 2) {
    d += static_cast<double>(c_in) * c_out * 16 * side * side;
    c_in = c_out;
    c_out = std::min(c_out * 2, width * 8);
  }
  d += static_cast<double>(c_in) * 16;
  // Per step, as executed: G forward + backward (3x forward); D: three forwards (real, fake, fake
  // for G), two full backwards (data + weights: 2x forward each) in its own update and a
  // data-only backward (1x) in G's update, which skips D's weight gradients.
  return 3 * g + 8 * d;
}

// Float matrix-multiply peak of all torch threads together: OpenBLAS is held to one thread, so
// each torch thread multiplies its own 1024x1024 pair at once (one `mm` alone would measure a
// single core).
double matmul_peak_gflops() {
  const int threads = at::get_num_threads();
  std::vector<torch::Tensor> a, b;
  for (int t = 0; t < threads; ++t) {
    a.push_back(torch::randn({1024, 1024}));
    b.push_back(torch::randn({1024, 1024}));
  }
  auto multiply_all = [&] {
    at::parallel_for(0, threads, 1, [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) torch::mm(a[t], b[t]);
    });
  };
  multiply_all();
  const auto start = Clock::now();
  int reps = 0;
  while (seconds_since(start) < 2.0) {
    multiply_all();
    ++reps;
  }
  return 2.0 * 1024 * 1024 * 1024 * threads * reps / seconds_since(start) / 1e9;
}

struct StepResult {
  double images_per_second, gflops;
};

StepResult measure_steps(train::GanConfig config, const torch::Tensor& images, int steps,
                         int64_t classes = 1) {
  const torch::Tensor labels = torch::arange(images.size(0), torch::kLong) % classes;
  train::GanTrainer trainer(config, images, labels, classes, torch::kCPU);
  // Warm-up: oneDNN primitive creation.
  int64_t warm_up = 3;
  if (config.ada_heuristic == train::AdaHeuristic::kRv) {
    // --ada-heuristic rv probes D every kOverfitProbeEvery steps on these validation images (64
    // per class, as many as it keeps of a real set's). The row times whole probe intervals (at
    // least one) after warming up to the step before a probe, so the probe's share of the time
    // is the one a run pays.
    const int64_t per_class = 64;
    trainer.set_validation_images(images.slice(0, 0, per_class * classes),
                                  torch::arange(per_class * classes, torch::kLong) % classes);
    const int every = static_cast<int>(train::kOverfitProbeEvery);
    steps = std::max(every, (steps + every - 1) / every * every);
    warm_up = every - 1;
  }
  for (int64_t i = 0; i < warm_up; ++i) trainer.train_step();
  const auto start = Clock::now();
  for (int i = 0; i < steps; ++i) trainer.train_step();
  const double seconds = seconds_since(start);
  const double flops = 2.0 *
                       dcgan_forward_macs(config.image_size, config.g_channels, config.latent_dim) *
                       config.batch_size * steps;
  return {config.batch_size * steps / seconds, flops / seconds / 1e9};
}

// Whether `name` contains one of the '|'-separated texts of `texts`.
bool names_any(const std::string& name, const std::string& texts) {
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = texts.find('|', begin);
    const std::string text = texts.substr(begin, end == std::string::npos ? end : end - begin);
    if (!text.empty() && name.find(text) != std::string::npos) return true;
    if (end == std::string::npos) return false;
    begin = end + 1;
  }
}

train::GanConfig plain_dcgan(int64_t width) {
  train::GanConfig c = train::default_gan_config(train::GanArch::kDcgan);
  c.image_size = 64;
  c.g_channels = c.d_channels = width;
  c.batch_size = 64;
  c.diff_augment = augment::DiffAugmentPolicy();
  c.ema_decay = 0;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  std::string set_dir;
  int steps = 20, threads = 0, archs = 1;
  std::string only;  // --only TEXT: the architecture rows whose name contains TEXT (or, with
                     // '|', one of the texts it separates)
  if (!bench::parse_flags(argc, argv,
                          {{"--set", [&](const std::string& v) { set_dir = v; }},
                           {"--steps", [&](const std::string& v) { steps = std::stoi(v); }},
                           {"--threads", [&](const std::string& v) { threads = std::stoi(v); }},
                           {"--archs", [&](const std::string& v) { archs = std::stoi(v); }},
                           {"--only", [&](const std::string& v) { only = v; }}}))
    return 2;
  const ThreadSettings settings = configure_threads(threads);
  const double peak = matmul_peak_gflops();
  std::printf("threads: torch %d (OpenBLAS held to 1: %s); float matmul peak %.0f GFLOPS\n\n",
              settings.torch_threads, settings.openblas_found ? "yes" : "no", peak);
  torch::manual_seed(0);
  const torch::Tensor random_images = torch::randint(0, 256, {512, 3, 64, 64}, torch::kByte);
  std::printf("| step | width | images/s | GFLOPS | share of matmul peak | peak RSS (MiB) |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (int64_t width : {32, 64}) {
    if (!only.empty()) break;  // --only: the architecture table alone
    for (bool defaults : {false, true}) {
      train::GanConfig config = plain_dcgan(width);
      if (defaults) {
        config.diff_augment = augment::parse_diff_augment("color,translation");
        config.ema_decay = 0.999;
      }
      reset_peak_rss();
      const StepResult r = measure_steps(config, random_images, steps);
      std::printf("| %s | %lld | %.1f | %.1f | %.0f%% | %.0f |\n",
                  defaults ? "+ DiffAugment + EMA" : "plain DCGAN (BCE, Adam)",
                  static_cast<long long>(width), r.images_per_second, r.gflops,
                  100 * r.gflops / peak, static_cast<double>(peak_rss_bytes()) / (1 << 20));
      std::fflush(stdout);
    }
  }
  if (archs) {
    struct Row {
      const char* name;
      train::GanConfig config;
    };
    auto with = [](train::GanArch arch, models::Upsample upsample, double ada_target) {
      train::GanConfig c = train::default_gan_config(arch);
      c.image_size = 64;
      c.g_channels = c.d_channels = 32;
      c.upsample = upsample;
      c.ada_target = ada_target;
      return c;
    };
    const auto T = models::Upsample::kTransposed, R = models::Upsample::kResizeConv,
               B = models::Upsample::kBilinear, S = models::Upsample::kSkipBilinear;
    auto progan = [&](double r1, double ada_target) {
      train::GanConfig c = with(train::GanArch::kProgan, R, std::max(ada_target, 0.0));
      c.phase_kimg = 0;
      c.r1_gamma = r1;
      if (ada_target < 0) c.diff_augment = augment::DiffAugmentPolicy();
      return c;
    };
    const std::vector<Row> rows = {
        {"dcgan, plain (reference)", plain_dcgan(32)},
        {"dcgan, defaults", with(train::GanArch::kDcgan, T, 0)},
        {"dcgan, defaults, --upsample resize", with(train::GanArch::kDcgan, R, 0)},
        {"acgan, defaults", with(train::GanArch::kAcgan, T, 0)},
        {"cgan, defaults", with(train::GanArch::kCgan, T, 0)},
        {"cgan, --diffaugment none",
         [&] {
           train::GanConfig c = with(train::GanArch::kCgan, T, 0);
           c.diff_augment = augment::DiffAugmentPolicy();
           return c;
         }()},
        {"cgan, --upsample resize", with(train::GanArch::kCgan, R, 0)},
        {"cgan, --upsample resize --ada-target 0.6", with(train::GanArch::kCgan, R, 0.6)},
        {"cgan, --upsample bilinear", with(train::GanArch::kCgan, B, 0)},
        // At the full 64 px (no growing); earlier phases draw fewer pixels and run faster.
        {"progan, defaults, at 64 px (--phase-kimg 0)", progan(0.1, 0.6)},
        {"progan, at 64 px, --r1-every 1 (R1 every step)",
         [&] {
           train::GanConfig c = progan(0.1, 0.6);
           c.r1_every = 1;
           return c;
         }()},
        {"progan, at 64 px, --loss wgan-gp --ada-target 0",
         [&] {
           train::GanConfig c = progan(0, 0.6);
           c.loss = train::GanLoss::kWganGp;
           c.ada_target = 0;
           return c;
         }()},
        {"progan, at 64 px, --r1 0", progan(0, 0.6)},
        {"progan, at 64 px, --r1 0 --ada-target 0 --diffaugment none", progan(0, -1)},
        {"resnet, defaults", with(train::GanArch::kResnet, S, 0.6)},
        {"resnet, --upsample resize (the default before stop 34)",
         with(train::GanArch::kResnet, R, 0.6)},
        {"resnet, --upsample bilinear", with(train::GanArch::kResnet, B, 0.6)},
        {"resnet, --upsample skip-bilinear-last",
         with(train::GanArch::kResnet, models::Upsample::kSkipBilinearLast, 0.6)},
        {"resnet, --spectral-loss 1",
         [&] {
           train::GanConfig c = with(train::GanArch::kResnet, S, 0.6);
           c.spectral_weight = 1.0;
           return c;
         }()},
        {"resnet, --minibatch-stddev",
         [&] {
           train::GanConfig c = with(train::GanArch::kResnet, S, 0.6);
           c.minibatch_stddev = true;
           return c;
         }()},
        {"resnet, --ada-per-class --ada-heuristic rv --ada-target 0.3 (probe every 16 steps)",
         [&] {
           train::GanConfig c = with(train::GanArch::kResnet, S, 0.3);
           c.ada_per_class = true;
           c.ada_heuristic = train::AdaHeuristic::kRv;
           return c;
         }()},
        {"resnet, --lecam 0.3",
         [&] {
           train::GanConfig c = with(train::GanArch::kResnet, S, 0.6);
           c.lecam_weight = 0.3;
           return c;
         }()},
        {"resnet, --ada-target 0 --diffaugment none",
         [&] {
           train::GanConfig c = with(train::GanArch::kResnet, S, 0);
           c.diff_augment = augment::DiffAugmentPolicy();
           return c;
         }()},
        {"resnet, --d-steps 1 --lr-g 1e-4 (the defaults before stop 21)",
         [&] {
           train::GanConfig c = with(train::GanArch::kResnet, S, 0.6);
           c.d_steps = 1;
           c.lr_g = 1e-4;
           return c;
         }()},
        {"fastgan, defaults", with(train::GanArch::kFastgan, R, 0)},
        {"resnet, --g-channels 16 --d-channels 16",
         [&] {
           train::GanConfig c = with(train::GanArch::kResnet, S, 0.6);
           c.g_channels = c.d_channels = 16;
           return c;
         }()},
    };
    std::printf(
        "\n| architecture (width 32, 64 px, batch 64, 7 classes) | images/s | vs plain | "
        "peak RSS (MiB) |\n| --- | ---: | ---: | ---: |\n");
    double reference = 0;
    for (const Row& row : rows) {
      const bool is_reference = &row == &rows.front();
      if (!is_reference && !only.empty() && !names_any(row.name, only)) continue;
      reset_peak_rss();
      const StepResult r = measure_steps(row.config, random_images, steps, 7);
      if (reference == 0) reference = r.images_per_second;
      std::printf("| %s | %.1f | %.2f | %.0f |\n", row.name, r.images_per_second,
                  r.images_per_second / reference,
                  static_cast<double>(peak_rss_bytes()) / (1 << 20));
      std::fflush(stdout);
    }
  }
  if (!set_dir.empty()) {
    // One epoch over every image of the set (pytorch/examples iterates its ImageFolder the same
    // way), loading included: open the set, read the cache, train N / 64 steps.
    const auto start = Clock::now();
    const data::PreparedSet set = data::PreparedSet::open(set_dir);
    const torch::Tensor images = set.load_images();
    train::GanConfig config = plain_dcgan(32);
    config.steps = images.size(0) / config.batch_size;
    train::GanTrainer trainer(config, images, torch::zeros({images.size(0)}, torch::kLong), 1,
                              torch::kCPU);
    for (int64_t i = 0; i < config.steps; ++i) trainer.train_step();
    const double seconds = seconds_since(start);
    std::printf(
        "\nepoch over %s: %lld images, %lld steps of 64, %.1f s end to end (%.1f images/s)\n",
        set_dir.c_str(), static_cast<long long>(images.size(0)),
        static_cast<long long>(config.steps), seconds,
        static_cast<double>(config.steps * 64) / seconds);
  }
  return 0;
}
