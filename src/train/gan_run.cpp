#include "train/gan_run.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <set>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/signals.h"
#include "data/prepared_set.h"
#include "eval/feature_model.h"
#include "io/files.h"
#include "io/image_codec.h"
#include "io/jsonl.h"
#include "io/tensor_image.h"
#include "models/gan/gan_checkpoint.h"
#include "report/image_grid.h"
#include "train/gan_curves.h"
#include "train/gan_evaluator.h"
#include "train/gan_trainer.h"
#include "train/growth_schedule.h"

namespace fs = std::filesystem;

namespace skingan::train {
namespace {

// One generator/discriminator pair to train: the whole run, or one class of a per-class run.
struct Unit {
  std::string name;
  fs::path dir;
  std::vector<int64_t> rows;  // manifest rows of its training images
  torch::Tensor labels;       // [n] long, indices into row_labels (all 0 per class)
  std::vector<std::string> row_labels;
  int64_t steps = 0;
  std::uint64_t seed = 0;
};

std::vector<std::string> select_classes(const data::PreparedSet& set, const GanConfig& config,
                                        const std::map<std::string, int64_t>& train_counts) {
  std::vector<std::string> chosen = config.classes.empty() ? set.classes() : config.classes;
  std::string known;
  for (const auto& c : set.classes()) known += (known.empty() ? "" : ", ") + c;
  for (const auto& c : chosen) {
    if (std::find(set.classes().begin(), set.classes().end(), c) == set.classes().end()) {
      throw ConfigError(describe_problem("--classes: class '" + c + "'",
                                         "not in " + set.dir().string(), "one of: " + known, ""));
    }
    const auto it = train_counts.find(c);
    if (it == train_counts.end() || it->second == 0) {
      throw ConfigError(describe_problem(
          "class '" + c + "'", "no training images in " + set.dir().string(),
          "at least one real image in the train split", "Leave it out with --classes."));
    }
  }
  return chosen;
}

void write_status(const fs::path& run_dir, const std::vector<Unit>& units,
                  const std::map<std::string, int64_t>& done, const std::string& state) {
  nlohmann::json status = {
      {"state", state}, {"finished", state == "finished"}, {"units", nlohmann::json::object()}};
  for (const auto& u : units) {
    status["units"][u.name] = {{"step", done.count(u.name) ? done.at(u.name) : 0},
                               {"steps", u.steps}};
  }
  io::write_file_atomic(run_dir / "status.json", status.dump(2) + "\n");
}

cv::Mat sample_grid(GanTrainer& trainer, const std::vector<std::string>& row_labels,
                    const std::string& title) {
  const torch::Tensor images =
      trainer.generate(trainer.fixed_noise(), trainer.fixed_labels(), /*use_ema=*/true);
  report::GridOptions grid;
  grid.columns = static_cast<int>(kSampleColumns);
  grid.title = title;
  grid.row_labels = row_labels;
  return report::make_grid(io::to_bgr_tiles(images), grid);
}

}  // namespace

GanRunResult run_gan_training(const GanRunOptions& options) {
  const data::PreparedSet set = data::PreparedSet::open(options.set_dir);
  dist::ProcessGroup* group = options.group;
  const int64_t ranks = group != nullptr ? group->size() : 1;
  const bool writer = group == nullptr || group->rank() == 0;  // rank 0 alone writes the folder
  GanConfig config = options.config;
  config.batch_size *= ranks;  // --batch-size is per process: the global batch
  config.image_size = set.image_size();
  const fs::path config_path = options.run_dir / "config.json";
  // Files of a killed earlier attempt (a run killed while writing its first config.json left
  // only that file's temporary: the folder is still unused). Every rank decides after they are
  // gone.
  if (writer) io::remove_stale_temporaries(options.run_dir);
  if (group != nullptr) group->barrier("stale temporaries removed");
  if (options.resume) {
    if (!fs::exists(config_path)) {
      throw ConfigError(
          describe_problem("--resume " + options.run_dir.string(), "no config.json there",
                           "a run folder written by train-gan", "Start the run without --resume."));
    }
    const GanConfig saved = resumed_gan_config(config_path, config.arch);
    config = saved;
    if (options.new_steps > 0) {
      config.steps = options.new_steps;
      config.epochs = 0;
    }
  } else if (fs::exists(options.run_dir) && !fs::is_empty(options.run_dir) && !options.force) {
    throw ConfigError(describe_problem("run folder " + options.run_dir.string(),
                                       "an existing, non-empty folder", "a new folder",
                                       "Pass --resume to continue it or --force to start over."));
  }
  validate(config);
  if (config.batch_size % ranks != 0) {
    throw ConfigError(describe_problem(
        "--resume " + options.run_dir.string() + " under " + std::to_string(ranks) + " processes",
        "a run whose global batch is " + std::to_string(config.batch_size),
        "a number of processes that divides the global batch",
        "Resume with a number of processes that divides " + std::to_string(config.batch_size) +
            "."));
  }

  // Real training images per class.
  std::map<std::string, std::vector<int64_t>> train_rows;
  std::map<std::string, int64_t> train_counts;
  for (size_t i = 0; i < set.rows().size(); ++i) {
    const auto& row = set.rows()[i];
    if (row.split == data::Split::kTrain && row.source == "real") {
      train_rows[row.label].push_back(static_cast<int64_t>(i));
      ++train_counts[row.label];
    }
  }
  const std::vector<std::string> classes = select_classes(set, config, train_counts);

  std::vector<Unit> units;
  if (config.per_class) {
    for (size_t k = 0; k < classes.size(); ++k) {
      Unit u{classes[k],
             options.run_dir / "classes" / classes[k],
             train_rows[classes[k]],
             {},
             {classes[k]}};
      u.labels = torch::zeros({static_cast<int64_t>(u.rows.size())}, torch::kLong);
      u.seed = config.seed + 1000 * k;
      units.push_back(std::move(u));
    }
  } else {
    Unit u{gan_arch_name(config.arch),
           options.run_dir,
           {},
           {},
           is_conditional(config) ? classes : std::vector<std::string>{"all"}};
    std::vector<int64_t> labels;
    for (size_t k = 0; k < classes.size(); ++k) {
      for (int64_t row : train_rows[classes[k]]) {
        u.rows.push_back(row);
        labels.push_back(static_cast<int64_t>(k));
      }
    }
    u.labels = torch::tensor(labels, torch::kLong);
    u.seed = config.seed;
    units.push_back(std::move(u));
  }
  for (auto& u : units) {
    u.steps = steps_for(config, static_cast<int64_t>(u.rows.size()));
    if (writer && static_cast<int64_t>(u.rows.size()) < config.batch_size &&
        !is_conditional(config)) {
      spdlog::warn("{}: {} training images, fewer than the batch of {}: batches repeat images",
                   u.name, u.rows.size(), config.batch_size);
    }
  }

  // Everything that can refuse happens before the run folder is touched.
  const torch::Tensor all_images = set.load_images();  // uint8 [N,3,S,S], CPU
  std::unique_ptr<eval::FeatureModel> eval_features;
  std::vector<std::vector<EvalClass>> eval_references;
  nlohmann::json eval_left_out = nlohmann::json::object();
  if (config.eval_every > 0) {
    eval_features = std::make_unique<eval::FeatureModel>(
        eval::FeatureModel::open(config.eval_features, options.device));
    eval_features->check_compatible("the set " + options.set_dir.string(), set.image_size(),
                                    classes);
    for (const auto& u : units) {
      eval_references.push_back(
          eval_classes(set, all_images, u.row_labels, classes, eval_left_out));
    }
    for (const auto& [label, why] : eval_left_out.items())
      if (writer)
        spdlog::warn("--eval-every: class {} is not scored: {}", label, why.get<std::string>());
    if (std::all_of(eval_references.begin(), eval_references.end(),
                    [](const std::vector<EvalClass>& r) { return r.empty(); })) {
      throw ConfigError(describe_problem(
          "--eval-every",
          "no class with at least 4 real validation images in " + options.set_dir.string(),
          "validation images to score the generator against", "Drop --eval-every."));
    }
  }
  std::vector<std::pair<torch::Tensor, torch::Tensor>> probe_images;  // --ada-heuristic rv
  if (config.ada_target > 0 && config.ada_heuristic == AdaHeuristic::kRv) {
    for (const auto& u : units)
      probe_images.push_back(validation_images(set, all_images, u.row_labels, classes));
  }
  // Every rank has checked the folder and the options before rank 0 changes the folder.
  if (group != nullptr) group->barrier("run folder checks");
  if (writer && !options.resume && options.force) fs::remove_all(options.run_dir);
  if (writer) fs::create_directories(options.run_dir);
  nlohmann::json run_config = {{"gan", to_json(config)},
                               {"set", fs::absolute(options.set_dir).string()},
                               {"set_fingerprint", set.meta().value("fingerprint", "")},
                               {"classes", classes}};
  if (!eval_left_out.empty()) run_config["eval_left_out"] = eval_left_out;
  if (ranks > 1) {
    run_config["world_size"] = ranks;
    run_config["batch_size_per_process"] = config.batch_size / ranks;
    run_config["batch_norm"] = "global batch";
  }
  if (writer) io::write_file_atomic(config_path, run_config.dump(2) + "\n");

  install_stop_handlers();
  GanRunResult result;
  std::map<std::string, int64_t> done;
  int64_t total_steps = 0;
  for (const auto& u : units) total_steps += u.steps;
  ProgressBar bar("train-gan", total_steps, "step", options.progress && writer);
  const auto started = std::chrono::steady_clock::now();
  std::vector<cv::Mat> final_tiles;  // per-class: each class's row of EMA samples
  cv::Mat final_grid;

  for (size_t unit_index = 0; unit_index < units.size(); ++unit_index) {
    const Unit& unit = units[unit_index];
    GanConfig unit_config = config;
    unit_config.seed = unit.seed;
    // Small classes get batches no larger than their image count (uniform sampling has no
    // replacement within an epoch), of at least 2 and an equal share per rank.
    if (!is_conditional(config)) {
      int64_t b = std::min<int64_t>(config.batch_size, static_cast<int64_t>(unit.rows.size()));
      b = std::max<int64_t>(b, 2);
      unit_config.batch_size = std::max<int64_t>(b - b % ranks, ranks);
    }
    const torch::Tensor unit_images =
        all_images.index_select(0, torch::tensor(unit.rows, torch::kLong));
    GanTrainer trainer(unit_config, unit_images, unit.labels,
                       static_cast<int64_t>(unit.row_labels.size()), options.device, group);
    if (!probe_images.empty()) {
      trainer.set_validation_images(probe_images[unit_index].first,
                                    probe_images[unit_index].second);
    }
    if (options.resume) {
      const fs::path checkpoint = latest_checkpoint(unit.dir);
      if (!checkpoint.empty()) trainer.load(checkpoint);
    }
    // Every rank has read its checkpoint before rank 0 writes (and prunes) the next.
    if (group != nullptr) group->barrier("checkpoint loaded");
    if (writer) {
      fs::create_directories(unit.dir / "checkpoints");
      fs::create_directories(unit.dir / "samples");
      io::keep_jsonl_up_to(unit.dir / "metrics.jsonl", "step", trainer.step());
    }
    std::unique_ptr<GanEvaluator> evaluator;
    double best_kid = std::numeric_limits<double>::infinity();
    if (writer && eval_features && !eval_references[unit_index].empty()) {  // else: left out
      evaluator =
          std::make_unique<GanEvaluator>(*eval_features, eval_references[unit_index],
                                         config.eval_images, unit.seed + 77, config.latent_dim);
      if (options.resume) best_kid = resumed_best_kid(unit.dir);
    }
    bar.skip(std::min(trainer.step(), unit.steps));
    std::ofstream metrics;
    if (writer) metrics.open(unit.dir / "metrics.jsonl", std::ios::app);
    auto interval_start = std::chrono::steady_clock::now();
    int64_t interval_steps = 0;
    auto save = [&] {
      done[unit.name] = trainer.step();
      if (!writer) return;
      trainer.save(unit.dir / "checkpoints" / models::checkpoint_file_name(trainer.step()));
      prune_checkpoints(unit.dir / "checkpoints", config.keep_checkpoints);
    };
    auto stop_here = [&] {
      save();
      if (writer) {
        write_loss_curve(unit.dir, unit.name);
        write_status(options.run_dir, units, done, "interrupted");
      }
      result.interrupted = true;
      return result;
    };
    while (trainer.step() < unit.steps) {
      // With several ranks the stop request travels with the step's gradients instead.
      if (group == nullptr && stop_requested()) return stop_here();
      // The logged steps read their metrics from the device; the others never wait for it. Every
      // rank measures the same steps (their metrics are all-reduced), evaluation is rank 0's.
      const int64_t next = trainer.step() + 1;
      const bool evaluation_step =
          eval_features && !eval_references[unit_index].empty() && next % config.eval_every == 0;
      const bool measure = next % config.log_every == 0 || next == unit.steps || evaluation_step;
      GanStepMetrics m;
      try {
        m = trainer.train_step(measure, group != nullptr && stop_requested());
      } catch (const TrainingDiverged&) {
        if (writer) write_status(options.run_dir, units, done, "diverged");
        throw;
      }
      ++result.steps;
      ++interval_steps;
      bar.advance();
      const bool last = m.step == unit.steps;
      if (m.stop && !last) return stop_here();
      if (!writer) continue;  // logs, samples, evaluations and checkpoints are rank 0's
      const bool evaluate_now = evaluator && (m.step % config.eval_every == 0 || last);
      if (m.step % config.log_every == 0 || last || evaluate_now) {
        const auto now = std::chrono::steady_clock::now();
        const double seconds = std::chrono::duration<double>(now - interval_start).count();
        nlohmann::json line =
            metrics_line(m, interval_steps * unit_config.batch_size / std::max(seconds, 1e-9));
        if (evaluate_now) {
          const auto eval_start = std::chrono::steady_clock::now();
          line.update(evaluator->evaluate(trainer));
          line["eval_seconds"] =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - eval_start).count();
          if (line.at("kid").get<double>() < best_kid) {
            // The best generator so far by KID: `generate --checkpoint best`.
            best_kid = line.at("kid").get<double>();
            fs::create_directories(unit.dir / "best");
            trainer.save(unit.dir / "best" / "checkpoint.pt");
            io::write_file_atomic(
                unit.dir / "best" / "best.json",
                nlohmann::json({{"step", m.step}, {"kid", best_kid}}).dump(2) + "\n");
          }
        }
        metrics << line.dump() << "\n" << std::flush;
        interval_start = std::chrono::steady_clock::now();  // evaluation time is not training
        interval_steps = 0;
      }
      if (m.step % config.sample_every == 0 || last) {
        const cv::Mat grid =
            sample_grid(trainer, unit.row_labels, unit.name + " step " + std::to_string(m.step));
        io::write_file_atomic(unit.dir / "samples" / (step_name(m.step) + ".png"),
                              io::encode_png(grid));
      }
      // progan: a grid at the end of every growth phase up to the first at the full size.
      const std::string phase =
          m.level < 0 ? ""
                      : completed_phase_name(discriminator_images(unit_config, m.step - 1),
                                             discriminator_images(unit_config, m.step),
                                             phase_images(unit_config), unit_config.image_size);
      if (!phase.empty()) {
        const cv::Mat grid = sample_grid(
            trainer, unit.row_labels, unit.name + " " + phase + " step " + std::to_string(m.step));
        io::write_file_atomic(unit.dir / "samples" / (phase + ".png"), io::encode_png(grid));
      }
      if (m.step % config.checkpoint_every == 0 || last) {
        save();
        write_loss_curve(unit.dir, unit.name);
        write_kid_curve(unit.dir, unit.name);
        write_status(options.run_dir, units, done, "running");
      }
    }
    done[unit.name] = trainer.step();
    if (!writer) continue;
    if (config.per_class) {
      const torch::Tensor images =
          trainer.generate(trainer.fixed_noise(), trainer.fixed_labels(), true);
      for (const auto& tile : io::to_bgr_tiles(images)) final_tiles.push_back(tile);
    } else {
      final_grid =
          sample_grid(trainer, unit.row_labels,
                      gan_arch_name(config.arch) + ", step " + std::to_string(trainer.step()));
    }
  }
  bar.finish();
  result.finished = true;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.images_per_second = result.steps * config.batch_size / std::max(seconds, 1e-9);
  if (!writer) return result;
  fs::create_directories(options.run_dir / "samples");
  result.final_grid = options.run_dir / "samples" / "final.png";
  if (config.per_class) {
    report::GridOptions grid;
    grid.columns = static_cast<int>(kSampleColumns);
    grid.title = gan_arch_name(config.arch) + ", one GAN per class";
    for (const auto& u : units) grid.row_labels.push_back(u.name);
    final_grid = report::make_grid(final_tiles, grid);
  }
  io::write_file_atomic(result.final_grid, io::encode_png(final_grid));
  write_status(options.run_dir, units, done, "finished");
  return result;
}

}  // namespace skingan::train
