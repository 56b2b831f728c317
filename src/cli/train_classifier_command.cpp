#include <cstdio>

#include "cli/commands.h"

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
  cmd->add_option("--batch-size", args.batch_size, "batch size")->check(CLI::Range(2, 4096));
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
  cmd->add_option("--synthetic-cap", args.synthetic_cap,
                  "synthetic training images per class at most (default: all)");
  cmd->add_option("--backbone", args.backbone,
                  "fine-tune this TorchScript image model (torch.jit.save) with a new head "
                  "instead of --model");
  cmd->add_option("--seed", args.seed, "seed (weights, order, augmentation)");
  cmd->add_flag("--resume", args.resume, "continue the model folder after its last epoch");
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
  o.config.synthetic_cap = a.synthetic_cap;
  o.config.seed = a.seed;
  o.resume = a.resume;
  o.force = a.force;
  o.device = runtime.device;
  o.progress = runtime.progress;
  return o;
}

int run_train_classifier(const TrainClassifierArgs& args, const Runtime& runtime) {
  const train::ClassifierRunResult r =
      train::run_classifier_training(to_classifier_run_options(args, runtime));
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
