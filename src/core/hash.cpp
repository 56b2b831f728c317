#include "core/hash.h"

#include <cstdio>

namespace skingan {

Fnv1a64& Fnv1a64::update(const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    state_ ^= bytes[i];
    state_ *= 0x100000001b3ULL;
  }
  return *this;
}

std::string Fnv1a64::hex() const {
  char buffer[17];
  std::snprintf(buffer, sizeof(buffer), "%016llx", static_cast<unsigned long long>(state_));
  return buffer;
}

std::string hash_hex(std::string_view bytes) { return Fnv1a64().update(bytes).hex(); }

}  // namespace skingan
