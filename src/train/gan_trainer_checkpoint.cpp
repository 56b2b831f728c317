// GanTrainer's full state on disk: save() and load(), apart from the training step so that
// each file keeps one purpose (gan_trainer.cpp trains).
#include <limits>

#include <torch/torch.h>

#include "core/error.h"
#include "io/archive_code.h"
#include "io/archive_file.h"
#include "io/json_fields.h"
#include "train/gan_trainer.h"

namespace fs = std::filesystem;

namespace skingan::train {
namespace {

// Steps that were not measured did not check their losses, so a checkpoint (the last good
// state) checks the weights themselves: one device read for the whole module.
void check_finite_weights(const std::vector<torch::Tensor>& parameters, const char* what,
                          int64_t step) {
  std::vector<torch::Tensor> finite;
  for (const auto& p : parameters) finite.push_back(torch::isfinite(p).all());
  if (!finite.empty() && !torch::stack(finite).all().item<bool>()) {
    throw TrainingDiverged(std::string(what) + " are no longer finite at step " +
                           std::to_string(step) +
                           ". No checkpoint was written: the last one on disk is the last good "
                           "state. " +
                           kDivergenceRemedy);
  }
}

}  // namespace

void GanTrainer::save(const fs::path& path) const {
  check_finite_weights(generator_->parameters(), "the generator's weights", step_);
  check_finite_weights(discriminator_->parameters(), "the discriminator's weights", step_);
  torch::serialize::OutputArchive archive;
  auto sub = [&](const char* key, auto&& save_into) {
    torch::serialize::OutputArchive part;
    save_into(part);
    archive.write(key, part);
  };
  sub("generator", [&](auto& a) { generator_->save(a); });
  sub("discriminator", [&](auto& a) { discriminator_->save(a); });
  if (ema_) sub("generator_ema", [&](auto& a) { ema_->model()->save(a); });
  sub("optimizer_g", [&](auto& a) { optimizer_g_->save(a); });
  sub("optimizer_d", [&](auto& a) { optimizer_d_->save(a); });
  archive.write("step", torch::tensor({step_}, torch::kLong));
  archive.write("rng", rng_.get_state());
  archive.write("sampler", sampler_.state());
  if (ada_) archive.write("ada", ada_->state());
  if (lecam_) archive.write("lecam", lecam_->state());
  archive.write("fixed_noise", fixed_noise_);
  archive.write("fixed_labels", fixed_labels_);
  archive.write("num_classes", torch::tensor({num_classes_}, torch::kLong));
  archive.write("config", c10::IValue(to_json(config_).dump()));
  io::save_archive_atomic(archive, path);
}

void GanTrainer::load(const fs::path& path) {
  torch::serialize::InputArchive archive;
  try {
    io::load_archive(archive, path, device_);
  } catch (const CheckpointError&) {
    throw;  // code the loader must not parse, named by record and line
  } catch (const std::exception& e) {
    throw CheckpointError(describe_problem(
        "checkpoint " + path.string(), "an unreadable file", "a skingan GAN checkpoint",
        "The file is damaged; resume from an earlier checkpoint."));
  }
  c10::IValue config_value;
  if (!archive.try_read("config", config_value) || !config_value.isString()) {
    throw CheckpointError(path.string() + " is not a skingan GAN checkpoint (no config).");
  }
  const std::string fix = "The file is damaged; resume from an earlier checkpoint.";
  const auto saved_json =
      io::parse_json_object<CheckpointError>(config_value.toStringRef(), path.string(), fix);
  const GanConfig saved = io::read_json_fields<CheckpointError>(
      path.string(), fix, [&] { return gan_config_from_json(saved_json); });
  torch::Tensor classes;
  archive.read("num_classes", classes);
  auto differs = [&](const std::string& what, const std::string& found,
                     const std::string& expected) {
    throw CheckpointError(describe_problem(
        "checkpoint " + path.string() + " has another " + what, found, expected + " (this run's)",
        "Resume with the run's own settings, or start a new run."));
  };
  if (saved.arch != config_.arch)
    differs("architecture", gan_arch_name(saved.arch), gan_arch_name(config_.arch));
  if (saved.image_size != config_.image_size)
    differs("image size", std::to_string(saved.image_size), std::to_string(config_.image_size));
  if (saved.g_channels != config_.g_channels || saved.d_channels != config_.d_channels ||
      saved.latent_dim != config_.latent_dim) {
    differs(
        "width",
        "g/d channels " + std::to_string(saved.g_channels) + "/" + std::to_string(saved.d_channels),
        "g/d channels " + std::to_string(config_.g_channels) + "/" +
            std::to_string(config_.d_channels));
  }
  if (classes.item<int64_t>() != num_classes_)
    differs("class count", std::to_string(classes.item<int64_t>()), std::to_string(num_classes_));
  auto sub = [&](const char* key, auto&& load_from) {
    torch::serialize::InputArchive part;
    archive.read(key, part);
    load_from(part);
  };
  sub("generator", [&](auto& a) { generator_->load(a); });
  sub("discriminator", [&](auto& a) { discriminator_->load(a); });
  if (ema_) sub("generator_ema", [&](auto& a) { ema_->model()->load(a); });
  sub("optimizer_g", [&](auto& a) { optimizer_g_->load(a); });
  sub("optimizer_d", [&](auto& a) { optimizer_d_->load(a); });
  torch::Tensor step, rng_state, sampler_state;
  archive.read("step", step);
  archive.read("rng", rng_state);
  archive.read("sampler", sampler_state);
  archive.read("fixed_noise", fixed_noise_);
  archive.read("fixed_labels", fixed_labels_);
  step_ = step.item<int64_t>();
  rng_.set_state(rng_state.to(torch::kCPU));
  sampler_.load_state(sampler_state);
  // The state of a regulariser this run has, refused by name when the checkpoint lacks it (a run
  // resumed with other settings than it started with).
  auto regulariser_state = [&](const char* key, const std::string& missing,
                               const std::string& option) {
    torch::Tensor state;
    if (!archive.try_read(key, state)) {
      throw CheckpointError(describe_problem("checkpoint " + path.string(), missing,
                                             "the state of this run's " + option,
                                             "Resume with the settings the run was started with."));
    }
    return state;
  };
  if (ada_) ada_->load_state(regulariser_state("ada", "no ADA state", "--ada-target"));
  if (lecam_) lecam_->load_state(regulariser_state("lecam", "no LeCam anchors", "--lecam"));
  fixed_noise_ = fixed_noise_.to(torch::kCPU);
  fixed_labels_ = fixed_labels_.to(torch::kCPU);
  use_fast_layout();  // a checkpoint written before channels-last arrives NCHW
  weights_synchronised_ = group_ == nullptr;
}

}  // namespace skingan::train
