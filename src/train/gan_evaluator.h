// Scoring a generator while it trains (`train-gan --eval-every N`): the EMA generator draws
// `images_per_class` images of each class from a fixed noise stream, and their features are
// compared with the real validation images of the class: KID per class (FID too where both
// sides have at least kFidMinImages), and their mean over classes, which picks the best
// checkpoint. The texture of all classes' images pooled against the pooled validation images
// (eval/image_spectrum.h) is logged beside it. The cost is one generation and one feature pass
// per evaluation.
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
};

// For each label a unit draws (row_labels, in label order; "all" pools `classes`), its real
// validation images in `set`. Labels with fewer than 4 (KID's minimum) are left out and recorded
// in `left_out` with the reason (the caller warns: this file builds without the logging library
// on GPU nodes, see bench/cuda_smoke).
std::vector<EvalClass> eval_classes(const data::PreparedSet& set, const at::Tensor& all_images,
                                    const std::vector<std::string>& row_labels,
                                    const std::vector<std::string>& classes,
                                    nlohmann::json& left_out);

class GanEvaluator {
 public:
  static constexpr int64_t kFidMinImages = 100;

  GanEvaluator(const eval::FeatureModel& features, const std::vector<EvalClass>& reference,
               int64_t images_per_class, uint64_t seed, int64_t latent_dim);

  // {"kid": mean over classes, "kid_std": mean of the per-class stds, "fid": mean or null,
  //  "kid_per_class": {label: mean}, "fid_per_class": {label: value}, "texture_high_frequency",
  //  "texture_peak": SpectrumComparison's high_frequency_ratio and peak_ratio} for trainer's
  //  EMA G.
  nlohmann::json evaluate(GanTrainer& trainer) const;

 private:
  const eval::FeatureModel& features_;
  std::vector<std::string> labels_;
  std::vector<int64_t> indices_;
  std::vector<at::Tensor> reference_features_;  // float [n,F] per label
  at::Tensor noise_;                            // [images_per_class, latent], fixed
  at::Tensor reference_spectrum_;               // of every label's images pooled
};

}  // namespace skingan::train
