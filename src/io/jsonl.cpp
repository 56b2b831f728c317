#include "io/jsonl.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "io/files.h"
#include "io/json_fields.h"

namespace skingan::io {

void keep_jsonl_up_to(const std::filesystem::path& path, const std::string& key, int64_t last) {
  if (!std::filesystem::exists(path)) return;
  std::ifstream in(path);
  std::string kept, line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      const auto j = nlohmann::json::parse(line);
      if (find_number_beyond_int64(j) == nullptr && j.at(key).get<int64_t>() <= last)
        kept += line + "\n";
    } catch (const std::exception&) {
      // A line cut off by a kill: drop it.
    }
  }
  write_file_atomic(path, kept);
}

}  // namespace skingan::io
