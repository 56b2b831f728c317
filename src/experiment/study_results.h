// A finished study's numbers, read back from its stage folders: per arm and seed the test
// metrics, per arm their spread over seeds, per GAN arm the paired difference from the best arm
// without a GAN, and the answer in words. Everything the report shows is in this JSON
// (results.json); results.md is its summary as Markdown.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "experiment/study_config.h"

namespace skingan::experiment {

struct StageTiming {
  std::string name;
  double seconds = 0;  // over every attempt
  int attempts = 0;
  bool skipped_now = false;  // finished in an earlier invocation
};

// DataError when an evaluation the configuration needs is missing.
nlohmann::json collect_results(const StudyConfig& config, const std::filesystem::path& study_dir,
                               const std::vector<StageTiming>& timings);

std::string results_markdown(const nlohmann::json& results);

}  // namespace skingan::experiment
