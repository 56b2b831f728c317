// Fuzzes the reading of a classifier model folder (what `evaluate`, `score --features` and the
// study's feature model open): input = [u32 n][n bytes of config.json][best.pt bytes], written
// into a folder and opened with models::load_classifier_folder. Every folder either loads a model
// with one output per class name, or is refused with a skingan error.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "models/classifier/classifier_folder.h"

namespace fs = std::filesystem;
using namespace skingan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  if (size < 4) return 0;
  std::uint32_t config_bytes = 0;
  std::memcpy(&config_bytes, data, 4);
  if (config_bytes > size - 4) return 0;
  static const fs::path dir = [] {
    const fs::path d =
        fs::temp_directory_path() / ("skingan_fuzz_classifier_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  const char* bytes = reinterpret_cast<const char*>(data) + 4;
  std::ofstream(dir / "config.json", std::ios::binary | std::ios::trunc).write(bytes, config_bytes);
  std::ofstream(dir / "best.pt", std::ios::binary | std::ios::trunc)
      .write(bytes + config_bytes, static_cast<std::streamsize>(size - 4 - config_bytes));
  try {
    const models::ClassifierFolder folder = models::load_classifier_folder(dir, torch::kCPU);
    if (!folder.model ||
        static_cast<std::int64_t>(folder.classes.size()) != folder.model->options().num_classes()) {
      std::abort();
    }
  } catch (const Error&) {
    // refused by name
  }
  return 0;
}
