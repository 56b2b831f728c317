#include "dist/gradient_sync.h"

#include <torch/torch.h>

namespace skingan::dist {

void broadcast_module(ProcessGroup& group, torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  for (const auto& p : module.parameters()) tensors.push_back(p);
  for (const auto& b : module.buffers()) tensors.push_back(b);
  // One broadcast per dtype and device keeps the number of collectives small. Channels-last
  // parameters are not contiguous in the default sense: the copies go through a flat buffer.
  while (!tensors.empty()) {
    const auto options = tensors.front().options();
    std::vector<torch::Tensor> same, rest;
    for (auto& t : tensors) {
      (t.dtype() == options.dtype() && t.device() == options.device() ? same : rest).push_back(t);
    }
    std::vector<torch::Tensor> flat_parts;
    for (const auto& t : same) flat_parts.push_back(t.reshape(-1));
    torch::Tensor flat = torch::cat(flat_parts);
    group.broadcast({flat}, "the initial weights");
    int64_t offset = 0;
    for (auto& t : same) {
      t.copy_(flat.slice(0, offset, offset + t.numel()).view(t.sizes()));
      offset += t.numel();
    }
    tensors = std::move(rest);
  }
}

bool average_gradients(ProcessGroup& group, const std::vector<torch::Tensor>& parameters,
                       bool stop_requested, int64_t bucket_bytes) {
  torch::NoGradGuard no_grad;
  const double inverse_world = 1.0 / group.size();
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters)
    if (p.grad().defined()) grads.push_back(p.grad());
  bool flag_sent = false;
  double stop_sum = 0;
  size_t i = 0;
  while (i < grads.size()) {
    // One bucket: consecutive gradients of one dtype and device, up to bucket_bytes.
    std::vector<torch::Tensor> bucket{grads[i]};
    int64_t bytes = grads[i].numel() * grads[i].element_size();
    size_t j = i + 1;
    for (; j < grads.size(); ++j) {
      const auto& g = grads[j];
      const int64_t more = g.numel() * g.element_size();
      if (g.dtype() != grads[i].dtype() || g.device() != grads[i].device() ||
          bytes + more > bucket_bytes)
        break;
      bucket.push_back(g);
      bytes += more;
    }
    std::vector<torch::Tensor> parts;
    for (const auto& g : bucket) parts.push_back(g.reshape(-1));
    const bool carry_flag = !flag_sent && grads[i].is_floating_point();
    if (carry_flag)
      parts.push_back(torch::full({1}, stop_requested ? 1.0 : 0.0, grads[i].options()));
    torch::Tensor flat = torch::cat(parts);  // [sum of numel (+1)]
    group.all_reduce_sum(flat, "gradients");
    if (carry_flag) {
      stop_sum = flat[-1].item<double>();
      flat = flat.slice(0, 0, flat.size(0) - 1);
      flag_sent = true;
    }
    flat.mul_(inverse_world);
    int64_t offset = 0;
    for (auto& g : bucket) {
      g.copy_(flat.slice(0, offset, offset + g.numel()).view(g.sizes()));
      offset += g.numel();
    }
    i = j;
  }
  if (!flag_sent) {
    torch::Tensor flag = torch::full({1}, stop_requested ? 1.0 : 0.0, torch::kFloat);
    group.all_reduce_sum(flag, "the stop flag");
    stop_sum = flag.item<double>();
  }
  return stop_sum > 0;
}

}  // namespace skingan::dist
