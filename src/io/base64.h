// Base64 (RFC 4648, with padding) for data: URIs in self-contained HTML reports.
// Hand-written: OpenCV's base64 is internal to its persistence code and LibTorch has none.
#pragma once

#include <string>
#include <string_view>

namespace skingan::io {

std::string base64_encode(std::string_view bytes);

}  // namespace skingan::io
