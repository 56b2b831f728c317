#include "data/batch_sampler.h"

#include <torch/torch.h>

#include "core/error.h"

namespace skingan::data {

BatchSampler::BatchSampler(const torch::Tensor& labels, int64_t num_classes, bool balanced,
                           double balance_power)
    : labels_(labels.to(torch::kCPU, torch::kLong).contiguous()),
      num_classes_(num_classes),
      balanced_(balanced) {
  TORCH_CHECK(labels_.dim() == 1 && labels_.size(0) > 0,
              "BatchSampler needs a non-empty [N] label tensor");
  TORCH_CHECK(balance_power >= 0 && balance_power <= 1,
              "BatchSampler: balance power in [0, 1], got ", balance_power);
  counts_ = torch::bincount(labels_, {}, num_classes_);
  by_class_ = torch::argsort(labels_ * labels_.size(0) + torch::arange(labels_.size(0)));  // stable
  offsets_ = torch::cumsum(counts_, 0) - counts_;
  if (balanced_ && (counts_ == 0).any().item<bool>()) {
    throw DataError(
        "class-balanced sampling needs at least one training image of every class; "
        "restrict --classes to the classes present.");
  }
  if (balanced_ && balance_power > 0) {
    const torch::Tensor weights = torch::pow(counts_.to(torch::kDouble), balance_power);
    tempered_ = weights / weights.sum();
  }
  position_ = labels_.size(0);  // forces a fresh permutation on the first batch
}

torch::Tensor BatchSampler::class_probabilities() const {
  if (tempered_.defined()) return tempered_.clone();
  if (balanced_) return torch::full({num_classes_}, 1.0 / num_classes_, torch::kDouble);
  return counts_.to(torch::kDouble) / static_cast<double>(labels_.size(0));
}

torch::Tensor BatchSampler::sample_labels(int64_t batch, at::Generator& generator) const {
  if (tempered_.defined()) return torch::multinomial(tempered_, batch, true, generator);
  if (balanced_) return torch::randint(0, num_classes_, {batch}, generator, torch::kLong);
  const torch::Tensor pick = torch::randint(0, labels_.size(0), {batch}, generator, torch::kLong);
  return labels_.index_select(0, pick);
}

void BatchSampler::check_batch(int64_t batch) const {
  const int64_t n = labels_.size(0);
  if (balanced_ || batch <= n) return;
  throw ConfigError(describe_problem("--batch-size " + std::to_string(batch),
                                     std::to_string(n) + " training images to draw from",
                                     "at most " + std::to_string(n) + " per batch",
                                     "Use a smaller --batch-size, or more training images."));
}

torch::Tensor BatchSampler::next(int64_t batch, at::Generator& generator) {
  const int64_t n = labels_.size(0);
  if (balanced_) {
    const torch::Tensor classes = sample_labels(batch, generator);
    const torch::Tensor u = torch::rand({batch}, generator, torch::kDouble);
    const torch::Tensor within =
        (u * counts_.index_select(0, classes).to(torch::kDouble)).to(torch::kLong);
    return by_class_.index_select(0, offsets_.index_select(0, classes) + within);
  }
  check_batch(batch);
  if (position_ + batch > n) {
    permutation_ = torch::randperm(n, generator, torch::kLong);
    position_ = 0;
  }
  const torch::Tensor indices = permutation_.slice(0, position_, position_ + batch);
  position_ += batch;
  return indices;
}

torch::Tensor BatchSampler::state() const {
  const torch::Tensor perm =
      permutation_.defined() ? permutation_ : torch::zeros({0}, torch::kLong);
  return torch::cat({perm, torch::tensor({position_}, torch::kLong)});
}

void BatchSampler::load_state(const torch::Tensor& state) {
  const torch::Tensor s = state.to(torch::kCPU, torch::kLong);
  const int64_t n = labels_.size(0);
  TORCH_CHECK(s.size(0) == 1 || s.size(0) == n + 1, "sampler state of another data set");
  position_ = s[-1].item<int64_t>();
  permutation_ = s.size(0) == 1 ? torch::Tensor() : s.slice(0, 0, n).clone();
}

}  // namespace skingan::data
