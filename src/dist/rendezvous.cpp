#include "dist/rendezvous.h"

#include <cstdlib>

#include "core/error.h"

namespace skingan::dist {
namespace {

int integer_variable(const std::function<const char*(const char*)>& lookup, const char* name,
                     int fallback) {
  const char* value = lookup(name);
  if (value == nullptr || *value == '\0') return fallback;
  char* end = nullptr;
  const long parsed = std::strtol(value, &end, 10);
  if (*end != '\0' || parsed < 0 || parsed > 1'000'000) {
    throw ConfigError(describe_problem(std::string("environment variable ") + name,
                                       "'" + std::string(value) + "'", "a non-negative integer",
                                       "It is set by torchrun or srun; unset it for a "
                                       "single-process run."));
  }
  return static_cast<int>(parsed);
}

}  // namespace

std::string Rendezvous::describe() const {
  if (!distributed()) return "a single process";
  return "rank " + std::to_string(rank) + " of " + std::to_string(world_size) + " (" + source +
         ", " + master_addr + ":" + std::to_string(master_port) + ")";
}

Rendezvous rendezvous_from_environment(const std::function<const char*(const char*)>& lookup) {
  Rendezvous r;
  const char* rank_name = "RANK";
  const char* world_name = "WORLD_SIZE";
  if (lookup("WORLD_SIZE") != nullptr) {
    r.source = "torchrun";
    r.world_size = integer_variable(lookup, "WORLD_SIZE", 1);
    r.rank = integer_variable(lookup, "RANK", 0);
    r.local_rank = integer_variable(lookup, "LOCAL_RANK", r.rank);
  } else if (lookup("SLURM_NTASKS") != nullptr) {
    r.source = "slurm";
    rank_name = "SLURM_PROCID";
    world_name = "SLURM_NTASKS";
    r.world_size = integer_variable(lookup, "SLURM_NTASKS", 1);
    r.rank = integer_variable(lookup, "SLURM_PROCID", 0);
    r.local_rank = integer_variable(lookup, "SLURM_LOCALID", 0);
    if (r.world_size > 1 && lookup("MASTER_ADDR") == nullptr) {
      throw ConfigError(describe_problem(
          "Slurm step of " + std::to_string(r.world_size) + " tasks", "no MASTER_ADDR",
          "the address of the node that runs task 0",
          "Export it in the job script, e.g. MASTER_ADDR=$(scontrol show hostnames "
          "\"$SLURM_JOB_NODELIST\" | head -n 1), and optionally MASTER_PORT."));
    }
  } else {
    return r;
  }
  if (r.world_size < 1) {
    throw ConfigError(describe_problem(world_name, "0", "a world size of at least 1", ""));
  }
  if (r.rank >= r.world_size) {
    throw ConfigError(describe_problem(std::string(rank_name) + "=" + std::to_string(r.rank),
                                       "not below the world size " + std::to_string(r.world_size),
                                       "a rank in [0, world size)", ""));
  }
  if (const char* addr = lookup("MASTER_ADDR"); addr != nullptr && *addr != '\0') {
    r.master_addr = addr;
  }
  r.master_port = integer_variable(lookup, "MASTER_PORT", 29500);
  if (r.master_port < 1 || r.master_port > 65535) {
    throw ConfigError(describe_problem("MASTER_PORT", std::to_string(r.master_port),
                                       "a TCP port in 1..65535", ""));
  }
  return r;
}

}  // namespace skingan::dist
