// "Does it copy?" for `skingan score`: each synthetic image's nearest real training image of its
// class, and the near-copy threshold: the 1st percentile of the real test images' nearest
// training distances of that class.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace skingan::eval {

inline constexpr double kNearCopyQuantile = 0.01;

struct CopyAudit {
  at::Tensor distance, index;  // double / long [Ns]: per synthetic image (index into train)
  double threshold = 0;        // kNearCopyQuantile of the real test -> train distances
  double synthetic_share = 0, real_share = 0;
  int64_t near_copies() const;
  nlohmann::json to_json(int64_t real_count) const;
};

// synthetic [Ns,D], train [Nt,D], test [Ne,D] feature (or pixel) vectors of one class.
CopyAudit audit_copies(const at::Tensor& synthetic, const at::Tensor& train,
                       const at::Tensor& test);

// Pixels as feature vectors: uint8 [n,3,S,S] -> float [n,3*S*S] in [0,1].
at::Tensor pixel_vectors(const at::Tensor& images);

}  // namespace skingan::eval
