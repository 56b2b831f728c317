// D's memorisation per class, measured on held-out real images: Karras et al. 2020's validation
// heuristic (StyleGAN2-ADA, section 3)
//   r_v = (E[D(train)] - E[D(validation)]) / (E[D(train)] - E[D(generated)]),
// 0 while D scores unseen real images like its training images, 1 when it scores them like fakes.
// The paper only plots it; skingan can also steer ADA by it (--ada-heuristic rv), because on
// HAM10000 the paper's r_t = E[sign D(real)] stayed below its target while D memorised the small
// classes (r_v 1.10 for df and 0.96 for vasc, 0.25 for nv; docs/scores_ham10000.md section 18).
// A probe is fixed image subsets and fake noise, so the same weights give the same r_v: runs and
// resume stay exact.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/types.h>

namespace skingan::train {

// Steps between two measurements when r_v steers ADA, and images per class and kind.
inline constexpr int64_t kOverfitProbeEvery = 16;
inline constexpr int64_t kOverfitProbeImages = 64;

struct OverfitProbe {
  torch::Tensor train_images, train_labels;            // uint8 [n,3,S,S], long [n]
  torch::Tensor validation_images, validation_labels;  // uint8 [v,3,S,S], long [v]
  torch::Tensor noise, fake_labels;                    // float [f,latent], long [f]
};

// uint8 [N,3,S,S] -> float in [-1,1], as the trainer feeds D.
torch::Tensor pixels_to_unit_range(const torch::Tensor& pixels);

// At most `keep` of positions 0..count-1, evenly spaced (the first and the last among them), in
// order.
std::vector<int64_t> evenly_spaced(int64_t count, int64_t keep);

// At most `per_class` of each class's images (labels: long [N] in [0, classes)), evenly spaced
// through its rows: the indices, long [n] (CPU).
torch::Tensor evenly_spaced_per_class(const torch::Tensor& labels, int64_t classes,
                                      int64_t per_class);

// A probe of up to kOverfitProbeImages training and validation images per class and as many
// fakes per class, drawn from `generator` (its own, so the training RNG never moves).
OverfitProbe make_overfit_probe(const torch::Tensor& train_images,
                                const torch::Tensor& train_labels,
                                const torch::Tensor& validation_images,
                                const torch::Tensor& validation_labels, int64_t classes,
                                int64_t latent_dim, uint64_t seed);

// r_v per group from D's logits (float [n], [v], [f]) and their classes: groups == 1 pools every
// class. Returns {r_v, valid}, double [groups] each on the CPU; valid is 1 where a group had
// images of all three kinds and D told its training images from its fakes (|difference| >
// 1e-6), else 0 (and r_v 0).
std::pair<torch::Tensor, torch::Tensor> overfit_ratio(
    const torch::Tensor& train_logits, const torch::Tensor& train_labels,
    const torch::Tensor& validation_logits, const torch::Tensor& validation_labels,
    const torch::Tensor& fake_logits, const torch::Tensor& fake_labels, int64_t groups);

}  // namespace skingan::train
