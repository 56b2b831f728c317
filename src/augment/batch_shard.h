// Which rows of a larger batch a tensor's rows are, in a data-parallel run: every random
// parameter is drawn for `total` rows (identically on every rank, whose generators agree) and
// rows [first, first + N) are used, so a rank augments (or penalises) its shard exactly as one
// process would the whole batch. total 0: the rows are the whole batch.
#pragma once

#include <cstdint>

#include <c10/util/Exception.h>
#include <torch/types.h>

namespace skingan::augment {

struct BatchShard {
  int64_t total = 0;
  int64_t first = 0;

  // How many rows to draw for a shard of n rows. Checks that [first, first + n) fits.
  int64_t draw_rows(int64_t n) const {
    const int64_t rows = total > 0 ? total : n;
    TORCH_CHECK(first >= 0 && first + n <= rows, "batch shard: rows [", first, ", ", first + n,
                ") outside a batch of ", rows);
    return rows;
  }
  // This shard's n rows of `drawn` ([draw_rows(n), ...]).
  torch::Tensor take(const torch::Tensor& drawn, int64_t n) const {
    return total > 0 ? drawn.slice(0, first, first + n) : drawn;
  }
};

}  // namespace skingan::augment
