// The rendezvous read from torchrun's and Slurm's variables, and every malformed one refused by
// name.
#include <gtest/gtest.h>

#include <map>

#include "core/error.h"
#include "dist/rendezvous.h"

using namespace skingan;

namespace {

dist::Rendezvous from(const std::map<std::string, std::string>& env) {
  return dist::rendezvous_from_environment([&env](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

std::string refusal(const std::map<std::string, std::string>& env) {
  try {
    from(env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST(Rendezvous, WithoutLauncherVariablesIsOneProcess) {
  const dist::Rendezvous r = from({{"HOME", "/root"}});
  EXPECT_FALSE(r.distributed());
  EXPECT_EQ(r.rank, 0);
  EXPECT_EQ(r.world_size, 1);
  EXPECT_EQ(r.describe(), "a single process");
}

TEST(Rendezvous, ReadsTorchrunsVariables) {
  const dist::Rendezvous r = from({{"RANK", "3"},
                                   {"WORLD_SIZE", "4"},
                                   {"LOCAL_RANK", "1"},
                                   {"MASTER_ADDR", "node7"},
                                   {"MASTER_PORT", "29601"}});
  EXPECT_TRUE(r.distributed());
  EXPECT_EQ(r.rank, 3);
  EXPECT_EQ(r.world_size, 4);
  EXPECT_EQ(r.local_rank, 1);
  EXPECT_EQ(r.master_addr, "node7");
  EXPECT_EQ(r.master_port, 29601);
  EXPECT_EQ(r.describe(), "rank 3 of 4 (torchrun, node7:29601)");
}

TEST(Rendezvous, FallsBackToSlurmWithAnExportedMasterAddress) {
  const dist::Rendezvous r = from({{"SLURM_PROCID", "1"},
                                   {"SLURM_NTASKS", "2"},
                                   {"SLURM_LOCALID", "1"},
                                   {"MASTER_ADDR", "10.0.0.5"}});
  EXPECT_EQ(r.source, "slurm");
  EXPECT_EQ(r.rank, 1);
  EXPECT_EQ(r.world_size, 2);
  EXPECT_EQ(r.local_rank, 1);
  EXPECT_EQ(r.master_port, 29500);
  EXPECT_NE(refusal({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}}).find("MASTER_ADDR"),
            std::string::npos);
  // One Slurm task needs no address.
  EXPECT_FALSE(from({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}}).distributed());
}

TEST(Rendezvous, RefusesMalformedValuesByName) {
  EXPECT_NE(refusal({{"RANK", "0"}, {"WORLD_SIZE", "two"}}).find("WORLD_SIZE"), std::string::npos);
  EXPECT_NE(refusal({{"RANK", "0"}, {"WORLD_SIZE", "two"}}).find("'two'"), std::string::npos);
  EXPECT_NE(refusal({{"RANK", "2"}, {"WORLD_SIZE", "2"}}).find("RANK=2"), std::string::npos);
  EXPECT_NE(refusal({{"RANK", "-1"}, {"WORLD_SIZE", "2"}}).find("RANK"), std::string::npos);
  EXPECT_NE(refusal({{"RANK", "0"}, {"WORLD_SIZE", "0"}}).find("WORLD_SIZE"), std::string::npos);
  EXPECT_NE(
      refusal({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}}).find("MASTER_PORT"),
      std::string::npos);
  EXPECT_NE(refusal({{"SLURM_PROCID", "x"}, {"SLURM_NTASKS", "2"}, {"MASTER_ADDR", "a"}})
                .find("SLURM_PROCID"),
            std::string::npos);
}
