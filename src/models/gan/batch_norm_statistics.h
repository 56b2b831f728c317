// Standing BatchNorm statistics for a generator (Brock et al. 2019, BigGAN, "standing stats").
//
// Why: a generator trains in training mode only, so its BatchNorm running statistics are an
// exponential average (momentum 0.1) of the last few batches' statistics under weights that have
// moved since, and the EMA generator's are the raw generator's, which belong to other weights.
// Sampling in evaluation mode with those statistics mis-scales every block; the measured cost is
// in the closing note of issue 12. Recomputing them as a plain average over many fresh batches,
// with the weights that will sample, gives evaluation-mode output what training-mode output
// would have on average, while each image still depends only on its own noise.
#pragma once

#include <cstdint>
#include <vector>

#include <c10/core/Device.h>
#include <torch/nn/module.h>

#include "models/gan/generator.h"

namespace skingan::models {

// Resets every BatchNorm in `generator` and re-estimates its running mean and variance as the
// cumulative average over `batches` training-mode forward passes of `batch_size` standard normal
// noise vectors (labels uniform over the classes for a conditional generator), drawn from a
// generator seeded with `seed` so the result is reproducible. No gradients; the generator is left
// in evaluation mode with its momentum settings restored. A generator without BatchNorm is left
// unchanged. Returns the number of BatchNorm layers recomputed.
int64_t recompute_batch_norm_statistics(Generator& generator, int64_t batches, int64_t batch_size,
                                        uint64_t seed, c10::Device device);

// A module's buffers (BatchNorm running statistics among them) as they are when this is made,
// copied back when it ends: training-mode passes or recomputed statistics in between leave the
// training state as it was.
class KeptBuffers {
 public:
  explicit KeptBuffers(torch::nn::Module& module);
  ~KeptBuffers();
  KeptBuffers(const KeptBuffers&) = delete;
  KeptBuffers& operator=(const KeptBuffers&) = delete;

 private:
  torch::nn::Module& module_;
  std::vector<torch::Tensor> kept_;
};

// The defaults skingan samples with: 32 batches of 64 (2,048 draws; the average's relative
// standard error is then under 3% per channel).
inline constexpr int64_t kStandingBatches = 32;
inline constexpr int64_t kStandingBatchSize = 64;

}  // namespace skingan::models
