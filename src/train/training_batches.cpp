#include "train/training_batches.h"

#include <torch/torch.h>

namespace skingan::train {

TrainingBatches::TrainingBatches(const torch::Tensor& labels, const torch::Tensor& synthetic,
                                 int64_t classes, const ClassifierConfig& config)
    : batch_size_(config.batch_size),
      epochs_(config.epochs),
      finetune_epochs_(config.finetune_real_epochs),
      pool_(labels, classes, config.balanced_sampler),
      real_rows_(torch::nonzero(synthetic.to(torch::kBool).logical_not()).view(-1)) {
  if (config.synthetic_ratio >= 0) {
    mix_.emplace(labels, synthetic, classes, config.balanced_sampler, config.synthetic_ratio);
  }
  if (finetune_epochs_ > 0) {
    real_.emplace(labels.index_select(0, real_rows_), classes, config.balanced_sampler);
    real_->check_batch(batch_size_);
  }
  if (!mix_) pool_.check_batch(batch_size_);
}

bool TrainingBatches::real_only(int64_t epoch) const {
  return finetune_epochs_ > 0 && epoch >= epochs_ - finetune_epochs_;
}

torch::Tensor TrainingBatches::next(int64_t epoch, at::Generator& generator) {
  if (real_only(epoch)) return real_rows_.index_select(0, real_->next(batch_size_, generator));
  if (mix_) return mix_->next(batch_size_, generator);
  return pool_.next(batch_size_, generator);
}

void TrainingBatches::save(torch::serialize::OutputArchive& archive) const {
  archive.write("sampler", pool_.state());
  if (real_) archive.write("real_sampler", real_->state());
}

void TrainingBatches::load(torch::serialize::InputArchive& archive) {
  torch::Tensor state;
  archive.read("sampler", state);
  pool_.load_state(state);
  if (real_) {
    torch::Tensor real_state;
    archive.read("real_sampler", real_state);
    real_->load_state(real_state);
  }
}

}  // namespace skingan::train
