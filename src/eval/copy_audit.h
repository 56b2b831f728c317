// "Does it copy?" for `skingan score`: each synthetic image's nearest real training image of its
// class, and the near-copy threshold: the 1st percentile of the real test images' nearest
// training distances of that class.
//
// One fixed threshold per class counts every image near a "hub" as a copy: a bland, featureless
// training image lies close to every bland image in pixel space (on HAM10000 90 of 161 akiec
// pixel near-copies of one draw had the same nearest training image, a pale patch of skin). So
// the audit also counts the images closer to their nearest training image t than t is to its own
// nearest other training image: the complement of Alaa et al. 2022's authenticity ("How
// faithful is your synthetic data?"), whose radius shrinks where the training images crowd.
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
  // Shares closer to their nearest training image than it is to its nearest other one.
  double synthetic_inside_share = 0, real_inside_share = 0;
  int64_t inside_neighbour = 0;  // synthetic images counted in synthetic_inside_share
  int64_t near_copies() const;
  nlohmann::json to_json(int64_t real_count) const;
};

// synthetic [Ns,D], train [Nt,D], test [Ne,D] feature (or pixel) vectors of one class. With a
// single training image the neighbour radius is undefined, and the inside shares are 0.
CopyAudit audit_copies(const at::Tensor& synthetic, const at::Tensor& train,
                       const at::Tensor& test);

// Pixels as feature vectors: uint8 [n,3,S,S] -> float [n,3*S*S] in [0,1].
at::Tensor pixel_vectors(const at::Tensor& images);

}  // namespace skingan::eval
