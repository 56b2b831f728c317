#include <gtest/gtest.h>

#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "models/gan/discriminator.h"
#include "train/gan_losses.h"

using namespace skingan;
using namespace skingan::train;

TEST(GanLosses, HandComputedValues) {
  const torch::Tensor real = torch::tensor({2.0, -1.0}, torch::kDouble);
  const torch::Tensor fake = torch::tensor({0.5}, torch::kDouble);
  auto softplus = [](double v) { return std::log1p(std::exp(v)); };
  // bce: -log sigmoid(r) = softplus(-r); -log(1 - sigmoid(f)) = softplus(f)
  EXPECT_NEAR(discriminator_loss(GanLoss::kBce, real, fake, 0).item<double>(),
              (softplus(-2) + softplus(1)) / 2 + softplus(0.5), 1e-12);
  EXPECT_NEAR(generator_loss(GanLoss::kBce, fake).item<double>(), softplus(-0.5), 1e-12);
  // hinge: mean(relu(1 - r)) = (0 + 2)/2; mean(relu(1 + f)) = 1.5
  EXPECT_NEAR(discriminator_loss(GanLoss::kHinge, real, fake, 0).item<double>(), 1.0 + 1.5, 1e-12);
  EXPECT_NEAR(generator_loss(GanLoss::kHinge, fake).item<double>(), -0.5, 1e-12);
  // lsgan with smoothing 0.1: 0.5 mean((r - 0.9)^2) + 0.5 f^2
  EXPECT_NEAR(discriminator_loss(GanLoss::kLsgan, real, fake, 0.1).item<double>(),
              0.5 * (1.1 * 1.1 + 1.9 * 1.9) / 2 + 0.5 * 0.25, 1e-12);
  EXPECT_NEAR(generator_loss(GanLoss::kLsgan, fake).item<double>(), 0.5 * 0.25, 1e-12);
  // wgan-gp: mean(f) - mean(r) + 1e-3 mean(r^2) = 0.5 - 0.5 + 1e-3 (4 + 1) / 2
  EXPECT_NEAR(discriminator_loss(GanLoss::kWganGp, real, fake, 0).item<double>(), 2.5e-3, 1e-12);
  EXPECT_NEAR(generator_loss(GanLoss::kWganGp, fake).item<double>(), -0.5, 1e-12);
}

TEST(GradientPenalty, HandComputedForLinearAndQuadraticCritics) {
  at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(3);
  const torch::Tensor real = torch::zeros({4, 3, 2, 2});
  const torch::Tensor fake = torch::ones({4, 3, 2, 2});
  // Linear critic sum(2 x): its gradient is 2 everywhere, norm 2 sqrt(12) at every x^.
  const torch::Tensor linear = gradient_penalty(
      [](const torch::Tensor& x) { return (2 * x).flatten(1).sum(1); }, real, fake, rng);
  EXPECT_NEAR(linear.item<double>(), std::pow(2 * std::sqrt(12.0) - 1, 2), 1e-4);
  // Quadratic critic 0.5 sum(x^2): its gradient is x^ = u (fake - real) = u, norm u sqrt(12),
  // with the u the same generator state draws.
  at::Generator twin = at::make_generator<at::CPUGeneratorImpl>(5);
  const torch::Tensor u = torch::rand({4, 1, 1, 1}, twin, torch::kFloat).flatten();
  at::Generator same_seed = at::make_generator<at::CPUGeneratorImpl>(5);
  const torch::Tensor quadratic =
      gradient_penalty([](const torch::Tensor& x) { return 0.5 * x.pow(2).flatten(1).sum(1); },
                       real, fake, same_seed);
  const double expected = (u * std::sqrt(12.0) - 1).pow(2).mean().item<double>();
  EXPECT_NEAR(quadratic.item<double>(), expected, 1e-5);
  EXPECT_GT(u.max().item<double>() - u.min().item<double>(), 0.0);  // u differs per image
}

TEST(GradientPenalty, ReachesTheCriticsParameters) {
  at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(4);
  const torch::Tensor w = torch::full({1, 3, 1, 1}, 0.1).requires_grad_(true);
  const torch::Tensor penalty =
      gradient_penalty([&](const torch::Tensor& x) { return (w * x).flatten(1).sum(1); },
                       torch::zeros({2, 3, 2, 2}), torch::ones({2, 3, 2, 2}), rng);
  penalty.backward();
  // ||grad|| = 0.1 sqrt(12) < 1, so the penalty pushes w up: d/dw = 2 (||g|| - 1) g/||g|| * 4.
  const double norm = 0.1 * std::sqrt(12.0);
  ASSERT_TRUE(w.grad().defined());
  EXPECT_NEAR(w.grad()[0][0][0][0].item<double>(), 2 * (norm - 1) * (0.1 / norm) * 4, 1e-5);
}

TEST(GanLosses, LabelSmoothingLowersTheRealTarget) {
  const torch::Tensor real = torch::tensor({5.0}, torch::kDouble),
                      fake = torch::tensor({-5.0}, torch::kDouble);
  EXPECT_GT(discriminator_loss(GanLoss::kBce, real, fake, 0.2).item<double>(),
            discriminator_loss(GanLoss::kBce, real, fake, 0.0).item<double>());
}

namespace {

// A small discriminator in double precision without BatchNorm, so D(x) is a plain function.
models::Discriminator small_discriminator() {
  torch::manual_seed(11);
  models::Discriminator d(
      models::DiscriminatorOptions().image_size(8).channels(2).batch_norm(false));
  d->to(torch::kDouble);
  return d;
}

}  // namespace

TEST(R1, InputGradientMatchesFiniteDifferences) {
  auto d = small_discriminator();
  const torch::Tensor x = torch::randn({2, 3, 8, 8}, torch::kDouble).requires_grad_(true);
  const torch::Tensor grad = input_gradient(x, d->forward(x).logits).detach();
  const double h = 1e-6;
  for (int64_t flat : {0, 17, 100, 191, 250, 383}) {
    torch::Tensor plus = x.detach().clone(), minus = x.detach().clone();
    plus.view(-1)[flat] += h;
    minus.view(-1)[flat] -= h;
    const double numeric = (d->forward(plus).logits.sum().item<double>() -
                            d->forward(minus).logits.sum().item<double>()) /
                           (2 * h);
    EXPECT_NEAR(grad.view(-1)[flat].item<double>(), numeric, 1e-6) << flat;
  }
}

TEST(R1, PenaltyGradientWithRespectToDMatchesFiniteDifferences) {
  auto d = small_discriminator();
  const torch::Tensor x0 = torch::randn({2, 3, 8, 8}, torch::kDouble);
  auto penalty = [&] {
    const torch::Tensor x = x0.clone().requires_grad_(true);
    return r1_penalty(x, d->forward(x).logits);
  };
  d->zero_grad();
  penalty().backward();                       // double backprop into D's weights
  torch::Tensor weight = d->parameters()[0];  // first conv's weight
  const torch::Tensor analytic = weight.grad().clone();
  const double h = 1e-6;
  for (int64_t flat : {0, 5, 42}) {
    torch::NoGradGuard no_grad;
    const double original = weight.view(-1)[flat].item<double>();
    weight.view(-1)[flat] = original + h;
    double up;
    {
      torch::AutoGradMode enable(true);
      up = penalty().item<double>();
    }
    weight.view(-1)[flat] = original - h;
    double down;
    {
      torch::AutoGradMode enable(true);
      down = penalty().item<double>();
    }
    weight.view(-1)[flat] = original;
    EXPECT_NEAR(analytic.view(-1)[flat].item<double>(), (up - down) / (2 * h), 1e-5) << flat;
  }
}
