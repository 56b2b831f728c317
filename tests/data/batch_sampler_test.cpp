// Which training images go into a GAN's batches (data/batch_sampler.h): uniform epochs,
// class-balanced draws and their tempered form (--balance-power; its option checks are in
// tests/train/gan_config_test.cpp).
#include <gtest/gtest.h>

#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "data/batch_sampler.h"

using namespace skingan;
using namespace skingan::data;

namespace {

// 64, 16 and 4 images of classes 0, 1 and 2, interleaved so that class order is not row order.
torch::Tensor uneven_labels() {
  std::vector<int64_t> labels;
  for (int i = 0; i < 64; ++i) {
    labels.push_back(0);
    if (i % 4 == 0) labels.push_back(1);
    if (i % 16 == 0) labels.push_back(2);
  }
  return torch::tensor(labels, torch::kLong);
}

// double [3]: the share of each class among the labels of `draws` batches of 100.
torch::Tensor class_shares(BatchSampler& sampler, const torch::Tensor& labels, int draws,
                           bool images) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(7);
  torch::Tensor counts = torch::zeros({3}, torch::kLong);
  for (int i = 0; i < draws; ++i) {
    const torch::Tensor drawn = images ? labels.index_select(0, sampler.next(100, generator))
                                       : sampler.sample_labels(100, generator);
    counts += torch::bincount(drawn, {}, 3);
  }
  return counts.to(torch::kDouble) / (100.0 * draws);
}

}  // namespace

TEST(BatchSampler, UniformEpochsShowEveryImageOnceBeforeAnyTwice) {
  const torch::Tensor labels = uneven_labels();  // 84 images
  BatchSampler sampler(labels, 3, false);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(3);
  // 84 images in batches of 20: four batches an epoch, the last 4 images of each epoch dropped.
  torch::Tensor seen = torch::zeros({84}, torch::kLong);
  for (int b = 0; b < 4; ++b)
    seen.index_add_(0, sampler.next(20, generator), torch::ones({20}, torch::kLong));
  EXPECT_EQ(seen.max().item<int64_t>(), 1);
  EXPECT_EQ(seen.sum().item<int64_t>(), 80);
}

TEST(BatchSampler, BalancedDrawsAClassUniformlyThenAnImageOfItAsRunsAlwaysHave) {
  // The historical stream: randint over classes, then a uniform position within the class. A
  // power of 0 must keep it, so that runs trained before --balance-power repeat exactly.
  const torch::Tensor labels = uneven_labels();
  BatchSampler sampler(labels, 3, true, 0.0);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(11);
  at::Generator by_hand = at::make_generator<at::CPUGeneratorImpl>(11);
  const torch::Tensor indices = sampler.next(50, generator);
  const torch::Tensor classes = torch::randint(0, 3, {50}, by_hand, torch::kLong);
  const torch::Tensor u = torch::rand({50}, by_hand, torch::kDouble);
  const int64_t counts[3] = {64, 16, 4};
  for (int64_t i = 0; i < 50; ++i) {
    const int64_t c = classes[i].item<int64_t>();
    const int64_t position = static_cast<int64_t>(u[i].item<double>() * counts[c]);
    // The position-th image of class c in row order.
    const torch::Tensor of_class = torch::nonzero(labels == c).view(-1);
    EXPECT_EQ(indices[i].item<int64_t>(), of_class[position].item<int64_t>()) << "draw " << i;
  }
  const torch::Tensor shares = class_shares(sampler, labels, 200, true);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(shares[c].item<double>(), 1.0 / 3, 0.02) << c;
}

TEST(BatchSampler, APowerDrawsClassesByTheirImageCountsToThatPower) {
  const torch::Tensor labels = uneven_labels();
  // q = 0.5: sqrt(64, 16, 4) = 8, 4, 2 of 14.
  BatchSampler square_root(labels, 3, true, 0.5);
  const std::vector<double> expected = {8.0 / 14, 4.0 / 14, 2.0 / 14};
  const torch::Tensor p = square_root.class_probabilities();
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(p[c].item<double>(), expected[c], 1e-12) << c;
  for (bool images : {true, false}) {  // real batches and the generator's labels alike
    const torch::Tensor shares = class_shares(square_root, labels, 200, images);
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(shares[c].item<double>(), expected[c], 0.015) << c << " images " << images;
    }
  }
  // q = 1: the images' own frequencies, 64, 16 and 4 of 84.
  BatchSampler natural(labels, 3, true, 1.0);
  const torch::Tensor shares = class_shares(natural, labels, 200, true);
  const std::vector<double> frequencies = {64.0 / 84, 16.0 / 84, 4.0 / 84};
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(shares[c].item<double>(), frequencies[c], 0.015) << c;
  // Every drawn image is of a class the draw could name: no index outside the set.
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(5);
  const torch::Tensor indices = natural.next(1000, generator);
  EXPECT_GE(indices.min().item<int64_t>(), 0);
  EXPECT_LT(indices.max().item<int64_t>(), labels.size(0));
}

TEST(BatchSampler, APowerOutsideZeroToOneIsRefused) {
  EXPECT_THROW(BatchSampler(uneven_labels(), 3, true, -0.1), c10::Error);
  EXPECT_THROW(BatchSampler(uneven_labels(), 3, true, 1.5), c10::Error);
}
