// The noise behind every synthetic image, addressable by (seed, class, index), so one image can
// be regenerated without the others: index i lies in block i / kLatentBlock, and each block's
// noise comes from its own generator seeded by (seed, class, block). Generation always runs
// whole blocks, so an image's pixels never depend on how many images were asked for.
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

namespace skingan::generate {

inline constexpr int64_t kLatentBlock = 64;

// z for indices [block * kLatentBlock, (block + 1) * kLatentBlock): float [kLatentBlock, dim] on
// the CPU, standard normal; with truncation > 0 every entry beyond +-truncation is redrawn until
// none is (the truncation trick of Brock et al. 2019).
at::Tensor latent_block(uint64_t seed, const std::string& label, int64_t block, int64_t dim,
                        double truncation);

}  // namespace skingan::generate
