// What data-parallel training does to a model between backward() and the optimiser step, and
// once at the start: the collectives of torch.nn.parallel.DistributedDataParallel, written out
// for the C++ frontend (which has no DDP module).
#pragma once

#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "dist/process_group.h"

namespace skingan::dist {

// Rank 0's parameters and buffers copied to every rank, so all start identical whatever their
// seeds or checkpoints did.
void broadcast_module(ProcessGroup& group, torch::nn::Module& module);

// Replaces each defined gradient of `parameters` by its mean over the ranks: gradients are packed
// into flat buckets of up to `bucket_bytes` (DDP's 25 MiB by default) per dtype and device and
// each bucket is all-reduced once. Undefined gradients stay undefined: every rank runs the same
// graph, so the same gradients are defined everywhere. `stop_requested` (this rank was asked to
// stop) rides in the first bucket; returns true when any rank was, so all stop after the same
// step instead of the others waiting in the next all-reduce.
bool average_gradients(ProcessGroup& group, const std::vector<torch::Tensor>& parameters,
                       bool stop_requested, int64_t bucket_bytes = 25 << 20);

}  // namespace skingan::dist
