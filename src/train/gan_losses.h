// Adversarial losses and the R1 penalty, on discriminator logits.
#pragma once

#include <functional>

#include <torch/types.h>

#include "train/gan_config.h"

namespace skingan::train {

// D's loss from logits on real [N] and fake [M] images.
//  bce:   BCE(real, 1 - smoothing) + BCE(fake, 0)
//  hinge: mean(relu(1 - real)) + mean(relu(1 + fake))
//  lsgan: 0.5 mean((real - (1 - smoothing))^2) + 0.5 mean(fake^2)
torch::Tensor discriminator_loss(GanLoss loss, const torch::Tensor& real_logits,
                                 const torch::Tensor& fake_logits, double label_smoothing);

// G's loss from D's logits on fakes: bce non-saturating BCE(fake, 1); hinge -mean(fake);
// lsgan 0.5 mean((fake - 1)^2).
torch::Tensor generator_loss(GanLoss loss, const torch::Tensor& fake_logits);

// R1 = E[ ||d D(x) / d x||^2 ] over the batch (Mescheder et al. 2018), differentiable with
// respect to D's parameters (double backprop). `x` must require grad and `logits` come from it.
torch::Tensor r1_penalty(const torch::Tensor& x, const torch::Tensor& logits);

// The gradient of sum(logits) with respect to x, kept in the graph (what R1 squares).
torch::Tensor input_gradient(const torch::Tensor& x, const torch::Tensor& logits);

}  // namespace skingan::train
