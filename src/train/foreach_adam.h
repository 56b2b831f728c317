// torch::optim::Adam and AdamW whose step runs as multi-tensor ("foreach") ops over all parameters
// at once, as PyTorch's torch.optim.Adam(foreach=True) does. LibTorch's C++ Adam updates one
// parameter at a time, about eight small kernels each: for a GAN with a hundred or more parameter
// tensors that is a thousand kernel launches per optimizer step, which bound the ResNet GAN's step
// on a GPU (docs/gpu_h100.md). The foreach ops launch one kernel per chunk of tensors on CUDA.
//
// It is a torch::optim::Adam in every other way: the same options, the same per-parameter state
// (step, exp_avg, exp_avg_sq), saved and loaded by Adam's own serialisation, so checkpoints move
// freely between the two. On the CPU the foreach ops loop over the tensors with the same
// arithmetic as Adam::step, so the weights are bit-identical (tests/train/foreach_adam_test.cpp).
// ForeachAdamW is the same for torch::optim::AdamW (the classifier's optimizer).
// Written by hand because LibTorch's C++ frontend has no multi-tensor optimizer.
#pragma once

#include <torch/torch.h>

namespace skingan::train {

class ForeachAdam : public torch::optim::Adam {
 public:
  using torch::optim::Adam::Adam;

  // One Adam step for every parameter with a gradient; parameters without one are left alone, as
  // Adam leaves them. Parameters of one group with different step counts (one that had no
  // gradient on some steps) are updated in one batch per count. With amsgrad in any group the
  // step is Adam's own.
  torch::Tensor step(LossClosure closure = nullptr) override;
};

class ForeachAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;

  // As ForeachAdam::step, with AdamW's decoupled weight decay.
  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace skingan::train
