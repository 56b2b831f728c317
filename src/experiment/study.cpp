#include "experiment/study.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>

#include <spdlog/spdlog.h>
#include <torch/version.h>
#include <opencv2/core/version.hpp>
#include <opencv2/imgproc.hpp>

#include "core/progress.h"
#include "data/prepared_set.h"
#include "experiment/stage_runner.h"
#include "experiment/study_plan.h"
#include "experiment/study_results.h"
#include "io/files.h"
#include "io/image_codec.h"
#include "report/html_report.h"
#include "report/image_grid.h"
#include "skingan/version.h"

namespace skingan::experiment {
namespace fs = std::filesystem;
namespace {

constexpr int kGridColumns = 8;

// Held for the whole study: a second `skingan experiment` on the same folder is refused rather
// than racing on the same stage folders. Single-stage runs (--stage, what a Snakemake workflow
// runs, several at once) share the lock among themselves and exclude a whole-study run. The
// kernel drops the lock when the process dies; O_CLOEXEC keeps the stage processes from
// inheriting it (an orphan would otherwise hold it after the study died).
class StudyLock {
 public:
  StudyLock(const fs::path& dir, bool shared) {
    const fs::path path = dir / ".lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0 || ::flock(fd_, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
      if (fd_ >= 0) ::close(fd_);
      throw ConfigError(describe_problem(
          "study folder " + dir.string(), "another skingan experiment running in it",
          "one study process per folder", "Wait for it to finish, or stop it (it resumes later)."));
    }
  }
  ~StudyLock() { ::close(fd_); }
  StudyLock(const StudyLock&) = delete;
  StudyLock& operator=(const StudyLock&) = delete;

 private:
  int fd_ = -1;
};

// First kGridColumns training images of `label` in `set` (manifest order), read from their PNGs
// (not the whole image cache: a balanced synthetic set can hold tens of thousands), upscaled so
// small images stay visible; padded with white tiles when the class has fewer.
std::vector<cv::Mat> class_tiles(const data::PreparedSet& set, const std::string& label, int side) {
  std::vector<cv::Mat> tiles;
  for (const auto& row : set.rows()) {
    if (static_cast<int>(tiles.size()) == kGridColumns) break;
    if (row.label != label || row.split != data::Split::kTrain) continue;
    cv::Mat big;
    cv::resize(io::read_image(set.dir() / row.file), big, cv::Size(side, side), 0, 0,
               cv::INTER_NEAREST);
    tiles.push_back(big);
  }
  while (static_cast<int>(tiles.size()) < kGridColumns) {
    tiles.emplace_back(side, side, CV_8UC3, cv::Scalar(255, 255, 255));
  }
  return tiles;
}

std::map<std::string, std::string> report_images(const nlohmann::json& results,
                                                 const fs::path& study) {
  std::map<std::string, std::string> images;
  fs::create_directories(study / "figures");
  const data::PreparedSet real = data::PreparedSet::open(study / prepare_stage_name() / "set");
  const int side = std::max(64, real.image_size());
  std::vector<std::pair<std::string, data::PreparedSet>> synthetic;
  for (const auto& g : results["gans"]) {
    const fs::path dir = g["synthetic_dir"].get<std::string>();
    if (!fs::exists(dir / "manifest.csv")) continue;
    synthetic.emplace_back(g["name"], data::PreparedSet::open(dir));
    const fs::path samples = g["samples_png"].get<std::string>();
    if (!samples.empty() && fs::exists(samples))
      images["samples/" + g["name"].get<std::string>()] = io::read_file(samples);
    const fs::path pairs = g.value("quality_pairs_png", std::string());
    if (!pairs.empty() && fs::exists(pairs))
      images["pairs/" + g["name"].get<std::string>()] = io::read_file(pairs);
  }
  for (const auto& c : real.classes()) {
    std::vector<cv::Mat> tiles = class_tiles(real, c, side);
    std::vector<std::string> labels{"real"};
    for (const auto& [name, set] : synthetic) {
      const auto more = class_tiles(set, c, side);
      tiles.insert(tiles.end(), more.begin(), more.end());
      labels.push_back(name);
    }
    report::GridOptions options;
    options.columns = kGridColumns;
    options.title = c;
    options.row_labels = labels;
    const std::string png = io::encode_png(report::make_grid(tiles, options));
    io::write_file_atomic(study / "figures" / ("real_vs_synthetic_" + c + ".png"), png);
    images["grid/" + c] = png;
  }
  for (const auto& a : results["arms"]) {
    const fs::path confusion = a["seeds"][0]["confusion_png"].get<std::string>();
    if (fs::exists(confusion))
      images["confusion/" + a["name"].get<std::string>()] = io::read_file(confusion);
  }
  return images;
}

nlohmann::json versions(const std::vector<std::string>& global_args) {
  std::string args;
  for (const auto& a : global_args) args += (args.empty() ? "" : " ") + a;
  return {{"skingan", kVersion},
          {"libtorch", TORCH_VERSION},
          {"opencv", CV_VERSION},
          {"compiler", __VERSION__},
          {"stage_options", args}};
}

// Every raw data folder must exist before any stage runs: a mistyped cohort path must not
// surface only after the development set's stages.
void check_sources_exist(const StudyConfig& c) {
  std::vector<std::pair<std::string, std::string>> sources = {{"data.source", c.data.source}};
  for (const auto& t : c.test_sets)
    sources.push_back({"test set '" + t.name + "' source", t.source});
  for (const auto& [what, path] : sources) {
    if (!fs::exists(path)) {
      throw ConfigError(describe_problem(what + " " + path, "no such file or folder",
                                         "the raw data set folder",
                                         "Correct the path (relative paths start at the current "
                                         "folder)."));
    }
  }
}

// --stage NAME: every stage it reads from (transitively) must have finished under this
// configuration; then NAME runs (or is skipped) exactly as in a whole-study run.
StageOutcome run_one_stage(const std::vector<Stage>& stages, const std::string& name,
                           StageRunner& runner) {
  const auto target =
      std::find_if(stages.begin(), stages.end(), [&](const Stage& s) { return s.name == name; });
  if (target == stages.end()) {
    std::string names;
    for (const auto& s : stages) names += (names.empty() ? "" : ", ") + s.name;
    throw ConfigError(
        describe_problem("--stage " + name, "no such stage in this study", "one of: " + names, ""));
  }
  std::set<std::string> needed(target->inputs.begin(), target->inputs.end());
  for (auto it = std::make_reverse_iterator(target); it != stages.rend(); ++it) {
    if (needed.count(it->name)) needed.insert(it->inputs.begin(), it->inputs.end());
  }
  for (auto it = stages.begin(); it != target; ++it) {
    if (needed.count(it->name)) runner.require_finished(*it, name);
  }
  return runner.run(*target);
}

}  // namespace

StudyResult run_study(const StudyOptions& options) {
  validate(options.config);
  if (!options.report_only) check_sources_exist(options.config);
  const auto start = std::chrono::steady_clock::now();
  const fs::path study = fs::absolute(options.output).lexically_normal();
  fs::create_directories(study);
  StudyLock lock(study, !options.only_stage.empty());
  // Files of atomic writes and staging folders cut short by a kill (stage records, results, a
  // stage's output being built) whose writer is dead; those of stage processes still running
  // beside a --stage run are kept. A finished stage is not run again, so its own sweep would not
  // remove the staging folder an earlier, killed attempt left.
  io::remove_stale_temporaries(study);

  const std::vector<Stage> stages = plan_stages(options.config, study);
  StageRunner runner(study, options.executable, options.global_args, options.force);
  StudyResult result;
  if (!options.only_stage.empty()) {
    const StageOutcome o = run_one_stage(stages, options.only_stage, runner);
    (o.skipped ? result.stages_skipped : result.stages_run) = 1;
    result.seconds = o.seconds;
    return result;
  }
  std::vector<StageTiming> timings;
  if (!options.report_only) {
    spdlog::info("study {}: {} stages; each stage's output and log.txt under its folder",
                 study.string(), stages.size());
    for (size_t i = 0; i < stages.size(); ++i) {
      const Stage& stage = stages[i];
      const std::string counter =
          "[" + std::to_string(i + 1) + "/" + std::to_string(stages.size()) + "] ";
      const StageOutcome o = runner.run(stage);
      timings.push_back({stage.name, o.total_seconds, o.attempts, o.skipped});
      if (o.skipped) {
        ++result.stages_skipped;
        spdlog::info("{}{}: finished earlier, skipped", counter, stage.name);
      } else {
        ++result.stages_run;
        spdlog::info("{}{}: done in {}", counter, stage.name, format_duration(o.seconds));
      }
    }
  } else {
    for (const auto& stage : stages) {
      if (const auto o = runner.recorded(stage)) {
        timings.push_back({stage.name, o->total_seconds, o->attempts, true});
      }
    }
  }

  // Written once the stages agree with this configuration (a refused change leaves the old ones).
  if (!options.config_text.empty())
    io::write_file_atomic(study / "study.toml", options.config_text);
  io::write_file_atomic(study / "config.json", to_json(options.config).dump(2) + "\n");
  nlohmann::json results = collect_results(options.config, study, timings);
  results["versions"] = versions(options.global_args);
  results["study_dir"] = study.string();
  const auto images = report_images(results, study);
  result.results_json = study / "results.json";
  result.results_md = study / "results.md";
  result.report = study / "report.html";
  io::write_file_atomic(result.results_json, results.dump(2) + "\n");
  io::write_file_atomic(result.results_md, results_markdown(results));
  io::write_file_atomic(result.report, report::render_study_report(results, images));
  for (const auto& line : results["answer"]) result.answer.push_back(line);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace skingan::experiment
