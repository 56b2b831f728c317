#include <cstdio>

#include "cli/commands.h"
#include "train/synthetic_policy.h"

namespace skingan::cli {

CLI::App* add_train_classifier_command(CLI::App& app, TrainClassifierArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "train-classifier",
      "train a CNN on a real prepared set (+ synthetic sets), select it on real validation images");
  cmd->add_option("--train", args.train,
                  "training set; repeat: the first is the real set (validation comes from it), "
                  "the others add their training rows (e.g. synthetic sets)")
      ->required();
  cmd->add_option("-o,--output", args.output, "model folder")->required();
  cmd->add_option("--model", args.model, "resnet18 or small_cnn")
      ->check(CLI::IsMember({"resnet18", "small_cnn"}));
  cmd->add_option("--width", args.width, "channels of the first stage (64 = ResNet-18)")
      ->check(CLI::Range(4, 512));
  cmd->add_option("--epochs", args.epochs, "epochs")->check(CLI::Range(1, 100000));
  cmd->add_option("--batch-size", args.batch_size,
                  "batch size per process (under torchrun/srun the global batch is ranks x this)")
      ->check(CLI::Range(2, 4096));
  cmd->add_option("--optimizer", args.optimizer, "adamw or sgd (momentum 0.9, Nesterov)")
      ->check(CLI::IsMember({"adamw", "sgd"}));
  cmd->add_option("--lr", args.lr, "peak learning rate (default 2e-3 adamw, 0.05 sgd)");
  cmd->add_option("--weight-decay", args.weight_decay, "default 0.05 adamw, 5e-4 sgd");
  cmd->add_option("--warmup-epochs", args.warmup_epochs, "linear warm-up, then cosine decay");
  cmd->add_option("--label-smoothing", args.label_smoothing, "label smoothing")
      ->check(CLI::Range(0.0, 0.5));
  cmd->add_option("--augment", args.augment, "none or classic")
      ->check(CLI::IsMember({"none", "classic"}));
  cmd->add_flag("--class-weights", args.class_weights,
                "weight the loss by inverse class frequency");
  cmd->add_flag("--balanced-sampler", args.balanced_sampler,
                "draw every batch's classes uniformly");
  // How synthetic images enter training (train/synthetic_policy.h, data/mix_sampler.h).
  cmd->add_option("--synthetic-cap", args.synthetic_cap,
                  "synthetic training images per class at most: a count (500) or a multiple of "
                  "the class's real training images (1x, 0.5x); default: all");
  cmd->add_option("--synthetic-classes", args.synthetic_classes,
                  "classes that receive synthetic images: names (comma-separated) or 'minority' "
                  "(fewer real training images than the mean per class); default: every class")
      ->delimiter(',');
  cmd->add_option("--synthetic-ratio", args.synthetic_ratio,
                  "expected share of synthetic images in each batch, drawn per class (a class's "
                  "slot is synthetic with this probability, so class balance holds); the epoch "
                  "is as long as the real images make it. Default: synthetic rows simply join "
                  "the pool")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--finetune-real-epochs", args.finetune_real_epochs,
                  "train the last K epochs on real images only (pre-train on real + synthetic, "
                  "then fine-tune)")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--synthetic-weight", args.synthetic_weight,
                  "loss weight of a synthetic image (a real one weighs 1)")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--synthetic-filter-model", args.synthetic_filter_model,
                  "classifier model folder trained on the real images (e.g. score's --features) "
                  "that scores each synthetic image's intended class before training");
  cmd->add_option("--synthetic-min-confidence", args.synthetic_min_confidence,
                  "with --synthetic-filter-model: keep synthetic images whose intended class has "
                  "probability >= T")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--synthetic-keep-top", args.synthetic_keep_top,
                  "with --synthetic-filter-model: keep this most confident fraction of each "
                  "class's synthetic images, in (0,1]")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--backbone", args.backbone,
                  "fine-tune this TorchScript image model (torch.jit.save) with a new head "
                  "instead of --model");
  cmd->add_option("--precision", args.precision,
                  "training forward pass: fp32, bf16 (autocast; CUDA only) or auto (bf16 on "
                  "CUDA, fp32 on the CPU)")
      ->check(CLI::IsMember({"auto", "fp32", "bf16"}));
  cmd->add_option("--seed", args.seed, "seed (weights, order, augmentation)");
  cmd->add_flag("--resume", args.resume, "continue the model folder after its last epoch");
  cmd->add_option("--stop-after", args.stop_after,
                  "train at most N epochs in this call, then stop resumably (exit 0): for "
                  "time-limited cluster jobs")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--local-batch-norm", args.local_batch_norm,
                "under torchrun/srun: BatchNorm statistics of each process's own batch (faster "
                "over slow links; the default synchronises them, so N processes train what one "
                "process with the global batch would)");
  cmd->add_flag("--force", args.force, "start over in an existing model folder");
  return cmd;
}

train::ClassifierRunOptions to_classifier_run_options(const TrainClassifierArgs& a,
                                                      const Runtime& runtime) {
  train::ClassifierRunOptions o;
  for (const auto& s : a.train) o.train_sets.push_back(s);
  o.model_dir = a.output;
  o.config.arch = a.backbone.empty() ? models::parse_classifier_arch(a.model)
                                     : models::ClassifierArch::kBackbone;
  o.config.backbone = a.backbone;
  o.config.width = a.width;
  o.config.epochs = a.epochs;
  o.config.batch_size = a.batch_size;
  o.config.optimizer = a.optimizer;
  o.config.lr = a.lr;
  o.config.weight_decay = a.weight_decay;
  o.config.warmup_epochs = a.warmup_epochs;
  o.config.label_smoothing = a.label_smoothing;
  o.config.augment = a.augment;
  o.config.class_weights = a.class_weights;
  o.config.balanced_sampler = a.balanced_sampler;
  if (!a.synthetic_cap.empty()) train::parse_synthetic_cap(a.synthetic_cap, o.config);
  o.config.synthetic_classes = a.synthetic_classes;
  o.config.synthetic_filter_model = a.synthetic_filter_model;
  o.config.synthetic_min_confidence = a.synthetic_min_confidence;
  o.config.synthetic_keep_top = a.synthetic_keep_top;
  o.config.synthetic_ratio = a.synthetic_ratio;
  o.config.synthetic_weight = a.synthetic_weight;
  o.config.finetune_real_epochs = a.finetune_real_epochs;
  o.config.precision = a.precision;
  o.config.seed = a.seed;
  o.resume = a.resume;
  o.force = a.force;
  o.max_epochs_now = a.stop_after;
  o.sync_batch_norm = !a.local_batch_norm;
  o.device = runtime.device;
  o.progress = runtime.progress;
  return o;
}

int run_train_classifier(const TrainClassifierArgs& args, const Runtime& runtime) {
  const std::unique_ptr<dist::ProcessGroup> group = join_process_group(runtime, "train-classifier");
  train::ClassifierRunOptions options = to_classifier_run_options(args, runtime);
  options.group = group.get();
  const train::ClassifierRunResult r = train::run_classifier_training(options);
  const bool paused = r.interrupted && args.stop_after > 0 && r.epochs_trained >= args.stop_after;
  if (group != nullptr && group->rank() != 0) return r.interrupted && !paused ? 130 : 0;
  if (paused) {
    std::printf("paused after %lld epochs as --stop-after asked; continue with --resume\n",
                static_cast<long long>(r.epochs_trained));
    return 0;
  }
  if (r.interrupted) {
    std::printf("interrupted: the last finished epoch is saved; continue with --resume\n");
    return 130;
  }
  std::printf(
      "trained %lld epochs in %.1f s (%.1f images/s); best validation balanced accuracy "
      "%.4f at epoch %lld; model: %s/best.pt\n",
      static_cast<long long>(r.epochs_trained), r.seconds, r.images_per_second,
      r.best_val_balanced_accuracy, static_cast<long long>(r.best_epoch), args.output.c_str());
  return 0;
}

}  // namespace skingan::cli
