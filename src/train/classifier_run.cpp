#include "train/classifier_run.h"

#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>

#include "augment/classic.h"
#include "core/error.h"
#include "core/host_to_device.h"
#include "core/progress.h"
#include "core/signals.h"
#include "core/text.h"
#include "core/torch_compat.h"
#include "dist/gradient_sync.h"
#include "eval/metrics.h"
#include "io/archive_file.h"
#include "io/files.h"
#include "io/image_codec.h"
#include "io/jsonl.h"
#include "models/distributed_layers.h"
#include "models/gan/layers.h"
#include "train/classifier_checkpoint.h"
#include "train/classifier_curves.h"
#include "train/classifier_settings.h"
#include "train/foreach_adam.h"
#include "train/synthetic_policy.h"
#include "train/training_batches.h"
#include "train/training_data.h"

namespace fs = std::filesystem;

namespace skingan::train {
namespace {

using Clock = std::chrono::steady_clock;

// Synthetic images used per class (classes with none left out), as config.json has always
// listed them.
std::map<std::string, int64_t> used_per_class(const TrainingData& data) {
  std::map<std::string, int64_t> used;
  for (const auto& [name, r] : data.synthetic_report.items())
    if (r.at("used").get<int64_t>() > 0) used[name] = r.at("used").get<int64_t>();
  return used;
}

}  // namespace

ClassifierRunResult run_classifier_training(const ClassifierRunOptions& options) {
  const auto start = Clock::now();
  ClassifierConfig config = options.config;
  if (config.optimizer != "adamw" && config.optimizer != "sgd") {
    throw ConfigError(
        describe_problem("--optimizer " + config.optimizer, "unknown", "adamw or sgd", ""));
  }
  if (config.lr <= 0) config.lr = config.optimizer == "adamw" ? 2e-3 : 0.05;
  if (config.weight_decay < 0) config.weight_decay = config.optimizer == "adamw" ? 0.05 : 5e-4;
  if (config.epochs < 1 || config.batch_size < 2) {
    throw ConfigError("train-classifier: --epochs must be >= 1 and --batch-size >= 2.");
  }
  check_synthetic_policy(config);
  // Data parallel (dist/): --batch-size is per process, as in torch DDP. The samplers draw the
  // global batch of ranks x batch rows and each rank trains on its slice of it.
  dist::ProcessGroup* group = options.group;
  const int64_t ranks = group != nullptr ? group->size() : 1;
  const int64_t rank = group != nullptr ? group->rank() : 0;
  const bool writer = rank == 0;  // rank 0 alone writes the model folder
  const int64_t local_batch = config.batch_size;
  config.batch_size *= ranks;
  config.precision = resolve_precision(config.precision, options.device);
  const augment::ClassicPolicy policy = augment::parse_classic_policy(config.augment);
  const fs::path& dir = options.model_dir;
  const fs::path last = dir / "checkpoints" / "last.pt";
  if (fs::exists(dir / "config.json") && !options.resume && !options.force) {
    throw ConfigError(describe_problem("model folder " + dir.string(), "already exists",
                                       "a new folder",
                                       "Pass --resume to continue it or --force to start over."));
  }
  if (options.resume && writer) io::remove_stale_temporaries(dir);  // of a killed attempt
  if (options.resume && !fs::exists(dir / "config.json")) {
    throw ConfigError("--resume: " + dir.string() + " holds no model (no config.json).");
  }
  if (options.resume) check_resumed_batch(dir, config.batch_size, ranks);
  const bool with_backbone = config.arch == models::ClassifierArch::kBackbone;
  if (with_backbone && !options.resume && !fs::is_regular_file(config.backbone)) {
    throw ConfigError(describe_problem("--backbone " + config.backbone, "no such file",
                                       "a TorchScript model file (torch.jit.save)", ""));
  }
  const TrainingData data = load_training_data(options);
  const int64_t classes = static_cast<int64_t>(data.classes.size());
  const int64_t synthetic_rows = data.train_synthetic.sum().item<int64_t>();
  const int64_t real_rows = data.train_synthetic.size(0) - synthetic_rows;
  if (config.synthetic_ratio >= 0 && synthetic_rows == 0) {
    throw ConfigError(describe_problem(
        "--synthetic-ratio " + std::to_string(config.synthetic_ratio),
        "no synthetic training images to mix in (" + data.synthetic_report.dump() + ")",
        "a synthetic set as a further --train, with images of the receiving classes", ""));
  }
  for (const auto& [name, r] : data.synthetic_report.items()) {
    std::string why;
    if (r.at("not_receiving").get<int64_t>() > 0) why = ", class not in --synthetic-classes";
    if (!config.synthetic_filter_model.empty() && r.at("not_receiving") != r.at("candidates")) {
      why += ", " + std::to_string(r.at("passed_filter").get<int64_t>()) + " passed the filter";
    }
    spdlog::info("synthetic {}: {} of {} images used{}", name, r.at("used").get<int64_t>(),
                 r.at("candidates").get<int64_t>(), why);
  }
  if (config.finetune_real_epochs > 0 && real_rows == 0) {
    throw ConfigError("--finetune-real-epochs: the run has no real training images.");
  }
  // Built before the model folder is written: a batch its samplers cannot draw is refused here.
  TrainingBatches batches(data.train_labels, data.train_synthetic, classes, config);
  // With --synthetic-ratio the synthetic images take a share of each batch instead of adding
  // batches: an epoch is as long as the real images alone make it, so the arm costs what its
  // real-only baseline costs.
  const int64_t epoch_rows = config.synthetic_ratio >= 0 ? real_rows : data.train_images.size(0);
  const int64_t steps_per_epoch = config.steps_per_epoch > 0
                                      ? config.steps_per_epoch
                                      : std::max<int64_t>(1, epoch_rows / config.batch_size);
  // Every rank has checked the folder before rank 0 writes to it.
  if (group != nullptr) group->barrier("model folder checks");
  if (writer && options.force && !options.resume && fs::exists(dir)) fs::remove_all(dir);
  if (writer) fs::create_directories(dir / "checkpoints");
  const fs::path backbone_copy = dir / "backbone.pt";
  if (writer && with_backbone && !options.resume) {
    io::write_file_atomic(backbone_copy, io::read_file(config.backbone));
  }

  const models::ClassifierOptions model_options =
      models::ClassifierOptions()
          .arch(config.arch)
          .num_classes(classes)
          .image_size(data.image_size)
          .width(config.width)
          .backbone(with_backbone ? backbone_copy.string() : "");
  nlohmann::json model_json = models::to_json(model_options);
  if (with_backbone) model_json["backbone"] = "backbone.pt";  // relative to the model folder
  std::vector<std::string> sets;
  for (const auto& s : options.train_sets)
    sets.push_back(fs::absolute(s).lexically_normal().string());
  const nlohmann::json run_config = {
      {"classifier", to_json(config)},
      {"model", model_json},
      {"classes", data.classes},
      {"train_sets", sets},
      {"augment_policy", augment::describe(policy)},
      {"train_images", data.train_images.size(0)},
      {"steps_per_epoch", steps_per_epoch},
      {"world_size", ranks},
      {"batch_size_per_process", local_batch},
      {"batch_norm", ranks == 1 || options.sync_batch_norm ? "global batch" : "per rank"},
      {"synthetic_per_class", used_per_class(data)},
      {"synthetic", data.synthetic_report}};
  if (writer && !options.resume) {
    io::write_file_atomic(dir / "config.json", run_config.dump(2) + "\n");
  }
  if (group != nullptr) group->barrier("model folder written");  // the backbone copy is read next

  torch::manual_seed(config.seed);
  models::Classifier model(model_options);
  model->to(options.device);
  const bool channels_last = options.device.is_cpu();
  if (channels_last) models::use_channels_last(*model);
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (config.optimizer == "adamw") {
    // AdamW as multi-tensor ops (train/foreach_adam.h): LibTorch's AdamW's weights and state.
    optimizer = std::make_unique<ForeachAdamW>(
        model->parameters(),
        torch::optim::AdamWOptions(config.lr).weight_decay(config.weight_decay));
  } else {
    optimizer = std::make_unique<torch::optim::SGD>(
        model->parameters(),
        torch::optim::SGDOptions(config.lr).momentum(0.9).nesterov(true).weight_decay(
            config.weight_decay));
  }
  // float [N]: each row's loss weight (1 real, synthetic_weight synthetic).
  const torch::Tensor row_weight =
      torch::where(data.train_synthetic, torch::full({}, config.synthetic_weight, torch::kFloat),
                   torch::ones({}, torch::kFloat))
          .to(options.device);
  // The training rows go to the device once (uint8 [N,3,S,S]: HAM10000 at 64 px is ~100 MB);
  // each step then gathers its batch there instead of copying it from host memory.
  const torch::Tensor train_images = data.train_images.to(options.device);
  const torch::Tensor train_labels = data.train_labels.to(options.device);
  const bool bf16 = config.precision == "bf16";
  at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(config.seed);
  const torch::Tensor weights = config.class_weights
                                    ? class_weights(data.train_labels, classes).to(options.device)
                                    : torch::Tensor();
  const int64_t total_steps = steps_per_epoch * config.epochs;
  const int64_t warmup = static_cast<int64_t>(config.warmup_epochs * steps_per_epoch);

  ClassifierProgress progress;
  if (options.resume && fs::exists(last)) {
    progress = load_classifier_checkpoint(last, options.device, *model, *optimizer, rng, batches);
  }
  int64_t& epoch = progress.epoch;
  int64_t& best_epoch = progress.best_epoch;
  double& best = progress.best;
  // Identical weights on every rank whatever each one's seed or file did (optimiser state and
  // generators are identical by construction: same seed, same draws, or the same checkpoint).
  if (group != nullptr) dist::broadcast_module(*group, *model);
  if (group != nullptr && with_backbone) {
    spdlog::warn(
        "--backbone under {} ranks: the TorchScript backbone's BatchNorm uses each "
        "rank's own batch statistics (only skingan's layers synchronise them)",
        ranks);
  }
  if (writer) io::keep_jsonl_up_to(dir / "metrics.jsonl", "epoch", epoch);

  install_stop_handlers();
  dist::ActiveGroup active_group(group, options.sync_batch_norm);
  ClassifierRunResult result;
  ProgressBar bar("train-classifier", total_steps, "step", options.progress && writer);
  bar.skip(epoch * steps_per_epoch);
  std::ofstream metrics;
  if (writer) metrics.open(dir / "metrics.jsonl", std::ios::app);
  int64_t images_seen = 0;
  const auto train_start = Clock::now();
  while (epoch < config.epochs) {
    model->train();
    // Summed on the device and read once per epoch: a read per step would wait for the GPU.
    torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions(options.device));
    const auto epoch_start = Clock::now();
    for (int64_t s = 0; s < steps_per_epoch; ++s) {
      // With several ranks the stop travels with the gradients, so all stop after one step.
      if (group == nullptr && stop_requested()) {
        result.interrupted = true;
        break;
      }
      const int64_t step = epoch * steps_per_epoch + s;
      for (auto& group : optimizer->param_groups()) {
        const double lr = learning_rate(config.lr, step, warmup, total_steps);
        if (config.optimizer == "adamw") {
          static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
        } else {
          static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
        }
      }
      // long [B]: this rank's rows of the global batch (all of it with one process).
      const torch::Tensor indices =
          to_device(batches.next(epoch, rng).slice(0, rank * local_batch, (rank + 1) * local_batch),
                    options.device);
      torch::Tensor x = train_images.index_select(0, indices)
                            .to(torch::kFloat)
                            .div_(255.0);  // [B,3,S,S] in [0,1]
      x = models::normalize_images(
          augment::classic_augment(x, policy, rng, {config.batch_size, rank * local_batch}));
      if (channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
      const torch::Tensor y = train_labels.index_select(0, indices);
      torch::Tensor logits;  // float [B,classes]
      {
        compat::CudaAutocast autocast(bf16, torch::kBFloat16);
        logits = model->forward(x);
      }
      const torch::Tensor loss =
          weighted_cross_entropy(logits.to(torch::kFloat), y, weights,
                                 row_weight.index_select(0, indices), config.label_smoothing);
      optimizer->zero_grad();
      loss.backward();
      const bool stop_all = group != nullptr &&
                            dist::average_gradients(*group, model->parameters(), stop_requested());
      optimizer->step();
      loss_sum += loss.detach();
      images_seen += config.batch_size;
      bar.advance();
      if (stop_all) {
        result.interrupted = true;
        break;
      }
    }
    if (result.interrupted) break;
    // The mean of the ranks' losses: the global batch's loss, the same on every rank.
    if (group != nullptr) group->all_reduce_sum(loss_sum, "the epoch's loss");
    const double epoch_loss = loss_sum.item<double>() / static_cast<double>(ranks);
    if (!std::isfinite(epoch_loss)) {
      throw Error("the classifier loss became " + std::to_string(epoch_loss) + " in epoch " +
                  std::to_string(epoch + 1) +
                  "; the last checkpoint is the last good state. Lower --lr and resume.");
    }
    ++epoch;
    // A planned pause (--stop-after): --resume continues after this epoch.
    const auto pause_now = [&] {
      return options.max_epochs_now > 0 && result.epochs_trained >= options.max_epochs_now &&
             epoch < config.epochs;
    };
    if (!writer) {  // validation, checkpoints and metrics are rank 0's
      ++result.epochs_trained;
      if (pause_now()) {
        result.interrupted = true;
        break;
      }
      continue;
    }
    // Validation on real images only.
    const torch::Tensor probabilities =
        models::predict_probabilities(model, data.val_images, 256, options.device);
    std::vector<int64_t> labels(data.val_labels.data_ptr<int64_t>(),
                                data.val_labels.data_ptr<int64_t>() + data.val_labels.size(0));
    std::vector<std::vector<double>> probs(labels.size());
    for (size_t i = 0; i < labels.size(); ++i) {
      const torch::Tensor row = probabilities[static_cast<int64_t>(i)].to(torch::kDouble);
      probs[i].assign(row.data_ptr<double>(), row.data_ptr<double>() + classes);
    }
    const eval::Metrics m = eval::compute_metrics(labels, probs, classes);
    const double seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    // CAS keeps the last epoch: choosing it on real validation images would let real data pick
    // among the synthetic-trained models.
    if (m.balanced_accuracy > best || config.keep_last_epoch) {
      best = m.balanced_accuracy;
      best_epoch = epoch;
      torch::serialize::OutputArchive archive;
      model->save(archive);
      io::save_archive_atomic(archive, dir / "best.pt");
    }
    save_classifier_checkpoint(last, options.device, progress, *model, *optimizer, rng, batches);
    const nlohmann::json line = {
        {"epoch", epoch},
        {"train_loss", epoch_loss / static_cast<double>(steps_per_epoch)},
        {"val_accuracy", m.accuracy},
        {"val_balanced_accuracy", m.balanced_accuracy},
        {"val_macro_f1", m.macro_f1},
        {"lr", learning_rate(config.lr, epoch * steps_per_epoch - 1, warmup, total_steps)},
        {"images_per_second", static_cast<double>(steps_per_epoch * config.batch_size) / seconds}};
    metrics << line.dump() << "\n" << std::flush;
    write_curves(dir);
    io::write_file_atomic(dir / "status.json", nlohmann::json{{"finished", epoch >= config.epochs},
                                                              {"epoch", epoch},
                                                              {"best_epoch", best_epoch},
                                                              {"best_val_balanced_accuracy", best}}
                                                       .dump(2) +
                                                   "\n");
    ++result.epochs_trained;
    if (pause_now()) {
      result.interrupted = true;
      break;
    }
    spdlog::info("epoch {}/{}: train loss {:.4f}, val balanced accuracy {:.4f} (best {:.4f} at {})",
                 epoch, config.epochs, line["train_loss"].get<double>(), m.balanced_accuracy, best,
                 best_epoch);
  }
  bar.finish();
  result.finished = epoch >= config.epochs;
  result.best_epoch = best_epoch;
  result.best_val_balanced_accuracy = best;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double train_seconds = std::chrono::duration<double>(Clock::now() - train_start).count();
  result.images_per_second = train_seconds > 0 ? images_seen / train_seconds : 0;
  return result;
}

}  // namespace skingan::train
