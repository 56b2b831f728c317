#include "dist/process_group.h"

#include <cstdlib>

#include "core/error.h"

#if SKINGAN_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifndef SKINGAN_WITH_NCCL
#define SKINGAN_WITH_NCCL 0
#endif
#if SKINGAN_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace skingan::dist {
namespace {

thread_local ProcessGroup* g_active = nullptr;
thread_local bool g_sync_batch_norm = true;

}  // namespace

#if SKINGAN_WITH_GLOO
namespace {

std::shared_ptr<::gloo::transport::Device> transport_device() {
  // As torch.distributed: GLOO_SOCKET_IFNAME picks the interface, else the host name's address
  // (c10d falls back to the loopback when it does not resolve).
  if (const char* name = std::getenv("GLOO_SOCKET_IFNAME"); name != nullptr && *name != '\0') {
    return c10d::ProcessGroupGloo::createDeviceForInterface(name);
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// NCCL for a CUDA device unless SKINGAN_DIST_BACKEND says gloo (a ConfigError for other values
// and for nccl where it cannot serve).
bool use_nccl(torch::Device device) {
  const char* requested = std::getenv("SKINGAN_DIST_BACKEND");
  const std::string choice = requested != nullptr ? requested : "";
  if (choice != "" && choice != "gloo" && choice != "nccl") {
    throw ConfigError(describe_problem("SKINGAN_DIST_BACKEND", "'" + choice + "'",
                                       "gloo or nccl (unset: nccl on CUDA where built with it)",
                                       ""));
  }
  const bool built_with_nccl = SKINGAN_WITH_NCCL != 0;
  if (choice == "nccl" && !(built_with_nccl && device.is_cuda())) {
    throw ConfigError(describe_problem(
        "SKINGAN_DIST_BACKEND=nccl", built_with_nccl ? "a run on " + device.str() : "this build",
        "a CUDA device and a skingan built against a LibTorch with NCCL",
        "Unset it to use Gloo, or build against the CUDA LibTorch (README, GPU)."));
  }
  return built_with_nccl && device.is_cuda() && choice != "gloo";
}

}  // namespace

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#if SKINGAN_WITH_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
  torch::Device device{torch::kCPU};  // NCCL's collectives run on it

  void wait(const c10::intrusive_ptr<c10d::Work>& work, const Rendezvous& r,
            const std::string& what, std::chrono::milliseconds timeout) {
    try {
      if (!work->wait(timeout)) throw std::runtime_error("timed out");
    } catch (const std::exception& e) {
      throw Error(r.describe() + ": " + what + " failed: " + e.what() +
                  ". Another rank has probably stopped (see its log) or the network failed; "
                  "the last checkpoint is intact, rerun all ranks with --resume.");
    }
  }

  // Runs `collective` on one tensor, in place: on NCCL's device when NCCL serves (a tensor
  // elsewhere travels there and back), as it is under Gloo.
  template <class Collective>
  void run(torch::Tensor& tensor, Collective&& collective, const Rendezvous& r,
           const std::string& what, std::chrono::milliseconds timeout) {
#if SKINGAN_WITH_NCCL
    if (nccl) {
      torch::Tensor on_device = tensor.device() == device ? tensor : tensor.to(device);
      std::vector<torch::Tensor> one{on_device};
      wait(collective(*nccl, one), r, what, timeout);
      if (!on_device.is_same(tensor)) tensor.copy_(on_device);
      return;
    }
#endif
    std::vector<torch::Tensor> one{tensor};
    wait(collective(*gloo, one), r, what, timeout);
  }
};

ProcessGroup::ProcessGroup(const Rendezvous& rendezvous, std::chrono::milliseconds timeout,
                           torch::Device device)
    : rendezvous_(rendezvous), timeout_(timeout), impl_(std::make_unique<Impl>()) {
  const bool nccl = use_nccl(device);
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(rendezvous.master_port);
    // torchrun's agent already serves the store at MASTER_PORT and says so in this variable
    // (as torch.distributed's env:// rendezvous reads it); otherwise rank 0 serves it.
    const char* agent_store = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
    options.isServer =
        rendezvous.rank == 0 && !(agent_store != nullptr && std::string(agent_store) == "True");
    options.numWorkers = static_cast<std::size_t>(rendezvous.world_size);
    options.waitWorkers = true;
    options.timeout = timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(rendezvous.master_addr, options);
#if SKINGAN_WITH_NCCL
    if (nccl) {
      auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = timeout;
      impl_->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(
          impl_->store, rendezvous.rank, rendezvous.world_size, nccl_options);
      impl_->device = device;
      backend_ = "nccl";
    }
#endif
    if (!nccl) {
      auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout);
      gloo_options->devices.push_back(transport_device());
      impl_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(
          impl_->store, rendezvous.rank, rendezvous.world_size, gloo_options);
    }
  } catch (const std::exception& e) {
    throw Error(describe_problem(
        rendezvous.describe() + ": joining the " + backend_ + " process group", e.what(),
        "all " + std::to_string(rendezvous.world_size) + " ranks reaching " +
            rendezvous.master_addr + ":" + std::to_string(rendezvous.master_port) + " within " +
            std::to_string(timeout.count() / 1000) + " s",
        "Start every rank (torchrun --nproc_per_node N, or srun), check MASTER_ADDR/MASTER_PORT "
        "and that the port is free; SKINGAN_DIST_TIMEOUT sets the wait in seconds."));
  }
}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::broadcast(std::vector<torch::Tensor> tensors, const std::string& what) {
  // One collective per tensor: NCCL's list form means one tensor per GPU.
  for (auto& t : tensors) {
    impl_->run(
        t, [](auto& group, std::vector<torch::Tensor>& one) { return group.broadcast(one); },
        rendezvous_, "broadcast of " + what, timeout_);
  }
}

void ProcessGroup::all_reduce_sum(torch::Tensor& tensor, const std::string& what) {
  impl_->run(
      tensor, [](auto& group, std::vector<torch::Tensor>& one) { return group.allreduce(one); },
      rendezvous_, "all-reduce of " + what, timeout_);
}

void ProcessGroup::barrier(const std::string& what) {
#if SKINGAN_WITH_NCCL
  if (impl_->nccl) {
    impl_->wait(impl_->nccl->barrier(), rendezvous_, "barrier (" + what + ")", timeout_);
    return;
  }
#endif
  impl_->wait(impl_->gloo->barrier(), rendezvous_, "barrier (" + what + ")", timeout_);
}

#else  // a LibTorch without Gloo's headers: one process only

struct ProcessGroup::Impl {};

ProcessGroup::ProcessGroup(const Rendezvous& rendezvous, std::chrono::milliseconds timeout,
                           torch::Device)
    : rendezvous_(rendezvous), timeout_(timeout) {
  throw ConfigError(describe_problem(
      rendezvous.describe(), "a skingan built without Gloo (its headers were not found)",
      "a build against a LibTorch that ships gloo/ headers", "Run one process."));
}
ProcessGroup::~ProcessGroup() = default;
void ProcessGroup::broadcast(std::vector<torch::Tensor>, const std::string&) {}
void ProcessGroup::all_reduce_sum(torch::Tensor&, const std::string&) {}
void ProcessGroup::barrier(const std::string&) {}

#endif

std::chrono::milliseconds timeout_from_environment() {
  const char* value = std::getenv("SKINGAN_DIST_TIMEOUT");
  if (value == nullptr || *value == '\0') return std::chrono::seconds(1800);
  char* end = nullptr;
  const double seconds = std::strtod(value, &end);
  if (*end != '\0' || !(seconds > 0)) {
    throw ConfigError(describe_problem("SKINGAN_DIST_TIMEOUT", "'" + std::string(value) + "'",
                                       "a positive number of seconds", ""));
  }
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

ProcessGroup* active_group() { return g_active; }

bool batch_norm_synchronised() { return g_sync_batch_norm; }

ActiveGroup::ActiveGroup(ProcessGroup* group, bool synchronise_batch_norm)
    : previous_(g_active), previous_sync_(g_sync_batch_norm) {
  g_active = group;
  g_sync_batch_norm = synchronise_batch_norm;
}
ActiveGroup::~ActiveGroup() {
  g_active = previous_;
  g_sync_batch_norm = previous_sync_;
}

}  // namespace skingan::dist
