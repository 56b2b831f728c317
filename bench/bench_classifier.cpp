// Classifier throughput: training images/s (classic augmentation + forward + backward + AdamW
// step, batch 64) and evaluation images/s (batch 256, no augmentation) at 64 and 128 px for the
// ResNet-18-style model (widths 32 and 64) and the small CNN, with peak memory. Random images:
// speed does not depend on content. Compare with bench/reference_resnet18.py (torchvision's
// resnet18 in Python on the same machine).
//
//   bench_classifier [--steps N] [--threads N]
#include <ATen/CPUGeneratorImpl.h>
#include <chrono>
#include <cstdio>
#include <string>

#include <torch/torch.h>

#include "augment/classic.h"
#include "bench_flags.h"
#include "core/memory.h"
#include "core/threads.h"
#include "models/classifier/classifier.h"
#include "models/gan/layers.h"

using namespace skingan;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 10, threads = 0;
  if (!bench::parse_flags(argc, argv,
                          {{"--steps", [&](const std::string& v) { steps = std::stoi(v); }},
                           {"--threads", [&](const std::string& v) { threads = std::stoi(v); }}}))
    return 2;
  const ThreadSettings settings = configure_threads(threads);
  std::printf("threads: torch %d; %d timed training steps of 64 after 2 warm-up steps\n\n",
              settings.torch_threads, steps);
  std::printf("| model | size | train images/s | eval images/s | peak RSS (MiB) |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: |\n");
  const augment::ClassicPolicy policy = augment::parse_classic_policy("classic");
  struct Case {
    models::ClassifierArch arch;
    int64_t width;
  };
  for (int64_t size : {64, 128}) {
    for (const Case c :
         {Case{models::ClassifierArch::kResnet18, 32}, Case{models::ClassifierArch::kResnet18, 64},
          Case{models::ClassifierArch::kSmallCnn, 32}}) {
      reset_peak_rss();
      torch::manual_seed(0);
      models::Classifier model(
          models::ClassifierOptions().arch(c.arch).num_classes(7).image_size(size).width(c.width));
      models::use_channels_last(*model);
      torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
      at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(1);
      const torch::Tensor images = torch::randint(0, 256, {256, 3, size, size}, torch::kByte);
      const torch::Tensor labels = torch::randint(0, 7, {256}, torch::kLong);
      auto train_step = [&](int64_t i) {
        const torch::Tensor idx = torch::arange(i * 64 % 256, i * 64 % 256 + 64);
        torch::Tensor x = images.index_select(0, idx).to(torch::kFloat).div_(255.0);
        x = models::normalize_images(augment::classic_augment(x, policy, rng))
                .contiguous(torch::MemoryFormat::ChannelsLast);
        const torch::Tensor loss =
            torch::nn::functional::cross_entropy(model->forward(x), labels.index_select(0, idx));
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
      };
      model->train();
      for (int i = 0; i < 2; ++i) train_step(i);
      auto start = Clock::now();
      for (int i = 0; i < steps; ++i) train_step(i);
      const double train_rate = 64.0 * steps / seconds_since(start);
      models::predict_probabilities(model, images.slice(0, 0, 64), 256, torch::kCPU);
      start = Clock::now();
      models::predict_probabilities(model, images, 256, torch::kCPU);
      const double eval_rate = 256.0 / seconds_since(start);
      std::printf("| %s w%lld | %lld | %.1f | %.1f | %.0f |\n",
                  models::classifier_arch_name(c.arch).c_str(), static_cast<long long>(c.width),
                  static_cast<long long>(size), train_rate, eval_rate,
                  static_cast<double>(peak_rss_bytes()) / (1 << 20));
      std::fflush(stdout);
    }
  }
  return 0;
}
