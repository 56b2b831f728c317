#include "train/cas.h"

#include <algorithm>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "data/prepared_set.h"
#include "eval/evaluate.h"
#include "train/classifier_run.h"

namespace fs = std::filesystem;

namespace skingan::train {

nlohmann::json run_cas(const eval::CasRequest& request, const CasSettings& settings) {
  // The budget: as many steps as one pass over the real training images of the scored classes.
  const data::PreparedSet real = data::PreparedSet::open(request.real);
  int64_t real_train = 0;
  for (const auto& r : real.rows()) {
    real_train +=
        r.source == "real" && r.split == data::Split::kTrain &&
        std::find(request.classes.begin(), request.classes.end(), r.label) != request.classes.end();
  }
  const int64_t steps_per_epoch = std::max<int64_t>(1, real_train / settings.batch_size);

  ClassifierConfig config;
  config.width = settings.width;
  config.epochs = settings.epochs;
  config.batch_size = settings.batch_size;
  config.balanced_sampler = true;  // the imbalance baseline that works (see README)
  config.classes = request.classes;
  config.steps_per_epoch = steps_per_epoch;
  config.seed = settings.seed;
  config.keep_last_epoch = true;  // as Ravuri & Vinyals: a fixed schedule, no real-data selection
  std::string label_map;          // evaluate on the scored classes only
  for (const auto& c : request.classes) label_map += (label_map.empty() ? "" : ",") + c + "=" + c;

  auto train_and_test = [&](const std::string& name, bool on_real) {
    ClassifierRunOptions run;
    run.train_sets = {request.real};
    if (!on_real) run.train_sets.push_back(request.synthetic);
    run.model_dir = request.work_dir / name;
    run.config = config;
    run.config.real_train = on_real;
    run.device = settings.device;
    run.progress = settings.progress;
    spdlog::info("CAS: training on {} ({} epochs of {} steps)",
                 on_real ? "real images" : "synthetic images only", config.epochs, steps_per_epoch);
    run_classifier_training(run);
    eval::EvaluateOptions evaluate;
    evaluate.model_dir = run.model_dir;
    evaluate.data_set = request.real;
    evaluate.output = request.work_dir / (name + "_test");
    evaluate.label_map = label_map;
    evaluate.bootstrap = 200;
    evaluate.seed = settings.seed;
    evaluate.device = settings.device;
    return eval::evaluate_model(evaluate);
  };
  const nlohmann::json synthetic = train_and_test("synthetic", false);
  const nlohmann::json reference = train_and_test("real", true);
  const double s = synthetic.at("metrics").at("balanced_accuracy").get<double>();
  const double r = reference.at("metrics").at("balanced_accuracy").get<double>();
  nlohmann::json per_class = nlohmann::json::object();
  for (const auto& c : request.classes) {
    per_class[c] = {
        {"synthetic_recall", synthetic.at("metrics").at("per_class").at(c).at("recall")},
        {"real_recall", reference.at("metrics").at("per_class").at(c).at("recall")}};
  }
  return {{"computed", true},
          {"synthetic_balanced_accuracy", s},
          {"synthetic_ci95", synthetic.at("ci95").at("balanced_accuracy")},
          {"real_balanced_accuracy", r},
          {"real_ci95", reference.at("ci95").at("balanced_accuracy")},
          {"ratio", r > 0 ? s / r : 0.0},
          {"per_class", per_class},
          {"epochs", settings.epochs},
          {"steps", steps_per_epoch * settings.epochs},
          {"test_images", synthetic.at("metrics").at("count")},
          {"classes", request.classes},
          {"model", "resnet18 width " + std::to_string(settings.width) +
                        ", classic augmentation, balanced sampler"}};
}

}  // namespace skingan::train
