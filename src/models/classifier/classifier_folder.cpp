#include "models/classifier/classifier_folder.h"

#include <torch/serialize/input-archive.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/exception_message.h"
#include "core/names.h"
#include "io/archive_code.h"
#include "io/files.h"
#include "io/json_fields.h"

namespace fs = std::filesystem;

namespace skingan::models {

std::tuple<nlohmann::json, std::vector<std::string>, ClassifierOptions> parse_classifier_config(
    const std::string& text, const fs::path& path) {
  const std::string fix = "Train the classifier again, or restore its folder.";
  nlohmann::json config = io::parse_json_object<ConfigError>(text, path.string(), fix);
  auto [classes, options] = io::read_json_fields<ConfigError>(path.string(), fix, [&] {
    try {
      return std::make_pair(config.at("classes").get<std::vector<std::string>>(),
                            classifier_options_from_json(config.at("model")));
    } catch (const ConfigError& e) {
      throw ConfigError(path.string() + ": " + e.what());
    }
  });
  if (static_cast<int64_t>(classes.size()) != options.num_classes() ||
      !distinct_nonempty_names(classes)) {
    throw ConfigError(describe_problem(path.string(),
                                       std::to_string(classes.size()) +
                                           " class names for a model of " +
                                           std::to_string(options.num_classes()) + " outputs",
                                       "one distinct, non-empty name per output", fix));
  }
  return {std::move(config), std::move(classes), std::move(options)};
}

ClassifierFolder load_classifier_folder(const fs::path& dir, c10::Device device) {
  const fs::path config_path = dir / "config.json";
  if (!fs::exists(config_path) || !fs::exists(dir / "best.pt")) {
    throw ConfigError(describe_problem("model " + dir.string(), "no config.json or best.pt",
                                       "a folder written by `skingan train-classifier`",
                                       "Train it first, or check the path."));
  }
  ClassifierFolder out;
  ClassifierOptions options;
  std::tie(out.config, out.classes, options) =
      parse_classifier_config(io::read_file(config_path), config_path);
  if (!options.backbone().empty() && fs::path(options.backbone()).is_relative()) {
    options.backbone((dir / options.backbone()).string());
  }
  out.model = Classifier(options);
  try {
    torch::serialize::InputArchive archive;
    io::load_archive(archive, dir / "best.pt", device);
    out.model->load(archive);
  } catch (const CheckpointError&) {
    throw;  // code the loader must not parse, named by record and line
  } catch (const std::exception& e) {
    throw CheckpointError(describe_problem(
        (dir / "best.pt").string(), std::string("unreadable (") + short_message(e) + ")",
        "the weights of the model in config.json", "Retrain the model, or restore the folder."));
  }
  out.model->to(device);
  out.model->eval();
  return out;
}

}  // namespace skingan::models
