#include "models/classifier/classifier_folder.h"

#include <torch/serialize/input-archive.h>
#include <torch/torch.h>

#include "core/error.h"
#include "io/files.h"

namespace fs = std::filesystem;

namespace skingan::models {

ClassifierFolder load_classifier_folder(const fs::path& dir, c10::Device device) {
  const fs::path config_path = dir / "config.json";
  if (!fs::exists(config_path) || !fs::exists(dir / "best.pt")) {
    throw ConfigError(describe_problem("model " + dir.string(), "no config.json or best.pt",
                                       "a folder written by `skingan train-classifier`",
                                       "Train it first, or check the path."));
  }
  ClassifierFolder out;
  out.config = nlohmann::json::parse(io::read_file(config_path));
  out.classes = out.config.at("classes").get<std::vector<std::string>>();
  ClassifierOptions options = classifier_options_from_json(out.config.at("model"));
  if (!options.backbone().empty() && fs::path(options.backbone()).is_relative()) {
    options.backbone((dir / options.backbone()).string());
  }
  out.model = Classifier(options);
  try {
    torch::serialize::InputArchive archive;
    archive.load_from((dir / "best.pt").string(), device);
    out.model->load(archive);
  } catch (const c10::Error& e) {
    throw CheckpointError(describe_problem(
        (dir / "best.pt").string(), std::string("unreadable (") + e.what_without_backtrace() + ")",
        "the weights of the model in config.json", "Retrain the model, or restore the folder."));
  }
  out.model->to(device);
  out.model->eval();
  return out;
}

}  // namespace skingan::models
