// Fuzzes the readers of the JSON files in skingan's folders that users copy, edit and share:
// mode byte 0 a prepared set's meta.json, 1 a GAN run's config.json, 2 a classifier model
// folder's config.json. Every text is either accepted with the invariants the rest of skingan
// relies on, or refused with a skingan error (never nlohmann's own exceptions, never a crash).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "data/prepared_set.h"
#include "models/classifier/classifier_folder.h"
#include "models/gan/gan_checkpoint.h"

using namespace skingan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 3) {
      case 0: {
        const auto meta = data::parse_prepared_meta(text, "set/meta.json");
        const auto classes = meta.at("classes").get<std::vector<std::string>>();
        const auto side = meta.at("size").get<std::int64_t>();
        if (classes.empty() || side < 1 || side > 8192) std::abort();
        break;
      }
      case 1: {
        const auto run = models::parse_gan_run_config(text, "run");
        if (run.classes.empty() || run.config.image_size < 1 || run.config.g_channels < 1 ||
            run.config.g_channels > models::kMaxGanWidth) {
          std::abort();
        }
        break;
      }
      default: {
        const auto [config, classes, options] =
            models::parse_classifier_config(text, "model/config.json");
        if (static_cast<std::int64_t>(classes.size()) != options.num_classes() ||
            options.image_size() < 32 || options.width() > 1024) {
          std::abort();
        }
      }
    }
  } catch (const Error&) {
    // refused by name
  }
  return 0;
}
