// "--name value" options of the benchmarks (they take a few, and need no CLI11 help screens).
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <string>

namespace skingan::bench {

// Calls flags[name](value) for every "--name value" pair; false (after a message naming the
// flag) for an unknown flag or a flag without its value.
inline bool parse_flags(
    int argc, char** argv,
    const std::map<std::string, std::function<void(const std::string&)>>& flags) {
  for (int i = 1; i < argc; i += 2) {
    const auto it = flags.find(argv[i]);
    if (it == flags.end() || i + 1 >= argc) {
      std::fprintf(stderr, "unknown option or missing value: %s\n", argv[i]);
      return false;
    }
    it->second(argv[i + 1]);
  }
  return true;
}

}  // namespace skingan::bench
