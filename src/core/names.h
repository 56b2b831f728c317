// Class-name lists read back from files (meta.json, a GAN run's or a classifier's config.json).
#pragma once

#include <string>
#include <vector>

namespace skingan {

// True when `names` is non-empty and every name is non-empty and different from the others: what
// every model and set needs to map an output or a label to one class.
bool distinct_nonempty_names(const std::vector<std::string>& names);

}  // namespace skingan
