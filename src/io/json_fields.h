// Reading fields out of a JSON file that a user may have edited or damaged: nlohmann::json throws
// its own exceptions for a missing key or a value of the wrong type, which would reach the user
// as an internal error. These turn them into skingan's errors naming the file.
#pragma once

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace skingan::io {

// Parses `text` (the content of `path`) as one JSON object; Error (DataError, ConfigError, ...)
// when it is not valid JSON or not an object, with `fix` as the advice.
template <typename Error>
nlohmann::json parse_json_object(const std::string& text, const std::string& path,
                                 const std::string& fix) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    throw Error(describe_problem(path, j.is_discarded() ? "not valid JSON" : "not a JSON object",
                                 "the JSON object skingan wrote there", fix));
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
