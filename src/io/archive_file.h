// Checkpoint files: a LibTorch archive written like every other output (io/files.h), atomically
// and with a clear IoError naming the path when the disk is full or the file too large, instead
// of LibTorch's own stream error and a left-over temporary file.
#pragma once

#include <filesystem>

#include <torch/serialize/output-archive.h>

namespace skingan::io {

// Serialises `archive` in memory, then write_file_atomic(path): a reader sees the old file or
// the whole new one, never a part.
void save_archive_atomic(torch::serialize::OutputArchive& archive,
                         const std::filesystem::path& path);

}  // namespace skingan::io
