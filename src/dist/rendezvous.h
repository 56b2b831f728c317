// Where this process stands in a data-parallel run, read from the environment that torchrun
// (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) or Slurm's srun (SLURM_PROCID,
// SLURM_NTASKS, SLURM_LOCALID, with MASTER_ADDR exported by the job script) set, so
//   torchrun --nproc_per_node N --no-python skingan train-classifier ...
//   srun skingan train-gan ...
// work unchanged. Without either, the run is a single process (world size 1).
#pragma once

#include <functional>
#include <string>

namespace skingan::dist {

struct Rendezvous {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string source = "single process";  // "torchrun", "slurm" or "single process"

  bool distributed() const { return world_size > 1; }
  std::string describe() const;  // "rank 1 of 2 (torchrun, 127.0.0.1:29500)"
};

// `lookup` returns the variable's value or nullptr (std::getenv by default). ConfigError naming
// the variable for a value that is not a number, a rank outside [0, world size), a port outside
// 1..65535, or a multi-task Slurm step without MASTER_ADDR.
Rendezvous rendezvous_from_environment(const std::function<const char*(const char*)>& lookup =
                                           [](const char* name) {
                                             return static_cast<const char*>(std::getenv(name));
                                           });

}  // namespace skingan::dist
