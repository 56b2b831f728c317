#include "models/gan/projection_head.h"

#include <torch/torch.h>

namespace skingan::models {

ProjectedLogits project_onto_classes(const torch::Tensor& logits, const torch::Tensor& h,
                                     const torch::Tensor& table, const torch::Tensor& labels,
                                     const char* network) {
  TORCH_CHECK(labels.defined() && labels.dim() == 1 && labels.size(0) == h.size(0), "conditional ",
              network, " discriminator expects labels of shape [", h.size(0), "]");
  ProjectedLogits out;
  out.class_logits = logits.unsqueeze(1) + h.matmul(table.t());      // [N,K]
  out.logits = logits + (table.index_select(0, labels) * h).sum(1);  // [N]
  return out;
}

torch::Tensor projection_table(SNEmbedding& projection, int64_t classes,
                               const torch::Device& device) {
  return projection->forward(torch::arange(classes, torch::dtype(torch::kLong).device(device)));
}

}  // namespace skingan::models
