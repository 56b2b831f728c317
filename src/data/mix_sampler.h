// Batches with a set share of synthetic images (`train-classifier --synthetic-ratio R`).
//
// Every batch slot is drawn independently (with replacement):
//   1. its class: uniform over the classes when balanced, else with the real images' class
//      frequencies, so the class mix is that of the real data or uniform, whatever the number of
//      synthetic images;
//   2. its source: synthetic with probability R when the class has synthetic images (and real
//      when it has none, e.g. the classes that --synthetic-classes leaves out); a class without
//      real training images but with synthetic ones always gives a synthetic image;
//   3. an image of that class and source, uniformly.
// So where every class receives synthetic images, R is the expected synthetic share of every
// batch; with --synthetic-classes it is that share among the receiving classes' slots.
// Randomness comes from the caller's CPU generator only: runs are reproducible and the sampler
// keeps no state between batches (resume needs nothing from it).
#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

namespace skingan::data {

class MixSampler {
 public:
  // labels: long [N] in [0, num_classes); synthetic: bool [N] (CPU); ratio in [0, 1].
  // Throws DataError when a class that must be drawn (every class when balanced) has no image.
  MixSampler(const torch::Tensor& labels, const torch::Tensor& synthetic, int64_t num_classes,
             bool balanced, double ratio);

  // long [batch] row indices (CPU).
  torch::Tensor next(int64_t batch, at::Generator& generator) const;

 private:
  int64_t num_classes_;
  bool balanced_;
  double ratio_;
  // Rows grouped by (class, source): group g = 2 * class + (synthetic ? 1 : 0).
  torch::Tensor by_group_;       // [N] row indices sorted by group
  torch::Tensor group_offset_;   // [2K] first position of each group in by_group_
  torch::Tensor group_count_;    // [2K] rows per group
  torch::Tensor class_weights_;  // [K] real images per class (class draw when not balanced)
};

}  // namespace skingan::data
