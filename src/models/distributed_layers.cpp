#include "models/distributed_layers.h"

#include <torch/torch.h>

#include "dist/process_group.h"

namespace skingan::models {
namespace {

// The collective as an autograd function: forward sums x over ranks, backward sums the
// gradients (d/dx_r of sum_s L_s collects every rank's upstream gradient). The sum is linear and
// its own adjoint, so backward applies the same function: under create_graph (R1 and WGAN-GP
// differentiate D's input gradient once more) the backward's all-reduce is recorded too. The
// group travels as an integer because autograd context data holds IValues, which have no raw
// pointers.
struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               int64_t group_address) {
    ctx->saved_data["group"] = group_address;  // backward may run on another thread (CUDA)
    torch::Tensor sum = x.detach().contiguous().clone();
    group_of(group_address)->all_reduce_sum(sum, "batch statistics");
    return sum;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    if (!grads[0].defined()) return {torch::Tensor(), torch::Tensor()};
    return {AllReduceSum::apply(grads[0], ctx->saved_data["group"].toInt()), torch::Tensor()};
  }
  static dist::ProcessGroup* group_of(int64_t address) {
    return reinterpret_cast<dist::ProcessGroup*>(static_cast<intptr_t>(address));
  }
};

}  // namespace

torch::Tensor all_reduce_sum(const torch::Tensor& x) {
  dist::ProcessGroup* group = dist::active_group();
  if (group == nullptr || group->size() == 1) return x;
  return AllReduceSum::apply(x, static_cast<int64_t>(reinterpret_cast<intptr_t>(group)));
}

SyncBatchNorm2dImpl::SyncBatchNorm2dImpl(const torch::nn::BatchNormOptions& o) : options(o) {
  reset();
}

void SyncBatchNorm2dImpl::reset() {
  // The names and initial values of torch::nn::BatchNorm2d.
  const int64_t c = options.num_features();
  if (options.affine()) {
    weight = register_parameter("weight", torch::ones({c}));
    bias = register_parameter("bias", torch::zeros({c}));
  }
  if (options.track_running_stats()) {
    running_mean = register_buffer("running_mean", torch::zeros({c}));
    running_var = register_buffer("running_var", torch::ones({c}));
    num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
  }
}

void SyncBatchNorm2dImpl::reset_running_stats() {
  if (!options.track_running_stats()) return;
  torch::NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}

torch::Tensor SyncBatchNorm2dImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4, "SyncBatchNorm2d expects [N,C,H,W], got ", x.sizes());
  dist::ProcessGroup* group = dist::active_group();
  const bool update = is_training() && options.track_running_stats();
  double momentum = options.momentum().value_or(0.0);
  if (update) {
    num_batches_tracked += 1;  // as BatchNorm2d: a cumulative average without a momentum
    if (!options.momentum().has_value()) momentum = 1.0 / num_batches_tracked.item<double>();
  }
  if (!is_training() || group == nullptr || group->size() == 1 ||
      !dist::batch_norm_synchronised()) {
    namespace F = torch::nn::functional;
    return F::batch_norm(x, running_mean, running_var,
                         F::BatchNormFuncOptions()
                             .weight(weight)
                             .bias(bias)
                             .training(is_training() || !options.track_running_stats())
                             .momentum(momentum)
                             .eps(options.eps()));
  }
  // One all-reduce per layer and pass: each rank's exact (two-pass) local mean and sum of
  // squared deviations M2, merged as Chan et al.'s parallel variance: with S = sum of x and
  // Q = sum over ranks of (M2_r + n_r mean_r^2), mean = S / N and M2 = Q - N mean^2. The
  // cancellation in that difference is of mean-sized terms, not of raw squares. fp32 whatever
  // the input's dtype.
  const torch::Tensor xf = x.to(torch::kFloat);
  const double local = static_cast<double>(x.size(0) * x.size(2) * x.size(3));
  const double count = local * group->size();
  const auto [local_var, local_mean] = torch::var_mean(xf, {0, 2, 3}, /*unbiased=*/false);  // [C]
  const torch::Tensor sums = all_reduce_sum(
      torch::cat({local_mean * local, (local_var + local_mean.square()) * local}));  // [2C]: S, Q
  const int64_t c = x.size(1);
  const torch::Tensor mean = sums.slice(0, 0, c) / count;                                    // [C]
  const torch::Tensor var = (sums.slice(0, c, 2 * c) / count - mean.square()).clamp_min(0);  // [C]
  const torch::Tensor centred = xf - mean.view({1, -1, 1, 1});  // [N,C,H,W]
  if (update) {
    torch::NoGradGuard no_grad;
    running_mean.mul_(1 - momentum).add_(mean.detach(), momentum);
    running_var.mul_(1 - momentum).add_(var.detach() * (count / (count - 1)), momentum);
  }
  torch::Tensor y = centred * torch::rsqrt(var + options.eps()).view({1, -1, 1, 1});
  if (options.affine()) y = y * weight.view({1, -1, 1, 1}) + bias.view({1, -1, 1, 1});
  return y.to(x.scalar_type());
}

void SyncBatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << "skingan::SyncBatchNorm2d(" << options.num_features() << ", eps=" << options.eps()
         << ", affine=" << options.affine() << ")";
}

torch::Tensor sharded_dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0) return x;
  dist::ProcessGroup* group = dist::active_group();
  const int64_t ranks = group == nullptr ? 1 : group->size();
  const int64_t rank = group == nullptr ? 0 : group->rank();
  std::vector<int64_t> shape = x.sizes().vec();
  const int64_t rows = shape[0];
  shape[0] = rows * ranks;
  const torch::Tensor mask =
      torch::empty(shape, x.options()).bernoulli_(1 - p).slice(0, rank * rows, (rank + 1) * rows);
  return x * mask / (1 - p);
}

}  // namespace skingan::models
