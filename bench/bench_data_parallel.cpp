// Data-parallel train-classifier step, per rank: where the time of one step goes when N
// processes share the work (dist/). Run it as torchrun runs skingan, one process per rank:
//
//   torchrun --nproc_per_node 2 --redirects 2 --tee 2 --no_python
//       build/bench/bench_data_parallel --threads 1 --batch 32         (one command line)
//   build/bench/bench_data_parallel --threads 2 --batch 64        # the one-process reference
//
// (bench/data_parallel.sh runs both and the real command.) For the ResNet-18-style classifier
// (width 32, 64 px, 7 classes) it times, per step and averaged over --steps after 2 warm-up
// steps: forward + backward with every rank's BatchNorm local (compute alone), forward + backward
// with synchronised BatchNorm (compute + its all-reduces), and the bucketed gradient all-reduce;
// also the bytes each step all-reduces. Random images: speed does not depend on content.
#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include <torch/torch.h>

#include "data_parallel_bench.h"
#include "dist/gradient_sync.h"
#include "models/classifier/classifier.h"
#include "models/distributed_layers.h"
#include "models/gan/layers.h"

using namespace skingan;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  bench::DataParallelBench b;
  if (!bench::start_data_parallel_bench(argc, argv, b)) return 2;
  const int steps = b.steps, batch = b.batch, width = b.width, size = b.size;
  const ThreadSettings& settings = b.settings;
  const dist::Rendezvous& rendezvous = b.rendezvous;
  const std::unique_ptr<dist::ProcessGroup>& group = b.group;
  const int ranks = b.ranks();
  torch::manual_seed(0);
  models::Classifier model(
      models::ClassifierOptions().num_classes(7).image_size(size).width(width));
  models::use_channels_last(*model);
  model->train();
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
  const torch::Tensor x = (torch::rand({batch, 3, size, size}) - 0.5)
                              .contiguous(torch::MemoryFormat::ChannelsLast);  // [B,3,S,S]
  const torch::Tensor y = torch::randint(0, 7, {batch}, torch::kLong);
  int64_t gradient_bytes = 0;
  for (const auto& p : model->parameters()) gradient_bytes += p.numel() * p.element_size();

  // One training step; `sync` chooses synchronised BatchNorm (the group active) or local.
  double forward_backward_ms = 0, all_reduce_ms = 0;
  auto step = [&](bool sync) {
    dist::ActiveGroup active(sync ? group.get() : nullptr);
    auto start = Clock::now();
    optimizer.zero_grad();
    torch::nn::functional::cross_entropy(model->forward(x), y).backward();
    forward_backward_ms += ms_since(start);
    start = Clock::now();
    if (group) dist::average_gradients(*group, model->parameters(), false);
    all_reduce_ms += ms_since(start);
    optimizer.step();
  };
  auto measure = [&](bool sync) {
    for (int i = 0; i < 2; ++i) step(sync);
    forward_backward_ms = all_reduce_ms = 0;
    const auto start = Clock::now();
    for (int i = 0; i < steps; ++i) step(sync);
    const double total = ms_since(start) / steps;
    return std::array<double, 3>{forward_backward_ms / steps, all_reduce_ms / steps, total};
  };
  const auto local = measure(false);
  const auto synced = measure(true);
  // Latency of one small all-reduce (a BatchNorm layer's 2C statistics), the cost synchronised
  // BatchNorm pays twice per layer and step.
  double small_us = 0;
  if (group) {
    torch::Tensor stats = torch::ones({512});
    for (int i = 0; i < 10; ++i) group->all_reduce_sum(stats, "latency probe");
    const auto start = Clock::now();
    for (int i = 0; i < 200; ++i) group->all_reduce_sum(stats, "latency probe");
    small_us = 1000 * ms_since(start) / 200;
  }
  int64_t norms = 0;
  for (const auto& m : model->modules(false))
    if (m->as<models::SyncBatchNorm2d>() != nullptr) ++norms;
  if (rendezvous.rank != 0) return 0;
  std::printf(
      "ranks %d x torch threads %d, batch %d per rank (global %d), resnet18 width %d, "
      "%d px, %d timed steps\n",
      ranks, settings.torch_threads, batch, batch * ranks, width, size, steps);
  std::printf(
      "gradients all-reduced per step: %.2f MiB; BatchNorm layers: %lld (2 small "
      "all-reduces each per synchronised step); one small all-reduce: %.0f us\n\n",
      static_cast<double>(gradient_bytes) / (1 << 20), static_cast<long long>(norms), small_us);
  std::printf(
      "| BatchNorm | forward+backward ms | gradient all-reduce ms | step ms | global "
      "images/s |\n| --- | ---: | ---: | ---: | ---: |\n");
  for (const auto& [name, t] : {std::pair{"local", local}, std::pair{"synchronised", synced}}) {
    std::printf("| %s | %.1f | %.1f | %.1f | %.0f |\n", name, t[0], t[1], t[2],
                1000.0 * batch * ranks / t[2]);
  }
  return 0;
}
