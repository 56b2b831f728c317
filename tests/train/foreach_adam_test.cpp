#include <gtest/gtest.h>

#include <sstream>

#include <torch/torch.h>

#include "train/foreach_adam.h"

using namespace skingan;

namespace {

// A small conv net with tensors of several shapes, one of them channels-last.
struct Net : torch::nn::Module {
  Net() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)));
    norm = register_module("norm", torch::nn::BatchNorm2d(4));
    linear = register_module("linear", torch::nn::Linear(4, 2));
    spare = register_parameter("spare", torch::randn({5}));  // never gets a gradient
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return linear(norm(conv(x)).relu().mean({2, 3}));  // [N,3,6,6] -> [N,2]
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d norm{nullptr};
  torch::nn::Linear linear{nullptr};
  torch::Tensor spare;
};

std::shared_ptr<Net> make_net() {
  torch::manual_seed(5);
  auto net = std::make_shared<Net>();
  net->conv->weight.set_data(net->conv->weight.contiguous(at::MemoryFormat::ChannelsLast));
  return net;
}

void run_steps(Net& net, torch::optim::Optimizer& optimizer, int steps, int64_t seed) {
  torch::manual_seed(seed);
  for (int i = 0; i < steps; ++i) {
    const torch::Tensor x = torch::randn({8, 3, 6, 6});
    optimizer.zero_grad();
    net.forward(x).pow(2).mean().backward();
    optimizer.step();
  }
}

// Saves `from`'s state as a checkpoint does and loads it into `to`.
void move_state(const torch::optim::Optimizer& from, torch::optim::Optimizer& to) {
  std::stringstream saved;
  torch::serialize::OutputArchive out;
  from.save(out);
  out.save_to(saved);
  torch::serialize::InputArchive in;
  in.load_from(saved);
  to.load(in);
}

void expect_same_weights(Net& a, Net& b) {
  const auto pa = a.parameters(), pb = b.parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i])) << "param " << i;
}

}  // namespace

// On the CPU the multi-tensor step rounds every element as LibTorch's Adam does: bit-equal
// weights after several steps, with and without weight decay.
TEST(ForeachAdam, EqualsLibTorchAdamBitForBit) {
  for (double decay : {0.0, 0.01}) {
    auto a = make_net(), b = make_net();
    const auto options = torch::optim::AdamOptions(2e-3).betas({0.5, 0.99}).weight_decay(decay);
    torch::optim::Adam reference(a->parameters(), options);
    train::ForeachAdam foreach_adam(b->parameters(), options);
    run_steps(*a, reference, 6, 1);
    run_steps(*b, foreach_adam, 6, 1);
    expect_same_weights(*a, *b);
    // It did train, and the parameter without a gradient kept its value and got no state.
    EXPECT_FALSE(torch::equal(b->conv->weight, make_net()->conv->weight));
    EXPECT_TRUE(torch::equal(b->spare, make_net()->spare));
    EXPECT_EQ(foreach_adam.state().size(), reference.state().size()) << "decay " << decay;
  }
}

// The state is Adam's: saved by one, loaded by the other, training continues bit-equal.
TEST(ForeachAdam, CheckpointsMoveBetweenItAndLibTorchAdam) {
  auto a = make_net(), b = make_net();
  const auto options = torch::optim::AdamOptions(1e-3);
  train::ForeachAdam first(a->parameters(), options);
  torch::optim::Adam same(b->parameters(), options);
  run_steps(*a, first, 3, 2);
  run_steps(*b, same, 3, 2);

  torch::optim::Adam resumed(a->parameters(), options);
  move_state(first, resumed);
  run_steps(*a, resumed, 3, 3);
  run_steps(*b, same, 3, 3);
  expect_same_weights(*a, *b);
}

// A parameter that joins late (its gradient undefined on the first steps) keeps its own step
// count, so its bias correction is that of its first steps, as in Adam.
TEST(ForeachAdam, ParametersWithDifferentStepCountsAreCorrectedByTheirOwn) {
  auto a = make_net(), b = make_net();
  const auto options = torch::optim::AdamOptions(1e-2);
  torch::optim::Adam reference(a->parameters(), options);
  train::ForeachAdam foreach_adam(b->parameters(), options);
  auto step_with_spare = [](Net& net, torch::optim::Optimizer& optimizer, bool spare) {
    torch::manual_seed(9);
    optimizer.zero_grad();
    torch::Tensor loss = net.forward(torch::randn({4, 3, 6, 6})).pow(2).mean();
    if (spare) loss = loss + net.spare.pow(2).sum();
    loss.backward();
    optimizer.step();
  };
  for (bool spare : {false, false, true, true}) {
    step_with_spare(*a, reference, spare);
    step_with_spare(*b, foreach_adam, spare);
  }
  expect_same_weights(*a, *b);
  EXPECT_FALSE(torch::equal(b->spare, make_net()->spare));
}

// amsgrad is left to Adam's own step, which it then equals.
TEST(ForeachAdam, AmsgradTakesAdamsOwnStep) {
  auto a = make_net(), b = make_net();
  const auto options = torch::optim::AdamOptions(1e-3).amsgrad(true);
  torch::optim::Adam reference(a->parameters(), options);
  train::ForeachAdam foreach_adam(b->parameters(), options);
  run_steps(*a, reference, 4, 4);
  run_steps(*b, foreach_adam, 4, 4);
  expect_same_weights(*a, *b);
}

// ForeachAdamW equals LibTorch's AdamW (decoupled weight decay) bit for bit, and shares its
// checkpoints.
TEST(ForeachAdamW, EqualsLibTorchAdamWBitForBitAndSharesItsCheckpoints) {
  auto a = make_net(), b = make_net();
  const auto options = torch::optim::AdamWOptions(2e-3).weight_decay(0.05);
  torch::optim::AdamW reference(a->parameters(), options);
  train::ForeachAdamW foreach_adamw(b->parameters(), options);
  run_steps(*a, reference, 5, 6);
  run_steps(*b, foreach_adamw, 5, 6);
  expect_same_weights(*a, *b);

  torch::optim::AdamW resumed(b->parameters(), options);
  move_state(foreach_adamw, resumed);
  run_steps(*a, reference, 3, 7);
  run_steps(*b, resumed, 3, 7);
  expect_same_weights(*a, *b);
}
