#include "core/error.h"

namespace skingan {

std::string describe_problem(const std::string& what, const std::string& found,
                             const std::string& expected, const std::string& remedy) {
  std::string message = what;
  if (!found.empty()) message += ": found " + found;
  if (!expected.empty()) message += (found.empty() ? ": expected " : "; expected ") + expected;
  message += ".";
  if (!remedy.empty()) message += " " + remedy;
  return message;
}

}  // namespace skingan
