// Which training rows each classifier step sees, under the synthetic-image policy:
//   mixed epochs:     every row joins one pool (data/batch_sampler.h, uniform or balanced), or
//                     with --synthetic-ratio each batch slot is synthetic with that probability
//                     (data/mix_sampler.h);
//   fine-tune epochs: the last finetune_real_epochs draw from the real rows only.
// All draws come from the caller's generator; save()/load() keep resume exact.
#pragma once

#include <optional>

#include <ATen/core/Generator.h>
#include <torch/serialize.h>
#include <torch/types.h>

#include "data/batch_sampler.h"
#include "data/mix_sampler.h"
#include "train/classifier_config.h"

namespace skingan::train {

class TrainingBatches {
 public:
  // labels long [N], synthetic bool [N] (CPU): the run's training rows. ConfigError when a
  // sampler the run will use cannot draw config.batch_size rows (BatchSampler::check_batch).
  TrainingBatches(const torch::Tensor& labels, const torch::Tensor& synthetic, int64_t classes,
                  const ClassifierConfig& config);

  // long [batch_size] row indices (CPU) for a step of `epoch` (0-based).
  torch::Tensor next(int64_t epoch, at::Generator& generator);
  bool real_only(int64_t epoch) const;

  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  int64_t batch_size_, epochs_, finetune_epochs_;
  data::BatchSampler pool_;
  std::optional<data::MixSampler> mix_;
  torch::Tensor real_rows_;  // long [R]: the real rows' indices
  std::optional<data::BatchSampler> real_;
};

}  // namespace skingan::train
