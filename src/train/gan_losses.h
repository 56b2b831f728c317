// Adversarial losses and the R1 penalty, on discriminator logits.
#pragma once

#include <functional>

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include "augment/batch_shard.h"
#include "train/gan_config.h"

namespace skingan::train {

// D's loss from logits on real [N] and fake [M] images.
//  bce:   BCE(real, 1 - smoothing) + BCE(fake, 0)
//  hinge: mean(relu(1 - real)) + mean(relu(1 + fake))
//  lsgan: 0.5 mean((real - (1 - smoothing))^2) + 0.5 mean(fake^2)
//  wgan-gp: mean(fake) - mean(real) + kDriftWeight mean(real^2); the progressive GAN's drift term
//         keeps the critic's values near 0. The gradient penalty is added by the trainer
//         (gradient_penalty below), since it needs the critic itself.
torch::Tensor discriminator_loss(GanLoss loss, const torch::Tensor& real_logits,
                                 const torch::Tensor& fake_logits, double label_smoothing);

// G's loss from D's logits on fakes: bce non-saturating BCE(fake, 1); hinge and wgan-gp
// -mean(fake); lsgan 0.5 mean((fake - 1)^2).
torch::Tensor generator_loss(GanLoss loss, const torch::Tensor& fake_logits);

// R1 = E[ ||d D(x) / d x||^2 ] over the batch (Mescheder et al. 2018), differentiable with
// respect to D's parameters (double backprop). `x` must require grad and `logits` come from it.
torch::Tensor r1_penalty(const torch::Tensor& x, const torch::Tensor& logits);

// The gradient of sum(logits) with respect to x, kept in the graph (what R1 squares).
torch::Tensor input_gradient(const torch::Tensor& x, const torch::Tensor& logits);

// The progressive GAN's epsilon_drift (Karras et al. 2018, section A.1).
inline constexpr double kDriftWeight = 1e-3;

// WGAN-GP's penalty E[(||d critic(x^) / d x^||_2 - 1)^2] at x^ = real + u (fake - real), one
// u ~ U[0,1] per image drawn from `rng` (Gulrajani et al. 2017), differentiable with respect to
// the critic's parameters. critic: [N,3,S,S] -> logits [N]. real, fake: [N,3,S,S]; `shard`:
// they are rows of a data-parallel run's global batch, whose u are all drawn.
torch::Tensor gradient_penalty(const std::function<torch::Tensor(const torch::Tensor&)>& critic,
                               const torch::Tensor& real, const torch::Tensor& fake,
                               at::Generator& rng, augment::BatchShard shard = {});

}  // namespace skingan::train
