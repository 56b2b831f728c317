#include "train/classifier_settings.h"

#include <torch/torch.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/files.h"
#include "io/json_fields.h"

namespace fs = std::filesystem;

namespace skingan::train {

torch::Tensor class_weights(const torch::Tensor& labels, int64_t classes) {
  const torch::Tensor counts = torch::bincount(labels, {}, classes).to(torch::kFloat);
  const torch::Tensor present = counts > 0;
  torch::Tensor w = torch::where(present, counts.sum() / (present.sum() * counts.clamp_min(1)),
                                 torch::zeros_like(counts));
  return w;
}

double learning_rate(double base, int64_t step, int64_t warmup, int64_t total) {
  if (step < warmup) return base * static_cast<double>(step + 1) / static_cast<double>(warmup);
  const double progress = static_cast<double>(step - warmup) /
                          static_cast<double>(std::max<int64_t>(1, total - warmup));
  return base * 0.5 * (1 + std::cos(3.14159265358979323846 * std::min(1.0, progress)));
}

std::string resolve_precision(const std::string& precision, const c10::Device& device) {
  if (precision == "auto") return device.is_cuda() ? "bf16" : "fp32";
  if (precision != "fp32" && precision != "bf16") {
    throw ConfigError(
        describe_problem("--precision", "'" + precision + "'", "auto, fp32 or bf16", ""));
  }
  if (precision == "bf16" && !device.is_cuda()) {
    throw ConfigError(describe_problem("--precision bf16", "device " + device.str(),
                                       "a CUDA device (bf16 autocast runs on CUDA only)",
                                       "Use --precision fp32 (or auto) on the CPU."));
  }
  return precision;
}

void check_resumed_batch(const fs::path& dir, int64_t global_batch, int64_t ranks) {
  const std::string path = (dir / "config.json").string();
  const std::string fix = "Start the run again without --resume, or restore its config.json.";
  const nlohmann::json saved =
      io::parse_json_object<ConfigError>(io::read_file(dir / "config.json"), path, fix);
  const int64_t started = io::read_json_fields<ConfigError>(
      path, fix, [&] { return saved.at("classifier").at("batch_size").get<int64_t>(); });
  if (started == global_batch) return;
  const std::string hint =
      started % ranks == 0
          ? "Resume with --batch-size " + std::to_string(started / ranks) + " under " +
                std::to_string(ranks) + " process(es)."
          : "Resume under a number of processes that divides " + std::to_string(started) + ".";
  throw ConfigError(describe_problem("--resume of " + dir.string(),
                                     "a global batch of " + std::to_string(global_batch) + " (" +
                                         std::to_string(ranks) + " process(es) x --batch-size " +
                                         std::to_string(global_batch / ranks) + ")",
                                     "the run's global batch of " + std::to_string(started), hint));
}

}  // namespace skingan::train
