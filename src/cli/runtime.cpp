#include "cli/runtime.h"

#include <ATen/Context.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "core/device.h"
#include "core/error.h"

namespace skingan::cli {

void add_global_options(CLI::App& app, GlobalArgs& args) {
  app.add_option("--threads", args.threads, "CPU threads for torch and OpenCV (0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--device", args.device, "compute device: cpu, cuda, cuda:N or auto");
  app.add_option("--log-level", args.log_level, "trace, debug, info, warn or error");
  app.add_flag("-q,--quiet", args.quiet, "no progress bars");
}

Runtime resolve_runtime(const GlobalArgs& args) {
  const auto level = spdlog::level::from_str(args.log_level);
  if (level == spdlog::level::off && args.log_level != "off") {
    throw ConfigError(describe_problem("--log-level", "'" + args.log_level + "'",
                                       "trace, debug, info, warn, error or off", ""));
  }
  spdlog::set_level(level);
  spdlog::set_pattern("[%l] %v");
  Runtime runtime;
  runtime.rendezvous = dist::rendezvous_from_environment();
  const dist::Rendezvous& r = runtime.rendezvous;
  int threads = args.threads;
  if (r.distributed()) {
    spdlog::set_pattern("[rank " + std::to_string(r.rank) + "] [%l] %v");
    // torchrun's LOCAL_WORLD_SIZE (ranks on this node); else assume all ranks share it.
    const char* local = std::getenv("LOCAL_WORLD_SIZE");
    const int local_ranks =
        local != nullptr && std::atoi(local) > 0 ? std::atoi(local) : r.world_size;
    if (threads == 0) threads = std::max(1, available_cores() / local_ranks);
  }
  runtime.threads = configure_threads(threads);
  runtime.device = parse_device(args.device);
  if (r.distributed() && runtime.device.is_cuda() && args.device.find(':') == std::string::npos) {
    runtime.device = parse_device("cuda:" + std::to_string(r.local_rank));
  }
  // cuDNN autotuning: the shapes of a run repeat every step, so the search pays for itself after
  // the first few steps. Results already differ from the CPU by float rounding (README).
  if (runtime.device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
  runtime.progress = !args.quiet;
  runtime.stage_args = {"--threads",   std::to_string(args.threads),
                        "--device",    args.device,
                        "--log-level", args.log_level};
  spdlog::debug("threads: torch {}, opencv {}, openblas held to 1: {}; device {}",
                runtime.threads.torch_threads, runtime.threads.opencv_threads,
                runtime.threads.openblas_found, device_name(runtime.device));
  return runtime;
}

std::unique_ptr<dist::ProcessGroup> join_process_group(const Runtime& runtime,
                                                       const std::string& command) {
  const dist::Rendezvous& r = runtime.rendezvous;
  if (!r.distributed()) return nullptr;
  if (command != "train-classifier" && command != "train-gan") {
    throw ConfigError(
        describe_problem(command + " under " + r.describe(), "a command that runs as one process",
                         "train-classifier or train-gan (the commands that train data-parallel)",
                         "Run " + command + " without torchrun/srun, or with --nproc_per_node 1."));
  }
  spdlog::info("joining the process group as {}", r.describe());
  auto group =
      std::make_unique<dist::ProcessGroup>(r, dist::timeout_from_environment(), runtime.device);
  spdlog::info("process group joined: {} ranks over {}", group->size(), group->backend());
  return group;
}

}  // namespace skingan::cli
