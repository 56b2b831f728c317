// train-classifier and train-gan as several processes, launched as torchrun launches them (RANK,
// WORLD_SIZE, MASTER_ADDR, MASTER_PORT in the environment of the real binary): the same weights
// as one process with the global batch, resume under another number of processes, a killed rank
// ending the others with an error instead of a hang, and commands that cannot run data-parallel
// refused. (tests/dist/gan_data_parallel_test.cpp checks every GAN architecture in-process.)
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "io/files.h"
#include "models/classifier/classifier.h"
#include "models/gan/gan_checkpoint.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;

namespace {

using Env = std::vector<std::pair<std::string, std::string>>;

Env rank_env(int rank, int ranks, int port) {
  return {{"RANK", std::to_string(rank)},        {"WORLD_SIZE", std::to_string(ranks)},
          {"LOCAL_RANK", std::to_string(rank)},  {"MASTER_ADDR", "127.0.0.1"},
          {"MASTER_PORT", std::to_string(port)}, {"SKINGAN_DIST_TIMEOUT", "60"}};
}

std::vector<std::string> train_args(const fs::path& set, const fs::path& out, int batch,
                                    std::vector<std::string> more = {}) {
  std::vector<std::string> args = {test::skingan_binary().string(),
                                   "--threads",
                                   "1",
                                   "-q",
                                   "train-classifier",
                                   "--train",
                                   set.string(),
                                   "-o",
                                   out.string(),
                                   "--model",
                                   "resnet18",
                                   "--width",
                                   "4",
                                   "--augment",
                                   "classic",
                                   "--class-weights",
                                   "--seed",
                                   "5",
                                   "--batch-size",
                                   std::to_string(batch)};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Runs `args` as `ranks` processes; every exit code.
std::vector<int> run_ranks(const std::vector<std::string>& args, int ranks, const fs::path& dir,
                           const std::string& tag) {
  const int port = test::free_tcp_port();
  std::vector<pid_t> pids;
  for (int r = 0; r < ranks; ++r) {
    pids.push_back(test::start_process(args, dir / (tag + "." + std::to_string(r) + ".log"),
                                       rank_env(r, ranks, port)));
  }
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  return codes;
}

// The model's parameters and buffers after the last finished epoch (checkpoints/last.pt).
std::map<std::string, torch::Tensor> last_weights(const fs::path& dir) {
  const auto config = nlohmann::json::parse(io::read_file(dir / "config.json"));
  models::Classifier model(models::classifier_options_from_json(config.at("model")));
  torch::serialize::InputArchive archive, part;
  archive.load_from((dir / "checkpoints" / "last.pt").string());
  archive.read("model", part);
  model->load(part);
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& p : model->named_parameters()) tensors[p.key()] = p.value().detach();
  for (const auto& b : model->named_buffers()) tensors[b.key()] = b.value();
  return tensors;
}

// How far a run's weights are from the reference's: over the whole model (the norm of all
// differences relative to the norm of all reference tensors), and the worst single tensor
// relative to its own norm.
struct WeightDifference {
  double model = 0, worst_tensor = 0;
};

WeightDifference weight_difference(const std::map<std::string, torch::Tensor>& a,
                                   const std::map<std::string, torch::Tensor>& b) {
  EXPECT_EQ(a.size(), b.size());
  WeightDifference d;
  double squared_difference = 0, squared_norm = 0;
  for (const auto& [name, t] : b) {
    const torch::Tensor x = a.at(name).to(torch::kDouble), y = t.to(torch::kDouble);
    const double difference = (x - y).norm().item<double>(), norm = y.norm().item<double>();
    squared_difference += difference * difference;
    squared_norm += norm * norm;
    d.worst_tensor = std::max(d.worst_tensor, difference / std::max(norm, 1e-12));
  }
  d.model = std::sqrt(squared_difference / std::max(squared_norm, 1e-24));
  return d;
}

// The two runs sum the same gradients in another order, so float rounding alone separates them:
// about 5e-8 over the model. Relative to its own small norm one tensor (a BatchNorm bias) can drift
// to 1e-5 within 3 epochs on an AVX-512 machine, so single tensors get a looser bound, still ten
// times below what per-rank BatchNorm statistics cause (the test below asserts more than 1e-3).
WeightDifference weight_difference(const fs::path& run, const fs::path& reference) {
  return weight_difference(last_weights(run), last_weights(reference));
}

void expect_same_weights(const std::map<std::string, torch::Tensor>& run,
                         const std::map<std::string, torch::Tensor>& reference) {
  const WeightDifference d = weight_difference(run, reference);
  EXPECT_LE(d.model, 1e-5);
  EXPECT_LE(d.worst_tensor, 1e-4);
}

void expect_same_weights(const fs::path& run, const fs::path& reference) {
  expect_same_weights(last_weights(run), last_weights(reference));
}

std::vector<std::string> gan_args(const fs::path& set, const fs::path& out, int batch, int steps,
                                  std::vector<std::string> more = {}) {
  std::vector<std::string> args = {test::skingan_binary().string(),
                                   "--threads",
                                   "1",
                                   "-q",
                                   "train-gan",
                                   set.string(),
                                   "-o",
                                   out.string(),
                                   "--arch",
                                   "cgan",
                                   "--g-channels",
                                   "8",
                                   "--d-channels",
                                   "8",
                                   "--latent-dim",
                                   "16",
                                   "--diffaugment",
                                   "color,translation",
                                   "--seed",
                                   "3",
                                   "--log-every",
                                   "2",
                                   "--checkpoint-every",
                                   "4",
                                   "--batch-size",
                                   std::to_string(batch),
                                   "--steps",
                                   std::to_string(steps)};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// G's, D's and the EMA generator's parameters and buffers of a run's checkpoint at `step`.
std::map<std::string, torch::Tensor> gan_weights(const fs::path& run, int step) {
  models::GanCheckpoint c = models::load_gan_checkpoint(
      run / "checkpoints" / models::checkpoint_file_name(step), torch::kCPU);
  std::map<std::string, torch::Tensor> tensors;
  const std::vector<std::pair<std::string, torch::nn::Module*>> parts = {
      {"G.", c.generator.get()}, {"D.", c.discriminator.get()}, {"EMA.", c.generator_ema.get()}};
  for (const auto& [prefix, module] : parts) {
    for (const auto& p : module->named_parameters()) tensors[prefix + p.key()] = p.value();
    for (const auto& b : module->named_buffers()) tensors[prefix + b.key()] = b.value();
  }
  return tensors;
}

class DataParallelCli : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_ham_set(dir_ / "src", test::make_rows({"nv", "mel", "bkl"}, 8, 2), 40, 30);
    test::prepare_test_set(dir_ / "src", set_, 32);
  }
  test::TempDir dir_;
  fs::path set_ = dir_ / "set";
};

}  // namespace

TEST_F(DataParallelCli, TwoProcessesTrainTheWeightsOfOneProcessWithTheDoubledBatch) {
  ASSERT_EQ(
      test::run_to_end(train_args(set_, dir_ / "one", 8, {"--epochs", "3"}), dir_ / "one.log"), 0)
      << io::read_file(dir_ / "one.log");
  const auto codes =
      run_ranks(train_args(set_, dir_ / "two", 4, {"--epochs", "3"}), 2, dir_.path(), "two");
  ASSERT_EQ(codes, (std::vector<int>{0, 0}))
      << io::read_file(dir_ / "two.0.log") << io::read_file(dir_ / "two.1.log");
  expect_same_weights(dir_ / "two", dir_ / "one");
  const auto config = nlohmann::json::parse(io::read_file(dir_ / "two" / "config.json"));
  EXPECT_EQ(config.at("world_size"), 2);
  EXPECT_EQ(config.at("batch_size_per_process"), 4);
  EXPECT_EQ(config.at("classifier").at("batch_size"), 8);
  // Rank 0 alone wrote the folder and reported.
  EXPECT_NE(io::read_file(dir_ / "two.0.log").find("trained 3 epochs"), std::string::npos);
  EXPECT_EQ(io::read_file(dir_ / "two.1.log").find("trained"), std::string::npos);
  // Per-rank BatchNorm statistics (--local-batch-norm) train another model: the synchronisation
  // is what makes the two runs agree.
  const auto local =
      run_ranks(train_args(set_, dir_ / "local", 4, {"--epochs", "3", "--local-batch-norm"}), 2,
                dir_.path(), "local");
  ASSERT_EQ(local, (std::vector<int>{0, 0})) << io::read_file(dir_ / "local.0.log");
  EXPECT_GT(weight_difference(dir_ / "local", dir_ / "one").worst_tensor, 1e-3);
  EXPECT_EQ(nlohmann::json::parse(io::read_file(dir_ / "local" / "config.json")).at("batch_norm"),
            "per rank");
}

TEST_F(DataParallelCli, ATwoProcessCheckpointResumesInOneProcessExactly) {
  ASSERT_EQ(
      test::run_to_end(train_args(set_, dir_ / "one", 8, {"--epochs", "3"}), dir_ / "one.log"), 0);
  const auto codes =
      run_ranks(train_args(set_, dir_ / "moved", 4, {"--epochs", "3", "--stop-after", "1"}), 2,
                dir_.path(), "moved");
  ASSERT_EQ(codes, (std::vector<int>{0, 0})) << io::read_file(dir_ / "moved.0.log");
  EXPECT_EQ(nlohmann::json::parse(io::read_file(dir_ / "moved" / "status.json")).at("epoch"), 1);
  // The global batch must stay 8: one process with --batch-size 4 is refused, saying what to pass.
  const fs::path log = dir_ / "refused.log";
  EXPECT_EQ(
      test::run_to_end(train_args(set_, dir_ / "moved", 4, {"--epochs", "3", "--resume"}), log), 2);
  EXPECT_NE(io::read_file(log).find("Resume with --batch-size 8 under 1 process"),
            std::string::npos)
      << io::read_file(log);
  ASSERT_EQ(test::run_to_end(train_args(set_, dir_ / "moved", 8, {"--epochs", "3", "--resume"}),
                             dir_ / "resumed.log"),
            0)
      << io::read_file(dir_ / "resumed.log");
  expect_same_weights(dir_ / "moved", dir_ / "one");
}

TEST_F(DataParallelCli, TrainGanAsTwoProcessesTrainsTheGanOfOneAndResumesInOneExactly) {
  ASSERT_EQ(test::run_to_end(gan_args(set_, dir_ / "one", 8, 8), dir_ / "gan_one.log"), 0)
      << io::read_file(dir_ / "gan_one.log");
  const auto codes = run_ranks(gan_args(set_, dir_ / "two", 4, 4), 2, dir_.path(), "gan_two");
  ASSERT_EQ(codes, (std::vector<int>{0, 0}))
      << io::read_file(dir_ / "gan_two.0.log") << io::read_file(dir_ / "gan_two.1.log");
  expect_same_weights(gan_weights(dir_ / "two", 4), gan_weights(dir_ / "one", 4));
  const auto config = nlohmann::json::parse(io::read_file(dir_ / "two" / "config.json"));
  EXPECT_EQ(config.at("world_size"), 2);
  EXPECT_EQ(config.at("batch_size_per_process"), 4);
  EXPECT_EQ(config.at("gan").at("batch_size"), 8);
  // Rank 0 alone reported and wrote the metrics (one line per logged step).
  EXPECT_NE(io::read_file(dir_ / "gan_two.0.log").find("trained 4 steps"), std::string::npos);
  EXPECT_EQ(io::read_file(dir_ / "gan_two.1.log").find("trained"), std::string::npos);
  const std::string metrics = io::read_file(dir_ / "two" / "metrics.jsonl");
  EXPECT_EQ(std::count(metrics.begin(), metrics.end(), '\n'), 2) << metrics;
  // One process continues the two-process run with its global batch of 8 (from config.json),
  // to the weights of the one-process run.
  ASSERT_EQ(
      test::run_to_end(gan_args(set_, dir_ / "two", 4, 8, {"--resume"}), dir_ / "gan_resumed.log"),
      0)
      << io::read_file(dir_ / "gan_resumed.log");
  expect_same_weights(gan_weights(dir_ / "two", 8), gan_weights(dir_ / "one", 8));
}

// Starts `args` as two ranks, kills rank 1 once rank 0 has written `run`/config.json (training
// has begun), and expects rank 0 to end by itself with an error naming the cause.
void expect_a_killed_rank_ends_the_other(const std::vector<std::string>& args, const fs::path& run,
                                         const fs::path& dir) {
  const int port = test::free_tcp_port();
  const pid_t rank0 = test::start_process(args, dir / "rank0.log", rank_env(0, 2, port));
  const pid_t rank1 = test::start_process(args, dir / "rank1.log", rank_env(1, 2, port));
  for (int i = 0; i < 600 && !fs::exists(run / "config.json"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(fs::exists(run / "config.json")) << io::read_file(dir / "rank0.log");
  kill(rank1, SIGKILL);
  waitpid(rank1, nullptr, 0);
  // Rank 0 must end by itself (its collectives fail; SKINGAN_DIST_TIMEOUT=60 bounds the rest).
  int status = 0;
  bool ended = false;
  for (int i = 0; i < 1800 && !ended; ++i) {
    ended = waitpid(rank0, &status, WNOHANG) == rank0;
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!ended) {
    kill(rank0, SIGKILL);
    waitpid(rank0, nullptr, 0);
  }
  ASSERT_TRUE(ended) << "rank 0 still ran 3 minutes after rank 1 was killed";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  const std::string log = io::read_file(dir / "rank0.log");
  EXPECT_NE(log.find("rank 0 of 2"), std::string::npos) << log;
  EXPECT_NE(log.find("Another rank has probably stopped"), std::string::npos) << log;
}

TEST_F(DataParallelCli, AKilledRankEndsTheOtherWithAnErrorInsteadOfAHang) {
  fs::create_directories(dir_ / "classifier");
  expect_a_killed_rank_ends_the_other(train_args(set_, dir_ / "run", 4, {"--epochs", "100000"}),
                                      dir_ / "run", dir_ / "classifier");
  fs::create_directories(dir_ / "gan");
  expect_a_killed_rank_ends_the_other(gan_args(set_, dir_ / "gan_run", 4, 1000000),
                                      dir_ / "gan_run", dir_ / "gan");
}

TEST_F(DataParallelCli, CommandsThatDoNotTrainDataParallelAreRefusedUnderSeveralRanks) {
  const fs::path log = dir_ / "info.log";
  const pid_t pid = test::start_process({test::skingan_binary().string(), "info", set_.string()},
                                        log, rank_env(1, 2, test::free_tcp_port()));
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(io::read_file(log).find("info under rank 1 of 2"), std::string::npos)
      << io::read_file(log);
  EXPECT_NE(io::read_file(log).find("train-classifier"), std::string::npos);
}
