// Data-parallel train-gan step, per rank: the whole GanTrainer step (D update, G update, EMA) as
// N processes share the global batch, and the part of it that is gradient communication. Run it
// as torchrun runs skingan, one process per rank:
//
//   torchrun --nproc_per_node 2 --redirects 2 --tee 2 --no_python
//       build/bench/bench_gan_data_parallel --threads 1 --batch 32     (one command line)
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

#include "data_parallel_bench.h"
#include "dist/gradient_sync.h"
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
  bench::DataParallelBench b;
  b.steps = 10;
  std::string arch = "resnet";
  if (!bench::start_data_parallel_bench(argc, argv, b,
                                        {{"--arch", [&](const std::string& v) { arch = v; }}}))
    return 2;
  const int steps = b.steps, batch = b.batch, width = b.width, size = b.size;
  const std::unique_ptr<dist::ProcessGroup>& group = b.group;
  const int ranks = b.ranks();
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
  if (b.rendezvous.rank != 0) return 0;
  const double mib = static_cast<double>(config.d_steps * gradient_bytes(*trainer.discriminator()) +
                                         gradient_bytes(*trainer.generator())) /
                     (1 << 20);
  std::printf("| %s w%d %dpx | %d x %d | %d (%d) | %.1f | %.2f | %.1f | %.0f |\n", arch.c_str(),
              width, size, ranks, b.settings.torch_threads, batch, batch * ranks, step_ms, mib,
              all_reduce_ms, 1000.0 * batch * ranks / step_ms);
  return 0;
}
