// Fuzzes the study configuration reader (`skingan experiment --config FILE`): any text is either
// a study that passes validate() and serialises to JSON, or a ConfigError with its position.
#include <cstdint>
#include <string>

#include "core/error.h"
#include "experiment/study_config.h"

using namespace skingan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const experiment::StudyConfig config =
        experiment::parse_study_config(text, "fuzz.toml", "quick");
    experiment::validate(config);
    (void)experiment::to_json(config).dump();
  } catch (const ConfigError&) {
    // refused by name
  }
  return 0;
}
