// Scoring a generator while it trains (`train-gan --eval-every N`): the EMA generator draws
// `images_per_class` images of each class from a fixed noise stream, and their features are
// compared with the real validation images of the class: KID per class (FID too where both
// sides have at least kFidMinImages), and their mean over classes, which picks the best
// checkpoint. The texture of all classes' images pooled against the pooled validation images
// (eval/image_spectrum.h) is logged beside it, and how far D has memorised each class's training
// images: Karras et al. 2020's validation heuristic
//   r_v = (E[D(train)] - E[D(validation)]) / (E[D(train)] - E[D(generated)])
// on unaugmented images, 0 while D scores unseen real images like the ones it trains on, 1 when it
// scores them like fakes. Per class because balanced sampling shows the small classes' few images
// far more often, and ADA's r_t does not tell them apart (docs/scores_ham10000.md section 18). The
// cost is one generation, one feature pass and one D pass per evaluation.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "data/prepared_set.h"
#include "eval/feature_model.h"
#include "train/gan_trainer.h"

namespace skingan::train {

// One label the generator draws and the real validation images it is compared with.
struct EvalClass {
  std::string label;  // a class, or "all" for an unconditional generator (every class pooled)
  int64_t index = 0;  // the generator's label index
  at::Tensor images;  // uint8 [n,3,S,S], n >= 4
  // uint8 [m,3,S,S]: the label's real training images (m >= 0), for D's memorisation (r_v).
  at::Tensor train_images;
};

// For each label a unit draws (row_labels, in label order; "all" pools `classes`), its real
// validation images in `set`. Labels with fewer than 4 (KID's minimum) are left out and recorded
// in `left_out` with the reason (the caller warns: this file builds without the logging library
// on GPU nodes, see bench/cuda_smoke).
std::vector<EvalClass> eval_classes(const data::PreparedSet& set, const at::Tensor& all_images,
                                    const std::vector<std::string>& row_labels,
                                    const std::vector<std::string>& classes,
                                    nlohmann::json& left_out);

// The real validation images of the labels a unit draws ("all" pools `classes`), labelled with
// each label's index in row_labels: uint8 [V,3,S,S] and long [V] (--ada-heuristic rv). Throws
// ConfigError when there are none.
std::pair<at::Tensor, at::Tensor> validation_images(const data::PreparedSet& set,
                                                    const at::Tensor& all_images,
                                                    const std::vector<std::string>& row_labels,
                                                    const std::vector<std::string>& classes);

class GanEvaluator {
 public:
  static constexpr int64_t kFidMinImages = 100;

  GanEvaluator(const eval::FeatureModel& features, const std::vector<EvalClass>& reference,
               int64_t images_per_class, uint64_t seed, int64_t latent_dim);

  // {"kid": mean over classes, "kid_std": mean of the per-class stds, "fid": mean or null,
  //  "kid_per_class": {label: mean}, "fid_per_class": {label: value}, "texture_high_frequency",
  //  "texture_peak": SpectrumComparison's high_frequency_ratio and peak_ratio,
  //  "d_overfit_per_class": {label: r_v, null where D scores training and generated images
  //  alike or the label has no training images}, "d_overfit": their mean or null} for trainer's
  //  EMA G (and its D).
  nlohmann::json evaluate(GanTrainer& trainer) const;

 private:
  const eval::FeatureModel& features_;
  std::vector<std::string> labels_;
  std::vector<int64_t> indices_;
  std::vector<at::Tensor> reference_features_;  // float [n,F] per label
  std::vector<at::Tensor> reference_images_;    // uint8 [n,3,S,S] per label (validation)
  std::vector<at::Tensor> train_images_;        // uint8 [<= images_per_class,3,S,S] per label
  at::Tensor noise_;                            // [images_per_class, latent], fixed
  at::Tensor reference_spectrum_;               // of every label's images pooled
};

}  // namespace skingan::train
