#include "train/classifier_checkpoint.h"

#include <string>

#include "core/error.h"
#include "core/exception_message.h"
#include "io/archive_code.h"
#include "io/archive_file.h"

namespace skingan::train {

void save_classifier_checkpoint(const std::filesystem::path& last, torch::Device device,
                                const ClassifierProgress& progress, torch::nn::Module& model,
                                torch::optim::Optimizer& optimizer, at::Generator& rng,
                                const TrainingBatches& batches) {
  torch::serialize::OutputArchive archive, model_part, optimizer_part;
  model.save(model_part);
  optimizer.save(optimizer_part);
  archive.write("model", model_part);
  archive.write("optimizer", optimizer_part);
  archive.write("epoch", torch::tensor({progress.epoch}, torch::kLong));
  archive.write("best", torch::tensor({progress.best}, torch::kDouble));
  archive.write("best_epoch", torch::tensor({progress.best_epoch}, torch::kLong));
  archive.write("rng", rng.get_state());
  batches.save(archive);
  // Dropout draws from the device's default generator: saved so resume is exact.
  archive.write("global_rng", at::globalContext().defaultGenerator(device).get_state());
  io::save_archive_atomic(archive, last);
}

ClassifierProgress load_classifier_checkpoint(const std::filesystem::path& last,
                                              torch::Device device, torch::nn::Module& model,
                                              torch::optim::Optimizer& optimizer,
                                              at::Generator& rng, TrainingBatches& batches) {
  try {
    torch::serialize::InputArchive archive;
    io::load_archive(archive, last, device);
    torch::serialize::InputArchive part;
    archive.read("model", part);
    model.load(part);
    torch::serialize::InputArchive optimizer_part;
    archive.read("optimizer", optimizer_part);
    optimizer.load(optimizer_part);
    torch::Tensor epoch_t, best_t, best_epoch_t, rng_state;
    archive.read("epoch", epoch_t);
    archive.read("best", best_t);
    archive.read("best_epoch", best_epoch_t);
    archive.read("rng", rng_state);
    torch::Tensor global_state;
    archive.read("global_rng", global_state);
    ClassifierProgress progress;
    progress.epoch = epoch_t.item<int64_t>();
    progress.best = best_t.item<double>();
    progress.best_epoch = best_epoch_t.item<int64_t>();
    TORCH_CHECK(
        progress.epoch >= 0 && progress.best_epoch >= 0 && progress.best_epoch <= progress.epoch,
        "epoch ", progress.epoch, " and best epoch ", progress.best_epoch,
        " are not a run's counts");
    at::Generator global = at::globalContext().defaultGenerator(device);
    global.set_state(global_state.to(torch::kCPU));
    rng.set_state(rng_state.to(torch::kCPU));
    batches.load(archive);
    return progress;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw CheckpointError(describe_problem(
        last.string(), std::string("a damaged checkpoint (") + short_message(e) + ")",
        "the last checkpoint of this run",
        "Delete it to restart from epoch 0, or restore the folder from a copy."));
  }
}

}  // namespace skingan::train
