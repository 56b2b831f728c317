// Layers that behave in a data-parallel run (dist/process_group.h) as they would on one process
// with the whole global batch, so N ranks x batch B train the same model as 1 process x N*B:
//   - SyncBatchNorm2d: batch statistics over every rank's rows (torch.nn.SyncBatchNorm's choice;
//     per-rank statistics would make the result depend on the number of ranks);
//   - sharded_dropout: each rank keeps its rows of the mask drawn for the global batch.
// Without an active group (one process) they are plain BatchNorm2d and dropout; a run may also
// keep BatchNorm per rank (dist::ActiveGroup's synchronise_batch_norm = false), as torch's DDP
// does unless a model is converted to SyncBatchNorm: faster where small all-reduces are slow
// (Gloo over TCP), but the result then depends on the number of ranks.
#pragma once

#include <torch/nn/cloneable.h>
#include <torch/nn/options/batchnorm.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace skingan::models {

// x (any shape) -> its element-wise sum over the active group's ranks, differentiable: the
// gradient reaching each rank's x is the sum of the ranks' upstream gradients, as every rank's
// output depends on every rank's x. Identity without an active group.
torch::Tensor all_reduce_sum(const torch::Tensor& x);

// BatchNorm2d (same options, parameters and buffers, so checkpoints are interchangeable, and the
// same kernel in one process) whose training-mode statistics cover the rows of every rank.
// Evaluation mode uses the running statistics as usual; those are updated with the global mean
// and unbiased global variance, so they too equal the single-process ones. Written as its own
// module because LibTorch does not export what a subclass of nn::BatchNorm2dImpl needs.
class SyncBatchNorm2dImpl : public torch::nn::Cloneable<SyncBatchNorm2dImpl> {
 public:
  explicit SyncBatchNorm2dImpl(int64_t channels)
      : SyncBatchNorm2dImpl(torch::nn::BatchNormOptions(channels)) {}
  explicit SyncBatchNorm2dImpl(const torch::nn::BatchNormOptions& options);
  void reset() override;
  // As BatchNorm2d's: running mean 0, variance 1, no batches counted.
  void reset_running_stats();
  // [N,C,H,W] -> [N,C,H,W]
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  torch::nn::BatchNormOptions options;
  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
};
TORCH_MODULE(SyncBatchNorm2d);

// Inverted dropout of x [B,...] with drop probability p in training mode. In a data-parallel run
// of R ranks, the mask is drawn for [R*B,...] (identically on every rank, whose generators agree)
// and rank r keeps rows [r*B, (r+1)*B).
torch::Tensor sharded_dropout(const torch::Tensor& x, double p, bool training);

}  // namespace skingan::models
