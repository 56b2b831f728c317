// Small helpers for building messages from word lists.
#pragma once

#include <string>
#include <vector>

namespace skingan {

// "a, b, c" (or with another separator).
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

bool contains(const std::vector<std::string>& items, const std::string& item);

// printf-formats one number ("%.4g" by default); "-" for NaN (a value that was not computed).
std::string format_number(double value, const char* spec = "%.4g");

// The number as a C++ stream prints it by default (up to 6 significant digits: 0.25, 1500,
// 1e-06): how numbers are written into generated command lines.
std::string number_text(double value);

}  // namespace skingan
