// Typed errors. Every error says what failed, what was expected, what was found and what to do;
// the CLI's main() catches them once and maps each type to an exit code. Library code never exits.
#pragma once

#include <stdexcept>
#include <string>

namespace skingan {

// Base of all skingan errors. `what()` is the full, user-facing message.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  virtual int exit_code() const { return 1; }
};

// A command-line option or configuration value was refused.
class ConfigError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 2; }
};

// An input data set (CSV, images, prepared set) is malformed or inconsistent.
class DataError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 3; }
};

// A file could not be read or written.
class IoError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 4; }
};

// A checkpoint is missing, corrupt or of another kind.
class CheckpointError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 5; }
};

// Builds "what: found <found>; expected <expected>. <remedy>" consistently.
std::string describe_problem(const std::string& what, const std::string& found,
                             const std::string& expected, const std::string& remedy);

}  // namespace skingan
