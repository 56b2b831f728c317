// Host-to-device copies that do not stall the device queue.
#pragma once

#include <c10/core/Device.h>
#include <torch/types.h>

namespace skingan {

// A CPU tensor copied to `device`. On CUDA a plain `.to(device)` from pageable memory makes the
// host wait until every kernel queued before it has finished, so a training step that draws its
// indices, noise and augmentation parameters on the CPU (for draws that are the same on every
// device) would drain the GPU queue several times per step. Here the tensor goes through pinned
// memory (PyTorch's caching host allocator, which keeps the buffer until the copy is done) and is
// copied asynchronously on the current stream, as a DataLoader with pin_memory=True does. On the
// CPU, or for a tensor already on `device`, it is `.to(device)`.
torch::Tensor to_device(const torch::Tensor& host, c10::Device device);

}  // namespace skingan
