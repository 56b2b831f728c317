// Content hashes for input fingerprints and provenance.
// Hand-written: FNV-1a 64 is a few lines and none of the packages we use exposes a plain
// byte hash. It identifies inputs (change detection), it is not a cryptographic hash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace skingan {

class Fnv1a64 {
 public:
  Fnv1a64& update(const void* data, size_t size);
  Fnv1a64& update(std::string_view text) { return update(text.data(), text.size()); }
  Fnv1a64& update_u64(std::uint64_t value) { return update(&value, sizeof(value)); }
  std::uint64_t value() const { return state_; }
  std::string hex() const;

 private:
  std::uint64_t state_ = 0xcbf29ce484222325ULL;
};

std::string hash_hex(std::string_view bytes);

}  // namespace skingan
