#include "core/exception_message.h"

#include <c10/util/Exception.h>

namespace skingan {

std::string short_message(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e))
    return c10_error->what_without_backtrace();
  std::string message = e.what();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message.empty() ? "no message" : message;
}

}  // namespace skingan
