#include "dist/gradient_sync.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

namespace skingan::dist {
namespace {

// Copies the values of `flat` (as ATen's flatten_dense_tensors laid them out) back into
// `tensors`, whatever their memory format.
void copy_from_flat(const torch::Tensor& flat, const std::vector<torch::Tensor>& tensors) {
  const std::vector<torch::Tensor> views = at::unflatten_dense_tensors(flat, tensors);
  for (size_t k = 0; k < tensors.size(); ++k) tensors[k].copy_(views[k]);
}

}  // namespace

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
    torch::Tensor flat = at::flatten_dense_tensors(same);
    group.broadcast({flat}, "the initial weights");
    copy_from_flat(flat, same);
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
    std::vector<torch::Tensor> parts = bucket;
    const bool carry_flag = !flag_sent && grads[i].is_floating_point();
    if (carry_flag)
      parts.push_back(torch::full({1}, stop_requested ? 1.0 : 0.0, grads[i].options()));
    torch::Tensor flat = at::flatten_dense_tensors(parts);  // [sum of numel (+1)]
    group.all_reduce_sum(flat, "gradients");
    if (carry_flag) {
      stop_sum = flat[-1].item<double>();
      flat = flat.slice(0, 0, flat.size(0) - 1);
      flag_sent = true;
    }
    flat.mul_(inverse_world);
    copy_from_flat(flat, bucket);
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
