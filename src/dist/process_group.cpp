#include "dist/process_group.h"

#include <cstdlib>

#include "core/error.h"

#if SKINGAN_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
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

}  // namespace

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;

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
};

ProcessGroup::ProcessGroup(const Rendezvous& rendezvous, std::chrono::milliseconds timeout)
    : rendezvous_(rendezvous), timeout_(timeout), impl_(std::make_unique<Impl>()) {
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
    auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout);
    gloo_options->devices.push_back(transport_device());
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, rendezvous.rank,
                                                               rendezvous.world_size, gloo_options);
  } catch (const std::exception& e) {
    throw Error(describe_problem(
        rendezvous.describe() + ": joining the process group", e.what(),
        "all " + std::to_string(rendezvous.world_size) + " ranks reaching " +
            rendezvous.master_addr + ":" + std::to_string(rendezvous.master_port) + " within " +
            std::to_string(timeout.count() / 1000) + " s",
        "Start every rank (torchrun --nproc_per_node N, or srun), check MASTER_ADDR/MASTER_PORT "
        "and that the port is free; SKINGAN_DIST_TIMEOUT sets the wait in seconds."));
  }
}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::broadcast(std::vector<torch::Tensor> tensors, const std::string& what) {
  if (tensors.empty()) return;
  impl_->wait(impl_->group->broadcast(tensors), rendezvous_, "broadcast of " + what, timeout_);
}

void ProcessGroup::all_reduce_sum(torch::Tensor& tensor, const std::string& what) {
  std::vector<torch::Tensor> one{tensor};
  impl_->wait(impl_->group->allreduce(one), rendezvous_, "all-reduce of " + what, timeout_);
}

void ProcessGroup::barrier(const std::string& what) {
  impl_->wait(impl_->group->barrier(), rendezvous_, "barrier (" + what + ")", timeout_);
}

#else  // a LibTorch without Gloo's headers: one process only

struct ProcessGroup::Impl {};

ProcessGroup::ProcessGroup(const Rendezvous& rendezvous, std::chrono::milliseconds timeout)
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
