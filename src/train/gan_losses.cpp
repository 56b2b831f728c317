#include "train/gan_losses.h"

#include <torch/torch.h>

namespace skingan::train {

torch::Tensor discriminator_loss(GanLoss loss, const torch::Tensor& real_logits,
                                 const torch::Tensor& fake_logits, double label_smoothing) {
  switch (loss) {
    case GanLoss::kBce:
      return torch::binary_cross_entropy_with_logits(
                 real_logits, torch::full_like(real_logits, 1.0 - label_smoothing)) +
             torch::binary_cross_entropy_with_logits(fake_logits, torch::zeros_like(fake_logits));
    case GanLoss::kHinge:
      return torch::relu(1.0 - real_logits).mean() + torch::relu(1.0 + fake_logits).mean();
    case GanLoss::kLsgan:
      return 0.5 * (real_logits - (1.0 - label_smoothing)).pow(2).mean() +
             0.5 * fake_logits.pow(2).mean();
    case GanLoss::kWganGp:
      return fake_logits.mean() - real_logits.mean() + kDriftWeight * real_logits.pow(2).mean();
  }
  TORCH_CHECK(false, "unknown GAN loss");
}

torch::Tensor generator_loss(GanLoss loss, const torch::Tensor& fake_logits) {
  switch (loss) {
    case GanLoss::kBce:
      return torch::binary_cross_entropy_with_logits(fake_logits, torch::ones_like(fake_logits));
    case GanLoss::kHinge:
    case GanLoss::kWganGp:
      return -fake_logits.mean();
    case GanLoss::kLsgan:
      return 0.5 * (fake_logits - 1.0).pow(2).mean();
  }
  TORCH_CHECK(false, "unknown GAN loss");
}

torch::Tensor input_gradient(const torch::Tensor& x, const torch::Tensor& logits) {
  TORCH_CHECK(x.requires_grad(), "input_gradient: x must require grad");
  return torch::autograd::grad({logits.sum()}, {x}, /*grad_outputs=*/{}, /*retain_graph=*/true,
                               /*create_graph=*/true)[0];
}

torch::Tensor gradient_penalty(const std::function<torch::Tensor(const torch::Tensor&)>& critic,
                               const torch::Tensor& real, const torch::Tensor& fake,
                               at::Generator& rng, augment::BatchShard shard) {
  TORCH_CHECK(real.sizes() == fake.sizes(), "gradient_penalty: real ", real.sizes(), " and fake ",
              fake.sizes(), " differ");
  // u: [N,1,1,1], drawn on the CPU generator (for the whole batch of a data-parallel run) and
  // moved, so CPU and CUDA runs draw alike.
  const int64_t n = real.size(0);
  const torch::Tensor u =
      shard.take(torch::rand({shard.draw_rows(n), 1, 1, 1}, rng, torch::kFloat), n)
          .to(real.device(), real.dtype());
  const torch::Tensor mixed =
      (real.detach() + u * (fake.detach() - real.detach())).requires_grad_(true);
  const torch::Tensor gradient = input_gradient(mixed, critic(mixed));  // [N,3,S,S]
  return (gradient.flatten(1).norm(2, 1) - 1.0).pow(2).mean();
}

torch::Tensor r1_penalty(const torch::Tensor& x, const torch::Tensor& logits) {
  return input_gradient(x, logits).pow(2).flatten(1).sum(1).mean();
}

}  // namespace skingan::train
