// `skingan generate`: a synthetic set, in the prepared-set format, drawn from a trained GAN run.
//
// Every image is traceable: its manifest row names the generator (run unit), checkpoint step,
// seed and sample index, which with meta.json's truncation and EMA choice regenerate it
// (regenerate_image). Synthetic rows are training-split only. With filtering, ceil(n / keep)
// candidates are drawn and scored by the run's discriminator, and the n best are kept.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "data/prepared_set.h"
#include "generate/balance.h"

namespace skingan::generate {

struct GenerateOptions {
  std::filesystem::path run_dir;
  std::filesystem::path output;
  CountRequest count;
  std::vector<std::string> classes;  // empty: every class of the run
  uint64_t seed = 0;
  double truncation = 0;  // > 0: redraw noise entries beyond +-truncation
  bool use_ema = true;    // the EMA generator, when the run kept one
  // Recompute the generator's BatchNorm statistics before sampling (standing statistics, see
  // models/gan/batch_norm_statistics.h) instead of using the running averages from training.
  bool standing_statistics = true;
  int64_t checkpoint_step = -1;    // -1: each unit's latest checkpoint
  bool filter = false;             // --filter discriminator
  double keep = 1.0;               // with filter: the kept fraction of candidates, in (0,1]
  std::filesystem::path real_set;  // empty: the set the run was trained on
  bool force = false;              // replace an existing, different output
  c10::Device device{c10::kCPU};
  bool progress = true;
};

struct GenerateResult {
  bool skipped = false;  // the finished output was already there
  int64_t images = 0;
  std::map<std::string, int64_t> counts;  // written per class
  int64_t candidates = 0;                 // drawn (more than images when filtering)
  double seconds = 0;
};

// Refuses (ConfigError / CheckpointError, before anything is written) an unknown class, a run
// without checkpoints, a missing --checkpoint step, keep outside (0,1], a negative truncation or
// count, and an output folder that exists with other contents (unless force).
GenerateResult generate_synthetic_set(const GenerateOptions& options);

// The image of one manifest row of a synthetic set in `set_dir`, drawn again: uint8 [3,S,S].
at::Tensor regenerate_image(const std::filesystem::path& set_dir, const data::ManifestRow& row,
                            c10::Device device = c10::kCPU);

}  // namespace skingan::generate
