// Data-parallel train-gan step, per rank: the whole GanTrainer step (D update, G update, EMA) as
// N processes share the global batch, and the part of it that is gradient communication. Run it
// as torchrun runs skingan, one process per rank:
//
//   torchrun --nproc_per_node 2 --redirects 2 --tee 2 --no_python \
//       build/bench/bench_gan_data_parallel --threads 1 --batch 32
//   build/bench/bench_gan_data_parallel --threads 2 --batch 64    # the one-process reference
//
// (bench/data_parallel.sh runs both.) Times --steps unmeasured steps after 2 warm-up steps,
// then the gradient all-reduces of one step alone (D's and G's gradients, d_steps + 1 bucketed
// all-reduces), and reports the bytes they carry. Random images: speed does not depend on
// content. Synchronised BatchNorm's and the minibatch deviation's small all-reduces are inside
// the step time.
#include <chrono>
#include <cstdio>
#include <memory>

#include <torch/torch.h>

#include "bench_flags.h"
#include "core/threads.h"
#include "dist/gradient_sync.h"
#include "dist/process_group.h"
#include "dist/rendezvous.h"
#include "train/gan_trainer.h"

using namespace skingan;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

int64_t gradient_bytes(torch::nn::Module& module) {
  int64_t bytes = 0;
  for (const auto& p : module.parameters()) bytes += p.numel() * p.element_size();
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 10, threads = 0, batch = 32, width = 32, size = 64;
  std::string arch = "resnet";
  if (!bench::parse_flags(argc, argv,
                          {{"--steps", [&](const std::string& v) { steps = std::stoi(v); }},
                           {"--threads", [&](const std::string& v) { threads = std::stoi(v); }},
                           {"--batch", [&](const std::string& v) { batch = std::stoi(v); }},
                           {"--width", [&](const std::string& v) { width = std::stoi(v); }},
                           {"--size", [&](const std::string& v) { size = std::stoi(v); }},
                           {"--arch", [&](const std::string& v) { arch = v; }}}))
    return 2;
  const ThreadSettings settings = configure_threads(threads);
  const dist::Rendezvous rendezvous = dist::rendezvous_from_environment();
  std::unique_ptr<dist::ProcessGroup> group;
  if (rendezvous.distributed()) {
    group = std::make_unique<dist::ProcessGroup>(rendezvous, std::chrono::seconds(120));
  }
  const int ranks = rendezvous.world_size;
  train::GanConfig config = train::default_gan_config(train::parse_gan_arch(arch));
  config.image_size = size;
  config.g_channels = width;
  config.d_channels = width;
  config.batch_size = batch * ranks;  // the global batch
  torch::manual_seed(0);
  const torch::Tensor images = torch::randint(0, 256, {512, 3, size, size}, torch::kByte);
  const torch::Tensor labels = torch::randint(0, 7, {512}, torch::kLong);
  train::GanTrainer trainer(config, images, labels, 7, torch::kCPU, group.get());
  for (int i = 0; i < 2; ++i) trainer.train_step(/*measure=*/false);
  auto start = Clock::now();
  for (int i = 0; i < steps; ++i) trainer.train_step(/*measure=*/false);
  const double step_ms = ms_since(start) / steps;
  // The gradient all-reduces of one step, on the gradients the last step left.
  double all_reduce_ms = 0;
  if (group) {
    const int repeats = 10;
    start = Clock::now();
    for (int i = 0; i < repeats; ++i) {
      for (int64_t d = 0; d < config.d_steps; ++d)
        dist::average_gradients(*group, trainer.discriminator()->parameters(), false);
      dist::average_gradients(*group, trainer.generator()->parameters(), false);
    }
    all_reduce_ms = ms_since(start) / repeats;
  }
  if (rendezvous.rank != 0) return 0;
  const double mib = static_cast<double>(config.d_steps * gradient_bytes(*trainer.discriminator()) +
                                         gradient_bytes(*trainer.generator())) /
                     (1 << 20);
  std::printf("| %s w%d %dpx | %d x %d | %d (%d) | %.1f | %.2f | %.1f | %.0f |\n", arch.c_str(),
              width, size, ranks, settings.torch_threads, batch, batch * ranks, step_ms, mib,
              all_reduce_ms, 1000.0 * batch * ranks / step_ms);
  return 0;
}
