// Exponential moving average of a generator's weights (Karras et al. 2018; Yazici et al. 2019):
// samples from the averaged generator are smoother and more stable than from the raw one.
#pragma once

#include "models/gan/generator.h"

namespace skingan::train {

class GeneratorEma {
 public:
  // A copy of `source` (same options, same weights) on `device`.
  GeneratorEma(models::Generator& source, double decay, torch::Device device);

  // p_ema <- d * p_ema + (1 - d) * p for parameters, with d = min(decay, (1 + step) / (10 + step))
  // so the average forgets the random initial weights within the first hundred steps instead of
  // the first several thousand; buffers (BatchNorm statistics) are copied.
  void update(models::Generator& source, int64_t step);

  models::Generator& model() { return ema_; }
  double decay() const { return decay_; }

 private:
  // p_ema <- keep * p_ema + (1 - keep) * p (keep = 0: copy); buffers copied.
  void blend(models::Generator& source, double keep);

  models::Generator ema_;
  double decay_;
};

}  // namespace skingan::train
