// The message of an exception from a foreign library, for a user.
#pragma once

#include <exception>
#include <string>

namespace skingan {

// LibTorch's c10::Error without its C++ backtrace; any other exception (e.g. the
// torch::jit::ErrorReport LibTorch throws for a damaged archive) as it is. Where foreign
// libraries read user files they may throw any std::exception, not only c10::Error (found by
// fuzzing), so readers catch std::exception and describe it with this.
std::string short_message(const std::exception& e);

}  // namespace skingan
