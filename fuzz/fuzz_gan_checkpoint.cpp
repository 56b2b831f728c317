// Fuzzes the GAN checkpoint reader. Mode byte 0: the rest is a checkpoint file, loaded by
// models::load_gan_checkpoint (LibTorch's archive reader, then skingan's header and weight
// checks). Mode 1: [num_classes i64][step i64][config text] written into a real archive the way
// the trainer writes one, then read back by read_gan_checkpoint_header, so the header checks see
// every config and count. Anything not a valid checkpoint must end in CheckpointError.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/torch.h>

#include "core/error.h"
#include "models/gan/gan_checkpoint.h"

namespace fs = std::filesystem;
using namespace skingan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const char* bytes = reinterpret_cast<const char*>(data) + 1;
  const size_t length = size - 1;
  static const fs::path file =
      fs::temp_directory_path() / ("skingan_fuzz_checkpoint_" + std::to_string(::getpid()));
  if (data[0] % 2 == 0) {
    std::ofstream(file, std::ios::binary | std::ios::trunc).write(bytes, length);
    try {
      const models::GanCheckpoint c = models::load_gan_checkpoint(file, torch::kCPU);
      if (!c.generator || !c.discriminator || c.step < 0) std::abort();
    } catch (const CheckpointError&) {
    }
    return 0;
  }
  if (length < 16) return 0;
  std::int64_t num_classes = 0, step = 0;
  std::memcpy(&num_classes, bytes, 8);
  std::memcpy(&step, bytes + 8, 8);
  torch::serialize::OutputArchive out;
  out.write("config", c10::IValue(std::string(bytes + 16, length - 16)));
  out.write("num_classes", torch::tensor(num_classes));
  out.write("step", torch::tensor(step));
  std::ostringstream stream;
  out.save_to(stream);
  std::istringstream in(stream.str());
  torch::serialize::InputArchive archive;
  archive.load_from(in);
  try {
    const models::GanCheckpointHeader h = models::read_gan_checkpoint_header(archive, "fuzz.pt");
    if (h.num_classes < 0 || h.num_classes > models::kMaxGanClasses || h.step < 0) std::abort();
  } catch (const CheckpointError&) {
  }
  return 0;
}
