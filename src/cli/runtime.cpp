#include "cli/runtime.h"

#include <ATen/Context.h>

#include <spdlog/spdlog.h>

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
  runtime.threads = configure_threads(args.threads);
  runtime.device = parse_device(args.device);
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

}  // namespace skingan::cli
