#include "generate/latent.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "core/hash.h"

namespace skingan::generate {

at::Tensor latent_block(uint64_t seed, const std::string& label, int64_t block, int64_t dim,
                        double truncation) {
  Fnv1a64 key;
  key.update_u64(seed).update(label).update_u64(static_cast<uint64_t>(block));
  at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(key.value());
  torch::Tensor z = torch::randn({kLatentBlock, dim}, rng, torch::kFloat);
  if (truncation > 0) {
    for (torch::Tensor outside = z.abs() > truncation; outside.any().item<bool>();
         outside = z.abs() > truncation) {
      z = torch::where(outside, torch::randn({kLatentBlock, dim}, rng, torch::kFloat), z);
    }
  }
  return z;
}

}  // namespace skingan::generate
