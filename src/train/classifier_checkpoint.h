// A classifier run's last.pt: everything an interrupted run needs to resume exactly (model,
// optimiser, the sampling generator, the device's default generator for dropout, the batch
// order, and where the run stands).
#pragma once

#include <filesystem>

#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include "train/training_batches.h"

namespace skingan::train {

// Where a run stands after an epoch.
struct ClassifierProgress {
  int64_t epoch = 0, best_epoch = 0;
  double best = -1;  // best validation balanced accuracy so far; -1 before the first epoch
};

// Writes last.pt atomically (io::save_archive_atomic).
void save_classifier_checkpoint(const std::filesystem::path& last, torch::Device device,
                                const ClassifierProgress& progress, torch::nn::Module& model,
                                torch::optim::Optimizer& optimizer, at::Generator& rng,
                                const TrainingBatches& batches);

// Loads last.pt into the model, optimizer, sampling generator, the global generator and the
// batch order. A damaged or foreign file (LibTorch's own errors, wrong shapes, counts out of
// range) ends as one CheckpointError naming it.
ClassifierProgress load_classifier_checkpoint(const std::filesystem::path& last,
                                              torch::Device device, torch::nn::Module& model,
                                              torch::optim::Optimizer& optimizer,
                                              at::Generator& rng, TrainingBatches& batches);

}  // namespace skingan::train
