#include "io/archive_file.h"

#include <string>

#include "io/files.h"

namespace skingan::io {

void save_archive_atomic(torch::serialize::OutputArchive& archive,
                         const std::filesystem::path& path) {
  std::string bytes;
  archive.save_to([&bytes](const void* data, size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  write_file_atomic(path, bytes);
}

}  // namespace skingan::io
