// Which training images go into each batch.
//   uniform:  epochs of a seeded permutation, full batches only (the remainder of an epoch is
//             dropped), like a shuffling DataLoader with drop_last.
//   balanced: every image's class drawn uniformly, then an image of that class uniformly, so
//             rare classes are seen as often as common ones (for conditional GANs). With a
//             power q > 0, class c is drawn with probability n_c^q / sum_k n_k^q instead (the
//             q of Kang et al. 2020: 0 class-balanced, 1/2 square-root, 1 the images'
//             frequencies), so the few images of a rare class are repeated less often.
// All randomness comes from the caller's CPU generator, so a run is reproducible on any device,
// and state() / load_state() make resuming exact.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

namespace skingan::data {

class BatchSampler {
 public:
  // labels: long [N] on the CPU with values in [0, num_classes). balance_power: q in [0, 1]
  // (balanced only).
  BatchSampler(const torch::Tensor& labels, int64_t num_classes, bool balanced,
               double balance_power = 0);

  // long [batch] image indices (CPU).
  torch::Tensor next(int64_t batch, at::Generator& generator);

  // ConfigError naming --batch-size when next(batch) cannot draw it: a uniform epoch needs at
  // least one full batch of images (balanced draws need none). Lets a caller refuse up front.
  void check_batch(int64_t batch) const;

  // Draws `batch` class labels with the sampler's policy: uniform over classes when balanced
  // (n_c^q / sum_k n_k^q with a power q), else with the classes' frequencies. long [batch] (CPU).
  torch::Tensor sample_labels(int64_t batch, at::Generator& generator) const;

  // The probability of each class in a draw: double [K] (CPU).
  torch::Tensor class_probabilities() const;

  torch::Tensor state() const;  // long [N + 1]: the permutation and the position
  void load_state(const torch::Tensor& state);
  int64_t size() const { return labels_.size(0); }

 private:
  torch::Tensor labels_;  // [N]
  int64_t num_classes_;
  bool balanced_;
  torch::Tensor by_class_;  // [N] image indices sorted by class
  torch::Tensor offsets_;   // [K] first position of each class in by_class_
  torch::Tensor counts_;    // [K] images per class
  // [K] double: n_c^q / sum_k n_k^q, for a balanced sampler with a power q > 0 (else undefined:
  // q = 0 draws classes uniformly by randint, as before the power existed, so runs repeat).
  torch::Tensor tempered_;
  torch::Tensor permutation_;  // [N] current epoch order (uniform)
  int64_t position_ = 0;
};

}  // namespace skingan::data
