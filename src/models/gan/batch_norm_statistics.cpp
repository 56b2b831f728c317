#include "models/gan/batch_norm_statistics.h"

#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "dist/process_group.h"
#include "models/distributed_layers.h"

namespace skingan::models {

KeptBuffers::KeptBuffers(torch::nn::Module& module) : module_(module) {
  torch::NoGradGuard no_grad;
  for (const auto& b : module_.buffers()) kept_.push_back(b.clone());
}

KeptBuffers::~KeptBuffers() {
  torch::NoGradGuard no_grad;
  const std::vector<torch::Tensor> buffers = module_.buffers();
  for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(kept_[i]);
}

int64_t recompute_batch_norm_statistics(Generator& generator, int64_t batches, int64_t batch_size,
                                        uint64_t seed, c10::Device device) {
  TORCH_CHECK(batches > 0 && batch_size > 1,
              "recompute_batch_norm_statistics needs batches > 0 and batch_size > 1, got ", batches,
              " and ", batch_size);
  // Every BatchNorm of skingan's generators, including those inside the conditional norms.
  std::vector<SyncBatchNorm2dImpl*> norms;
  for (auto& module : generator->modules(/*include_self=*/false)) {
    if (auto* bn = module->as<SyncBatchNorm2dImpl>()) norms.push_back(bn);
  }
  if (norms.empty()) return 0;
  std::vector<c10::optional<double>> momenta;
  for (auto* bn : norms) {
    momenta.push_back(bn->options.momentum());
    bn->options.momentum(c10::nullopt);  // cumulative average over the batches below
    bn->reset_running_stats();
  }
  // This process's own statistics: in a data-parallel run only rank 0 samples, so the layers
  // must not wait for the other ranks.
  dist::ActiveGroup one_process(nullptr);
  torch::NoGradGuard no_grad;
  generator->train();
  at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(seed);
  const GeneratorOptions& o = generator->options();
  for (int64_t b = 0; b < batches; ++b) {
    const torch::Tensor z = torch::randn({batch_size, o.latent_dim()}, rng, torch::kFloat);
    torch::Tensor labels;
    if (o.conditioning() != Conditioning::kNone) {
      labels = torch::randint(o.num_classes(), {batch_size}, rng, torch::kLong).to(device);
    }
    generator->forward(z.to(device), labels);
  }
  for (size_t i = 0; i < norms.size(); ++i) norms[i]->options.momentum(momenta[i]);
  generator->eval();
  return static_cast<int64_t>(norms.size());
}

}  // namespace skingan::models
