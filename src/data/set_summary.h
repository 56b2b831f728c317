// Human-readable summary of a prepared set, for `skingan info`.
#pragma once

#include <string>
#include <vector>

#include "data/prepared_set.h"

namespace skingan::data {

// Classes x splits table with totals, image size, source and preprocessing, as plain text.
std::string format_summary(const PreparedSet& set);

// Up to `max_count` row indices of class `label`, spread evenly over its rows (all splits).
std::vector<std::int64_t> sample_rows_of_class(const PreparedSet& set, const std::string& label,
                                               int max_count);

}  // namespace skingan::data
