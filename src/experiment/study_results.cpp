#include "experiment/study_results.h"

#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "core/error.h"
#include "data/prepared_set.h"
#include "eval/study_statistics.h"
#include "experiment/study_plan.h"
#include "io/files.h"
#include "io/json_fields.h"

namespace skingan::experiment {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxCurvePoints = 300;

nlohmann::json read_json(const fs::path& path) {
  return io::parse_json_object<DataError>(io::read_file(path), path.string(),
                                          "Rerun the study with --force.");
}

nlohmann::json number_or_null(double v) {
  return std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
}

double as_number(const nlohmann::json& j) {
  return j.is_number() ? j.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

nlohmann::json to_json(const eval::SeedSummary& s) {
  return {{"n", s.n},
          {"mean", number_or_null(s.mean)},
          {"sd", number_or_null(s.sd)},
          {"min", number_or_null(s.min)},
          {"max", number_or_null(s.max)}};
}

// Lines of a metrics.jsonl keeping `fields`, thinned to at most kMaxCurvePoints evenly.
nlohmann::json read_curve(const fs::path& path, const std::vector<std::string>& fields) {
  nlohmann::json points = nlohmann::json::array();
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    nlohmann::json p;
    for (const auto& f : fields)
      if (j.contains(f)) p[f] = j[f];
    points.push_back(p);
  }
  if (points.size() <= kMaxCurvePoints) return points;
  nlohmann::json thinned = nlohmann::json::array();
  const double stride = static_cast<double>(points.size()) / kMaxCurvePoints;
  for (int i = 0; i < kMaxCurvePoints; ++i)
    thinned.push_back(points[static_cast<size_t>(i * stride)]);
  thinned.push_back(points.back());
  return thinned;
}

fs::path stage_output(const fs::path& study, const std::string& stage, const std::string& output) {
  return study / stage / output;
}

// The run's final sample grid (or its latest one when the run stopped early).
fs::path sample_grid(const fs::path& run) {
  if (fs::exists(run / "samples" / "final.png")) return run / "samples" / "final.png";
  fs::path latest;
  if (fs::is_directory(run / "samples")) {
    for (const auto& e : fs::directory_iterator(run / "samples"))
      if (e.path().extension() == ".png" && e.path() > latest) latest = e.path();
  }
  return latest;
}

// One evaluation step of every arm and seed (the development test split: "evaluate"; a cohort:
// "evaluate-NAME"): the arms with their summaries over seeds, the best arm without a GAN, the
// test images, and each GAN arm's paired difference from that arm. Conclusions are appended to
// `answer`, prefixed with `answer_prefix`.
nlohmann::json summarize_step(const StudyConfig& config, const fs::path& study,
                              const std::vector<std::uint64_t>& seeds, const std::string& step,
                              const std::vector<std::string>& classes,
                              const std::string& answer_prefix, std::vector<std::string>& answer) {
  const ClassifierConfig& k = config.classifier;
  nlohmann::json out;
  std::map<std::string, std::vector<eval::PredictionTable>> predictions;
  nlohmann::json arms = nlohmann::json::array();
  for (const auto& arm : k.arms) {
    nlohmann::json a = {{"name", arm.name},
                        {"augment", arm.augment},
                        {"gan", arm.gan},
                        {"class_weights", arm.class_weights},
                        {"balanced_sampler", arm.balanced_sampler}};
    std::map<std::string, std::vector<double>> values;
    for (auto seed : seeds) {
      const fs::path eval_dir =
          stage_output(study, classifier_stage_name(arm.name, seed, step), "eval");
      const fs::path model_dir =
          stage_output(study, classifier_stage_name(arm.name, seed, "train"), "model");
      const nlohmann::json evaluation = read_json(eval_dir / "metrics.json");
      const nlohmann::json& m = evaluation.at("metrics");
      predictions[arm.name].push_back(eval::read_prediction_table(eval_dir));
      nlohmann::json s = {{"seed", seed},
                          {"eval_dir", eval_dir.string()},
                          {"model_dir", model_dir.string()},
                          {"confusion", m.at("confusion")},
                          {"confusion_png", (eval_dir / "confusion.png").string()},
                          {"curve", read_curve(model_dir / "metrics.jsonl",
                                               {"epoch", "train_loss", "val_balanced_accuracy"})}};
      for (const std::string metric : {"accuracy", "balanced_accuracy", "macro_f1", "macro_auc"}) {
        s[metric] = m.at(metric);
        values[metric].push_back(as_number(m.at(metric)));
      }
      if (evaluation.contains("restricted")) {  // a cohort with fewer classes than the model
        const nlohmann::json& rm = evaluation.at("restricted").at("metrics");
        s["restricted_balanced_accuracy"] = rm.at("balanced_accuracy");
        values["restricted_balanced_accuracy"].push_back(as_number(rm.at("balanced_accuracy")));
        for (const auto& [name, count] : evaluation.at("excluded").items())
          s["excluded"][name] = count;
      }
      for (const auto& c : classes) {
        const double recall = m.at("per_class").contains(c)
                                  ? as_number(m["per_class"][c]["recall"])
                                  : std::numeric_limits<double>::quiet_NaN();
        s["recall"][c] = number_or_null(recall);
        values["recall/" + c].push_back(recall);
      }
      a["seeds"].push_back(s);
    }
    for (const std::string metric : {"accuracy", "balanced_accuracy", "macro_f1", "macro_auc"}) {
      a["summary"][metric] = to_json(eval::summarize_over_seeds(values[metric]));
    }
    if (values.count("restricted_balanced_accuracy")) {
      a["summary"]["restricted_balanced_accuracy"] =
          to_json(eval::summarize_over_seeds(values["restricted_balanced_accuracy"]));
    }
    for (const auto& c : classes) {
      a["summary"]["recall"][c] = to_json(eval::summarize_over_seeds(values["recall/" + c]));
    }
    arms.push_back(a);
  }
  out["arms"] = arms;

  // The best arm without a GAN (highest mean balanced accuracy) is what each GAN must beat.
  std::string baseline;
  double best = -1;
  for (const auto& a : arms) {
    const double mean = as_number(a["summary"]["balanced_accuracy"]["mean"]);
    if (a["gan"].get<std::string>().empty() && mean > best) {
      best = mean;
      baseline = a["name"];
    }
  }
  out["baseline"] = baseline;
  const eval::PredictionTable& test = predictions[baseline].front();
  std::set<std::string> lesions(test.groups.begin(), test.groups.end());
  out["test"] = {{"images", test.ids.size()}, {"lesions", lesions.size()}};
  for (size_t c = 0; c < classes.size(); ++c) {
    out["test"]["support"][classes[c]] =
        std::count(test.labels.begin(), test.labels.end(), static_cast<int64_t>(c));
  }

  nlohmann::json comparisons = nlohmann::json::array();
  for (const auto& arm : k.arms) {
    if (arm.gan.empty()) continue;
    const eval::PairedDifference d = eval::paired_difference(
        predictions[baseline], predictions[arm.name], config.evaluate.bootstrap, 1);
    nlohmann::json cmp = {{"arm", arm.name},
                          {"baseline", baseline},
                          {"metric", "balanced_accuracy"},
                          {"mean", d.mean},
                          {"ci95", {d.ci_low, d.ci_high}},
                          {"per_seed", d.per_seed},
                          {"resamples", d.resamples},
                          {"conclusion", eval::describe_difference(arm.name, baseline, d)}};
    for (size_t c = 0; c < classes.size(); ++c) {
      cmp["per_class"][classes[c]] = {
          {"mean", number_or_null(d.class_mean[c])},
          {"ci95", {number_or_null(d.class_low[c]), number_or_null(d.class_high[c])}}};
      if (d.class_low[c] > 0) cmp["classes_better"].push_back(classes[c]);
      if (d.class_high[c] < 0) cmp["classes_worse"].push_back(classes[c]);
    }
    answer.push_back(answer_prefix + cmp["conclusion"].get<std::string>());
    comparisons.push_back(cmp);
  }
  out["comparisons"] = comparisons;
  return out;
}

}  // namespace

nlohmann::json collect_results(const StudyConfig& config, const fs::path& study,
                               const std::vector<StageTiming>& timings) {
  const ClassifierConfig& k = config.classifier;
  // Seeds with every arm evaluated: only those enter the tables, so every arm is summarised
  // over the same seeds.
  std::vector<std::uint64_t> seeds;
  for (auto seed : k.seeds) {
    bool all = true;
    std::vector<std::string> steps = {"evaluate"};
    for (const auto& t : config.test_sets) steps.push_back(cohort_evaluate_step(t.name));
    for (const auto& arm : k.arms) {
      for (const auto& step : steps) {
        all = all &&
              fs::exists(stage_output(study, classifier_stage_name(arm.name, seed, step), "eval") /
                         "metrics.json");
      }
    }
    if (all) seeds.push_back(seed);
  }
  if (seeds.empty()) {
    throw DataError(describe_problem(study.string(), "no seed with every classifier arm evaluated",
                                     "at least one complete seed",
                                     "Run the study to the end first."));
  }
  nlohmann::json results;
  results["config"] = to_json(config);
  results["seeds_used"] = seeds;
  results["complete"] = seeds.size() == k.seeds.size();
  const data::PreparedSet real = data::PreparedSet::open(study / prepare_stage_name() / "set");
  const std::vector<std::string> classes = real.classes();
  results["classes"] = classes;

  std::vector<std::string> answer;
  nlohmann::json development =
      summarize_step(config, study, seeds, "evaluate", classes, "", answer);
  for (const char* key : {"arms", "baseline", "test", "comparisons"})
    results[key] = development[key];
  const std::string baseline = development["baseline"];
  const nlohmann::json& comparisons = results["comparisons"];
  results["cohorts"] = nlohmann::json::array();
  for (const auto& t : config.test_sets) {
    nlohmann::json cohort = summarize_step(config, study, seeds, cohort_evaluate_step(t.name),
                                           classes, "On the cohort " + t.name + ": ", answer);
    cohort["name"] = t.name;
    cohort["source"] = t.source;
    cohort["label_map"] = t.label_map;
    results["cohorts"].push_back(cohort);
  }
  if (comparisons.empty()) answer.push_back("No GAN arm was configured; nothing to compare.");

  nlohmann::json gans = nlohmann::json::array();
  for (const auto& g : config.gans) {
    const fs::path run = stage_output(study, gan_stage_name(g.name, "train"), "run");
    const fs::path syn = stage_output(study, gan_stage_name(g.name, "generate"), "set");
    nlohmann::json j = {{"name", g.name},
                        {"run_dir", run.string()},
                        {"synthetic_dir", syn.string()},
                        {"samples_png", sample_grid(run).string()}};
    const std::vector<std::string> fields = {"step", "d_loss", "g_loss", "kid"};
    if (fs::is_directory(run / "classes")) {
      for (const auto& c : classes) {
        if (fs::exists(run / "classes" / c / "metrics.jsonl")) {
          j["curves"][c] = read_curve(run / "classes" / c / "metrics.jsonl", fields);
        }
      }
    } else {
      j["curves"]["all classes"] = read_curve(run / "metrics.jsonl", fields);
    }
    const fs::path scores = stage_output(study, gan_stage_name(g.name, "score"), "scores");
    if (fs::exists(scores / "scores.json")) {
      j["quality"] = read_json(scores / "scores.json");
      j["quality_pairs_png"] = (scores / "nearest_pairs.png").string();
    }
    if (fs::exists(syn / "manifest.csv")) {
      std::map<std::string, int> counts;
      for (const auto& row : data::read_manifest(syn / "manifest.csv")) ++counts[row.label];
      j["synthetic_counts"] = counts;
    }
    gans.push_back(j);
  }
  results["gans"] = gans;

  nlohmann::json stages = nlohmann::json::array();
  for (const auto& t : timings) {
    stages.push_back({{"name", t.name},
                      {"seconds", t.seconds},
                      {"attempts", t.attempts},
                      {"skipped_now", t.skipped_now}});
  }
  results["stages"] = stages;

  results["question"] = "On " + config.data.source + " at " + std::to_string(config.data.size) +
                        " px, do synthetic images from a GAN improve the classifier's balanced "
                        "accuracy on held-out real lesions beyond the best arm without a GAN (" +
                        baseline + ")?";
  results["answer"] = answer;
  return results;
}

}  // namespace skingan::experiment
