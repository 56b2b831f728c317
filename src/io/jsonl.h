// JSON-lines logs (metrics.jsonl of GAN and classifier runs).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace skingan::io {

// Keeps only the lines whose integer field `key` is <= `last`, so a resumed run does not log a
// step or epoch twice; a line cut off by a kill (not valid JSON) is dropped. Rewritten
// atomically; a missing file is left missing.
void keep_jsonl_up_to(const std::filesystem::path& path, const std::string& key, int64_t last);

}  // namespace skingan::io
