#include "train/foreach_adam.h"

#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "core/torch_compat.h"

namespace skingan::train {
namespace {

using StateMap = decltype(std::declval<torch::optim::Optimizer&>().state());
using StateKey = std::decay_t<StateMap>::key_type;

// The tensors of the parameters that share one step count: updated together.
struct Batch {
  std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs;
};

// Adam's update (torch::optim::Adam::step, without amsgrad) on whole lists of tensors, in the
// same order of operations, so every element is rounded as Adam rounds it.
void update(Batch& b, const torch::optim::AdamOptions& options, int64_t step) {
  const double beta1 = std::get<0>(options.betas());
  const double beta2 = std::get<1>(options.betas());
  const double bias_correction1 = 1 - std::pow(beta1, step);
  const double bias_correction2 = 1 - std::pow(beta2, step);
  // grad + weight_decay * p, as new tensors: the gradients themselves stay untouched.
  std::vector<torch::Tensor> grads =
      options.weight_decay() != 0 ? at::_foreach_add(b.grads, b.params, options.weight_decay())
                                  : b.grads;
  at::_foreach_mul_(b.exp_avgs, beta1);
  at::_foreach_add_(b.exp_avgs, grads, 1 - beta1);
  at::_foreach_mul_(b.exp_avg_sqs, beta2);
  at::_foreach_addcmul_(b.exp_avg_sqs, grads, grads, 1 - beta2);
  std::vector<torch::Tensor> denominators = at::_foreach_sqrt(b.exp_avg_sqs);
  at::_foreach_div_(denominators, std::sqrt(bias_correction2));
  at::_foreach_add_(denominators, options.eps());
  at::_foreach_addcdiv_(b.params, b.exp_avgs, denominators, -options.lr() / bias_correction1);
}

}  // namespace

torch::Tensor ForeachAdam::step(LossClosure closure) {
  for (auto& group : param_groups_) {
    if (static_cast<torch::optim::AdamOptions&>(group.options()).amsgrad()) {
      return torch::optim::Adam::step(std::move(closure));
    }
  }
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    auto& options = static_cast<torch::optim::AdamOptions&>(group.options());
    std::map<int64_t, Batch> batches;  // by the step count after this step
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      TORCH_CHECK(!p.grad().is_sparse(), "ForeachAdam does not support sparse gradients");
      const StateKey key = compat::optimizer_state_key<StateKey>(p);
      auto found = state_.find(key);
      if (found == state_.end()) {
        // As Adam initialises a parameter's state on its first step.
        auto fresh = std::make_unique<torch::optim::AdamParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        found = state_.emplace(key, std::move(fresh)).first;
      }
      auto& state = static_cast<torch::optim::AdamParamState&>(*found->second);
      state.step(state.step() + 1);
      Batch& b = batches[state.step()];
      b.params.push_back(p);
      b.grads.push_back(p.grad());
      b.exp_avgs.push_back(state.exp_avg());
      b.exp_avg_sqs.push_back(state.exp_avg_sq());
    }
    for (auto& [step, batch] : batches) update(batch, options, step);
  }
  return loss;
}

}  // namespace skingan::train
