#include "train/gan_run_folder.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <vector>

#include "core/error.h"
#include "io/files.h"
#include "io/json_fields.h"

namespace fs = std::filesystem;

namespace skingan::train {

std::string step_name(int64_t step) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "step_%07lld", static_cast<long long>(step));
  return buffer;
}

void prune_checkpoints(const fs::path& dir, int keep) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".pt") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (size_t i = 0; i + static_cast<size_t>(keep) < files.size(); ++i) fs::remove(files[i]);
}

fs::path latest_checkpoint(const fs::path& unit_dir) {
  const fs::path dir = unit_dir / "checkpoints";
  fs::path latest;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".pt" && (latest.empty() || e.path() > latest)) latest = e.path();
  }
  return latest;
}

double resumed_best_kid(const fs::path& unit_dir) {
  const fs::path best_json = unit_dir / "best" / "best.json";
  if (!fs::exists(best_json)) return std::numeric_limits<double>::infinity();
  const std::string fix = "Delete " + best_json.string() + " to start the best anew.";
  const auto best =
      io::parse_json_object<CheckpointError>(io::read_file(best_json), best_json.string(), fix);
  return io::read_json_fields<CheckpointError>(best_json.string(), fix,
                                               [&] { return best.at("kid").get<double>(); });
}

GanConfig resumed_gan_config(const fs::path& config_json, GanArch requested) {
  const std::string fix = "Start the run again without --resume, or restore its config.json.";
  const auto saved_json =
      io::parse_json_object<ConfigError>(io::read_file(config_json), config_json.string(), fix);
  const GanConfig saved = io::read_json_fields<ConfigError>(
      config_json.string(), fix, [&] { return gan_config_from_json(saved_json.at("gan")); });
  if (saved.arch != requested) {
    throw ConfigError(describe_problem("--resume with --arch " + gan_arch_name(requested),
                                       "a run of architecture " + gan_arch_name(saved.arch),
                                       "the run's own architecture",
                                       "Pass --arch " + gan_arch_name(saved.arch) + "."));
  }
  return saved;
}

nlohmann::json metrics_line(const GanStepMetrics& m, double images_per_second) {
  nlohmann::json line = {{"step", m.step},
                         {"d_loss", m.d_loss},
                         {"g_loss", m.g_loss},
                         {"d_real", m.d_real},
                         {"d_fake", m.d_fake},
                         {"r_t", m.r_t},
                         {"grad_norm_d", m.grad_norm_d},
                         {"grad_norm_g", m.grad_norm_g},
                         {"images_per_second", images_per_second}};
  if (m.r1 >= 0) line["r1"] = m.r1;
  if (m.gp >= 0) line["gp"] = m.gp;
  if (m.spectral >= 0) line["spectral"] = m.spectral;
  if (m.lecam >= 0) line["lecam"] = m.lecam;
  if (m.reconstruction >= 0) line["reconstruction"] = m.reconstruction;
  if (m.aux_accuracy >= 0) line["aux_accuracy"] = m.aux_accuracy;
  if (m.ada_p >= 0) line["ada_p"] = m.ada_p;
  // In the run's class order (config.json's "classes").
  if (!m.ada_p_per_class.empty()) line["ada_p_per_class"] = m.ada_p_per_class;
  if (!m.r_t_per_class.empty()) line["r_t_per_class"] = m.r_t_per_class;
  if (!m.r_v_per_class.empty()) line["r_v_per_class"] = m.r_v_per_class;
  if (m.level >= 0) line["level"] = m.level;
  return line;
}

}  // namespace skingan::train
