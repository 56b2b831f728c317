// Reading fields out of a JSON file that a user may have edited or damaged: nlohmann::json throws
// its own exceptions for a missing key or a value of the wrong type, which would reach the user
// as an internal error. These turn them into skingan's errors naming the file.
#pragma once

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace skingan::io {

// The first number in `j` that no 64-bit integer can hold (nlohmann parses such literals as
// doubles, and reading one into an integer field is undefined behaviour: found by fuzzing), or
// nullptr. No value skingan writes comes near 2^63.
inline const nlohmann::json* find_number_beyond_int64(const nlohmann::json& j) {
  if (j.is_number_float()) {
    const double v = j.get<double>();
    return v > -9.2e18 && v < 9.2e18 ? nullptr : &j;
  }
  if (j.is_structured()) {
    for (const auto& value : j) {
      if (const nlohmann::json* found = find_number_beyond_int64(value)) return found;
    }
  }
  return nullptr;
}

// Parses `text` (the content of `path`) as one JSON object; Error (DataError, ConfigError, ...)
// when it is not valid JSON, not an object, or holds a number beyond the 64-bit integer range,
// with `fix` as the advice.
template <typename Error>
nlohmann::json parse_json_object(const std::string& text, const std::string& path,
                                 const std::string& fix) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    throw Error(describe_problem(path, j.is_discarded() ? "not valid JSON" : "not a JSON object",
                                 "the JSON object skingan wrote there", fix));
  }
  if (const nlohmann::json* number = find_number_beyond_int64(j)) {
    throw Error(describe_problem(path, "the number " + number->dump(),
                                 "numbers within the 64-bit integer range", fix));
  }
  return j;
}

// Runs `read` (which takes fields out of a parsed file) and turns nlohmann's missing-key and
// wrong-type exceptions into Error naming `path`.
template <typename Error, typename Read>
auto read_json_fields(const std::string& path, const std::string& fix, Read&& read) {
  try {
    return std::forward<Read>(read)();
  } catch (const nlohmann::json::exception& e) {
    throw Error(describe_problem(path,
                                 std::string("a missing or mistyped field (") + e.what() + ")",
                                 "the fields skingan wrote there", fix));
  }
}

}  // namespace skingan::io
