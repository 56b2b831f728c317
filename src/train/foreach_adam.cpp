#include "train/foreach_adam.h"

#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "core/torch_compat.h"

namespace skingan::train {
namespace {

using StateMap = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>;
using StateKey = StateMap::key_type;

// The tensors of the parameters that share one step count: updated together.
struct Batch {
  std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs;
};

// What the update needs of AdamOptions or AdamWOptions (the two name these alike).
struct Hyper {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled;  // AdamW: the weights shrink by lr * weight_decay; Adam: the decay joins grad
};

// Adam's or AdamW's update (LibTorch's step, without amsgrad) on whole lists of tensors, in the
// same order of operations, so every element is rounded as LibTorch's optimizers round it.
void update(Batch& b, const Hyper& h, int64_t step) {
  const double bias_correction1 = 1 - std::pow(h.beta1, step);
  const double bias_correction2 = 1 - std::pow(h.beta2, step);
  std::vector<torch::Tensor> grads = b.grads;
  if (h.weight_decay != 0) {
    if (h.decoupled) {
      at::_foreach_mul_(b.params, 1 - h.lr * h.weight_decay);
    } else {
      grads = at::_foreach_add(b.grads, b.params, h.weight_decay);  // new tensors: grads kept
    }
  }
  at::_foreach_mul_(b.exp_avgs, h.beta1);
  at::_foreach_add_(b.exp_avgs, grads, 1 - h.beta1);
  at::_foreach_mul_(b.exp_avg_sqs, h.beta2);
  at::_foreach_addcmul_(b.exp_avg_sqs, grads, grads, 1 - h.beta2);
  std::vector<torch::Tensor> denominators = at::_foreach_sqrt(b.exp_avg_sqs);
  at::_foreach_div_(denominators, std::sqrt(bias_correction2));
  at::_foreach_add_(denominators, h.eps);
  at::_foreach_addcdiv_(b.params, b.exp_avgs, denominators, -h.lr / bias_correction1);
}

// One step of every group (none with amsgrad). Options and ParamState: AdamOptions and
// AdamParamState, or the AdamW pair.
template <typename Options, typename ParamState>
void foreach_step(std::vector<torch::optim::OptimizerParamGroup>& groups, StateMap& states,
                  bool decoupled) {
  for (auto& group : groups) {
    const auto& o = static_cast<Options&>(group.options());
    const Hyper hyper{o.lr(),  std::get<0>(o.betas()), std::get<1>(o.betas()),
                      o.eps(), o.weight_decay(),       decoupled};
    std::map<int64_t, Batch> batches;  // by the step count after this step
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      TORCH_CHECK(!p.grad().is_sparse(), "ForeachAdam/ForeachAdamW: sparse gradients");
      const StateKey key = compat::optimizer_state_key<StateKey>(p);
      auto found = states.find(key);
      if (found == states.end()) {
        // As LibTorch initialises a parameter's state on its first step.
        auto fresh = std::make_unique<ParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        found = states.emplace(key, std::move(fresh)).first;
      }
      auto& state = static_cast<ParamState&>(*found->second);
      state.step(state.step() + 1);
      Batch& b = batches[state.step()];
      b.params.push_back(p);
      b.grads.push_back(p.grad());
      b.exp_avgs.push_back(state.exp_avg());
      b.exp_avg_sqs.push_back(state.exp_avg_sq());
    }
    for (auto& [step, batch] : batches) update(batch, hyper, step);
  }
}

// The step of ForeachAdam (Base Adam) or ForeachAdamW (Base AdamW): Base's own when a group asks
// for amsgrad, else the closure's loss (evaluated with gradients on, as LibTorch does) and the
// multi-tensor update.
template <typename Base, typename Options, typename ParamState>
torch::Tensor step_of(Base& self, torch::optim::Optimizer::LossClosure closure, bool decoupled) {
  for (auto& group : self.param_groups()) {
    if (static_cast<Options&>(group.options()).amsgrad())
      return self.Base::step(std::move(closure));
  }
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  foreach_step<Options, ParamState>(self.param_groups(), self.state(), decoupled);
  return loss;
}

}  // namespace

torch::Tensor ForeachAdam::step(LossClosure closure) {
  return step_of<torch::optim::Adam, torch::optim::AdamOptions, torch::optim::AdamParamState>(
      *this, std::move(closure), false);
}

torch::Tensor ForeachAdamW::step(LossClosure closure) {
  return step_of<torch::optim::AdamW, torch::optim::AdamWOptions, torch::optim::AdamWParamState>(
      *this, std::move(closure), true);
}

}  // namespace skingan::train
