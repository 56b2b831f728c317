// Classification Accuracy Score (Ravuri & Vinyals 2019): does a synthetic set teach? A classifier
// is trained on the synthetic images only and tested on real test images; the same classifier
// trained on the real training split with the same number of steps gives the reference, and
// CAS is reported with the ratio of the two balanced accuracies. Both use the real validation
// split only to pick the epoch, and both are restricted to the scored classes.
#pragma once

#include <cstdint>

#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include "eval/generator_score.h"

namespace skingan::train {

struct CasSettings {
  int64_t epochs = 5;
  int64_t width = 32;
  int64_t batch_size = 64;
  uint64_t seed = 1;
  c10::Device device{c10::kCPU};
  bool progress = true;
};

// {"computed": true, "synthetic_balanced_accuracy", "real_balanced_accuracy", "ratio",
//  "per_class": {label: {"synthetic_recall", "real_recall"}}, "steps", "epochs", "test_images",
//  "classes", "model"}. The two model folders and their evaluations stay in request.work_dir.
nlohmann::json run_cas(const eval::CasRequest& request, const CasSettings& settings);

}  // namespace skingan::train
