#include "core/names.h"

#include <algorithm>

namespace skingan {

bool distinct_nonempty_names(const std::vector<std::string>& names) {
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  return !sorted.empty() && !sorted.front().empty() &&
         std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
}

}  // namespace skingan
