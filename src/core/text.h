// Small helpers for building messages from word lists.
#pragma once

#include <string>
#include <vector>

namespace skingan {

// "a, b, c" (or with another separator).
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

bool contains(const std::vector<std::string>& items, const std::string& item);

}  // namespace skingan
