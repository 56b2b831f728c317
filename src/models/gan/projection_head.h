// The projection discriminator's class head (Miyato & Koyama 2018), shared by the DCGAN, ResNet,
// FastGAN and progressive discriminators: logit(x, y) = w.h + b + <table[y], h>.
#pragma once

#include <cstdint>

#include <torch/types.h>

#include "models/gan/layers.h"

namespace skingan::models {

struct ProjectedLogits {
  torch::Tensor logits;        // [N]: given each sample's own label
  torch::Tensor class_logits;  // [N,K]: given every class (generation filters score with it)
};

// logits [N] (the unconditional w.h + b), features h [N,C], the class table [K,C], labels [N]
// long. Refuses labels of another shape, naming `network` ("ResNet", ...).
ProjectedLogits project_onto_classes(const torch::Tensor& logits, const torch::Tensor& h,
                                     const torch::Tensor& table, const torch::Tensor& labels,
                                     const char* network);

// The whole table of a projection embedding, [K,C], spectrally normalised once per forward when
// the embedding is.
torch::Tensor projection_table(SNEmbedding& projection, int64_t classes,
                               const torch::Device& device);

}  // namespace skingan::models
