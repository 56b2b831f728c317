// A c10d process group for data-parallel training. Gloo over TCP everywhere (Debian's LibTorch
// has it; on a CUDA build Gloo copies CUDA tensors through the host), and NCCL for CUDA devices
// on builds whose LibTorch has it (SKINGAN_WITH_NCCL, found by CMake: the PyTorch wheel's
// LibTorch with its nvidia-nccl package). Rank 0 serves the rendezvous store (c10d::TCPStore) at
// MASTER_ADDR:MASTER_PORT, every rank joins it.
//
// Why a wrapper: c10d's own headers need USE_C10D_GLOO/USE_C10D_NCCL and the backends' headers,
// and their failures are bare messages ("Connection closed by peer"). Here every collective waits
// with the run's timeout and turns a failure into skingan::Error naming the rank, the operation
// and the likely cause (another rank died), so no rank hangs and every rank exits non-zero.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "dist/rendezvous.h"

namespace skingan::dist {

class ProcessGroup {
 public:
  // Joins the group; blocks until all ranks have joined or `timeout` passed (Error naming the
  // address). `timeout` also bounds every collective. `device`: where this rank trains; a CUDA
  // device selects NCCL where the build has it (SKINGAN_DIST_BACKEND=gloo keeps Gloo).
  ProcessGroup(const Rendezvous& rendezvous, std::chrono::milliseconds timeout,
               torch::Device device = torch::kCPU);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rendezvous_.rank; }
  int size() const { return rendezvous_.world_size; }
  const Rendezvous& rendezvous() const { return rendezvous_; }
  // "gloo" or "nccl".
  const std::string& backend() const { return backend_; }

  // Each tensor in place: rank 0's values everywhere. Tensors may be on the CPU under NCCL too
  // (they travel through the device), as with every collective here.
  void broadcast(std::vector<torch::Tensor> tensors, const std::string& what);
  // In place: the element-wise sum over ranks.
  void all_reduce_sum(torch::Tensor& tensor, const std::string& what);
  void barrier(const std::string& what);

 private:
  struct Impl;
  Rendezvous rendezvous_;
  std::chrono::milliseconds timeout_;
  std::string backend_ = "gloo";
  std::unique_ptr<Impl> impl_;
};

// The timeout for rendezvous and collectives: SKINGAN_DIST_TIMEOUT (seconds, default 1800 as in
// torch.distributed). A dead rank is usually noticed at once (its sockets close); the timeout
// bounds the rest, such as a rank stuck in I/O.
std::chrono::milliseconds timeout_from_environment();

// The group that layers deep in a model consult (synchronised BatchNorm, sharded dropout): null
// in a single-process run. Set by ActiveGroup on the training thread for the duration of a run;
// thread-local so that tests can run two ranks as two threads of one process. (Layers that need
// the group in backward, which CUDA runs on other threads, take it along from forward.)
ProcessGroup* active_group();
// Whether BatchNorm layers synchronise their statistics over the active group (true unless the
// run chose per-rank statistics for speed; see SyncBatchNorm2d).
bool batch_norm_synchronised();

class ActiveGroup {
 public:
  explicit ActiveGroup(ProcessGroup* group, bool synchronise_batch_norm = true);
  ~ActiveGroup();
  ActiveGroup(const ActiveGroup&) = delete;
  ActiveGroup& operator=(const ActiveGroup&) = delete;

 private:
  ProcessGroup* previous_;
  bool previous_sync_;
};

}  // namespace skingan::dist
