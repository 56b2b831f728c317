// The collectives of data-parallel training, with two ranks as two threads of this process
// joined over a real TCPStore and Gloo: gradient averaging (buckets, the stop flag), the initial
// broadcast, synchronised BatchNorm against one big batch, and the rendezvous timeout.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdlib>
#include <exception>
#include <functional>
#include <thread>

#include "augment/classic.h"
#include "core/error.h"
#include "dist/gradient_sync.h"
#include "dist/process_group.h"
#include "models/distributed_layers.h"
#include "test_util.h"

using namespace skingan;

namespace {

dist::Rendezvous rank_of_two(int rank, int port) {
  dist::Rendezvous r;
  r.rank = rank;
  r.world_size = 2;
  r.master_port = port;
  r.source = "test";
  return r;
}

// conv -> SyncBatchNorm -> ReLU -> mean pool -> linear: [N,3,6,6] -> [N,2].
struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)));
    norm = register_module("norm", models::SyncBatchNorm2d(4));
    head = register_module("head", torch::nn::Linear(4, 2));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    const torch::Tensor h = torch::relu(norm->forward(conv->forward(x)));  // [N,4,4,4]
    return head->forward(h.mean({2, 3}));
  }
  torch::nn::Conv2d conv{nullptr};
  models::SyncBatchNorm2d norm{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(TinyNet);

void expect_close(const torch::Tensor& a, const torch::Tensor& b, const std::string& what) {
  EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-6))
      << what << ": max |diff| " << (a - b).abs().max().item<double>();
}

}  // namespace

TEST(GradientSync, AveragesEveryGradientOverTheRanksAcrossSeveralBuckets) {
  test::on_two_ranks([](dist::ProcessGroup& group) {
    const double r = group.rank();
    torch::Tensor a = torch::zeros({3}, torch::requires_grad());
    torch::Tensor b = torch::zeros({2, 2}, torch::requires_grad());
    torch::Tensor unused = torch::zeros({5}, torch::requires_grad());
    a.mutable_grad() = torch::tensor({1.0f, 2.0f, 3.0f}) * (r + 1);  // rank 0: x, rank 1: 2x
    b.mutable_grad() = torch::full({2, 2}, 10.0f * r);
    // 16-byte buckets: a (12 bytes + the flag) and b (16 bytes) travel separately.
    const bool stop = dist::average_gradients(group, {a, unused, b}, false, 16);
    EXPECT_FALSE(stop);
    expect_close(a.grad(), torch::tensor({1.5f, 3.0f, 4.5f}), "a");
    expect_close(b.grad(), torch::full({2, 2}, 5.0f), "b");
    EXPECT_FALSE(unused.grad().defined());
  });
}

TEST(GradientSync, OneRanksStopRequestStopsEveryRank) {
  test::on_two_ranks([](dist::ProcessGroup& group) {
    torch::Tensor a = torch::zeros({2}, torch::requires_grad());
    a.mutable_grad() = torch::ones({2});
    EXPECT_TRUE(dist::average_gradients(group, {a}, group.rank() == 1));
    EXPECT_FALSE(dist::average_gradients(group, {a}, false));
    EXPECT_TRUE(dist::average_gradients(group, {}, group.rank() == 0));  // no gradients at all
  });
}

TEST(GradientSync, BroadcastGivesEveryRankRankZerosWeightsAndBuffers) {
  test::on_two_ranks([](dist::ProcessGroup& group) {
    TinyNet net;
    torch::NoGradGuard no_grad;
    for (auto& p : net->parameters()) p.fill_(group.rank() + 1.0);
    net->norm->running_mean.fill_(group.rank() + 7.0);
    dist::broadcast_module(group, *net);
    for (const auto& p : net->parameters()) EXPECT_TRUE(torch::all(p == 1).item<bool>());
    EXPECT_TRUE(torch::all(net->norm->running_mean == 7).item<bool>());
  });
}

TEST(SyncBatchNorm, TwoRanksGiveTheGradientsAndStatisticsOfOneBatchOfBoth) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({8, 3, 6, 6}) * 2 + 0.5;  // the global batch
  std::vector<TinyNet> nets;
  for (int i = 0; i < 3; ++i) {
    torch::manual_seed(11);  // identical initial weights
    nets.emplace_back();
  }
  // Reference: one process, the whole batch; loss = mean of the squared outputs.
  nets[2]->forward(x).square().mean().backward();
  test::on_two_ranks([&](dist::ProcessGroup& group) {
    TinyNet& net = nets[group.rank()];
    const torch::Tensor shard = x.slice(0, 4 * group.rank(), 4 * group.rank() + 4);
    net->forward(shard).square().mean().backward();
    dist::average_gradients(group, net->parameters(), false);
  });
  for (int rank = 0; rank < 2; ++rank) {
    const auto params = nets[rank]->named_parameters();
    for (const auto& p : nets[2]->named_parameters()) {
      expect_close(params[p.key()].grad(), p.value().grad(),
                   "rank " + std::to_string(rank) + " gradient of " + p.key());
    }
    expect_close(nets[rank]->norm->running_mean, nets[2]->norm->running_mean, "running mean");
    expect_close(nets[rank]->norm->running_var, nets[2]->norm->running_var, "running var");
  }
  // The statistics are not the per-rank ones: a rank's own half has another mean.
  EXPECT_GT((nets[2]->norm->running_mean -
             (torch::nn::functional::conv2d(
                  x.slice(0, 0, 4), nets[2]->conv->weight,
                  torch::nn::functional::Conv2dFuncOptions().bias(nets[2]->conv->bias))
                  .mean({0, 2, 3}) *
              0.1))
                .abs()
                .max()
                .item<double>(),
            1e-4);
}

TEST(SyncBatchNorm, IsPlainBatchNormInOneProcessAndInEvaluation) {
  torch::manual_seed(5);
  const torch::Tensor x = torch::randn({6, 4, 5, 5});
  models::SyncBatchNorm2d ours(4);
  torch::nn::BatchNorm2d theirs(4);
  expect_close(ours->forward(x), theirs->forward(x), "training output");
  expect_close(ours->running_var, theirs->running_var, "running var");
  EXPECT_EQ(ours->num_batches_tracked.item<int64_t>(), 1);
  ours->eval();
  theirs->eval();
  expect_close(ours->forward(x), theirs->forward(x), "evaluation output");
  // Same parameter and buffer names: checkpoints of either load into the other.
  std::vector<std::string> a, b;
  for (const auto& p : ours->named_parameters()) a.push_back(p.key());
  for (const auto& p : ours->named_buffers()) a.push_back(p.key());
  for (const auto& p : theirs->named_parameters()) b.push_back(p.key());
  for (const auto& p : theirs->named_buffers()) b.push_back(p.key());
  EXPECT_EQ(a, b);
}

TEST(ClassicAugment, AShardOfTheBatchIsAugmentedAsInTheWholeBatch) {
  torch::manual_seed(2);
  const torch::Tensor images = torch::rand({6, 3, 16, 16});
  const augment::ClassicPolicy policy = augment::parse_classic_policy("classic");
  at::Generator whole_rng = at::make_generator<at::CPUGeneratorImpl>(9);
  at::Generator shard_rng = at::make_generator<at::CPUGeneratorImpl>(9);
  const torch::Tensor whole = augment::classic_augment(images, policy, whole_rng);
  const torch::Tensor shard =
      augment::classic_augment(images.slice(0, 2, 4), policy, shard_rng, {6, 2});
  expect_close(shard, whole.slice(0, 2, 4), "rows 2..3");
  // Both generators advanced alike: the next batches agree too.
  EXPECT_TRUE(torch::equal(torch::rand({3}, whole_rng), torch::rand({3}, shard_rng)));
}

TEST(ProcessGroup, ARankThatNeverComesEndsTheRendezvousWithAnErrorNamingTheAddress) {
  const int port = test::free_tcp_port();
  try {
    dist::ProcessGroup group(rank_of_two(0, port), std::chrono::seconds(2));
    FAIL() << "joined without rank 1";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << message;
    EXPECT_NE(message.find("rank 0 of 2"), std::string::npos) << message;
  }
}

TEST(ProcessGroup, ABackendItCannotServeIsRefusedBeforeTheRendezvous) {
  // This test binary is built against the CPU LibTorch in CI: NCCL cannot serve a CPU run in any
  // build, so SKINGAN_DIST_BACKEND=nccl is refused on the CPU without waiting for other ranks.
  auto refused = [](const char* value, const std::string& expected) {
    setenv("SKINGAN_DIST_BACKEND", value, 1);
    test::expect_refusal<ConfigError>(
        [] {
          dist::ProcessGroup group(rank_of_two(0, test::free_tcp_port()), std::chrono::seconds(30));
        },
        expected);
    unsetenv("SKINGAN_DIST_BACKEND");
  };
  refused("nccl", "a CUDA device and a skingan built against a LibTorch with NCCL");
  refused("mpi", "gloo or nccl");
}
