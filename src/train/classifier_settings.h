// What a classifier training run derives from its options before and while it trains: the
// precision it computes in, the global batch a resumed run must keep, class weights and the
// learning-rate schedule.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <c10/core/Device.h>
#include <torch/types.h>

namespace skingan::train {

// Inverse class frequency of labels long [N], normalised to mean 1 over the classes present
// (sklearn "balanced"): float [classes], 0 for absent classes.
torch::Tensor class_weights(const torch::Tensor& labels, int64_t classes);

// Linear warm-up to the base rate, then cosine decay to 0 (Loshchilov & Hutter; Goyal et al.).
double learning_rate(double base, int64_t step, int64_t warmup, int64_t total);

// "auto" -> bf16 on CUDA, fp32 elsewhere; bf16 on the CPU is refused (autocast is CUDA-only here).
std::string resolve_precision(const std::string& precision, const c10::Device& device);

// A resumed run must draw the same global batches: under another number of ranks the batch per
// process changes so that ranks x batch stays what the run (DIR/config.json) started with.
void check_resumed_batch(const std::filesystem::path& dir, int64_t global_batch, int64_t ranks);

}  // namespace skingan::train
