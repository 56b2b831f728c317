#include "models/gan/transposed_conv.h"

#include <ATen/ops/convolution_backward.h>
#include <torch/torch.h>

namespace skingan::models {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// Gradients of a bias-free, stride-s, padding-p 2-D convolution, through at::convolution_backward
// (which dispatches to oneDNN on the CPU). `input_like` supplies the convolution input's shape.
torch::Tensor conv2d_input_gradient(const torch::Tensor& grad_output,
                                    const torch::Tensor& input_like, const torch::Tensor& weight,
                                    int64_t s, int64_t p) {
  return std::get<0>(at::convolution_backward(grad_output, input_like, weight, c10::nullopt, {s, s},
                                              {p, p}, {1, 1}, /*transposed=*/false, {0, 0},
                                              /*groups=*/1, {true, false, false}));
}

torch::Tensor conv2d_weight_gradient(const torch::Tensor& grad_output, const torch::Tensor& input,
                                     const torch::Tensor& weight, int64_t s, int64_t p) {
  return std::get<1>(at::convolution_backward(grad_output, input, weight, c10::nullopt, {s, s},
                                              {p, p}, {1, 1}, /*transposed=*/false, {0, 0},
                                              /*groups=*/1, {false, true, false}));
}

// y = conv_transpose(x, W) is the input gradient of the convolution c(y') = conv2d(y', W) at
// grad_output = x. Hence dL/dx = conv2d(dL/dy, W) and dL/dW = the weight gradient of c with
// input dL/dy and grad_output x.
struct TransposedConv2dFunction : public torch::autograd::Function<TransposedConv2dFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, int64_t stride, int64_t padding) {
    ctx->save_for_backward({x, weight});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    const int64_t k = weight.size(2);
    // The weight's layout decides the activations' (channels-last weights: channels-last
    // activations, which oneDNN runs without reorders).
    const auto layout = weight.suggest_memory_format();
    // The output shape; oneDNN reads only its sizes, so it is left uninitialised.
    const torch::Tensor output_like =
        torch::empty({x.size(0), weight.size(1), (x.size(2) - 1) * stride - 2 * padding + k,
                      (x.size(3) - 1) * stride - 2 * padding + k},
                     x.options().memory_format(layout));
    return conv2d_input_gradient(x.contiguous(layout), output_like, weight, stride, padding);
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &weight = saved[1];
    const int64_t stride = ctx->saved_data["stride"].toInt();
    const int64_t padding = ctx->saved_data["padding"].toInt();
    const auto layout = weight.suggest_memory_format();
    const torch::Tensor grad_y = grad_outputs[0].contiguous(layout);
    torch::Tensor grad_x, grad_weight;
    if (ctx->needs_input_grad(0)) grad_x = torch::conv2d(grad_y, weight, {}, stride, padding);
    if (ctx->needs_input_grad(1))
      grad_weight = conv2d_weight_gradient(x.contiguous(layout), grad_y, weight, stride, padding);
    return {grad_x, grad_weight, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor transposed_conv2d(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                                int64_t padding) {
  TORCH_CHECK(x.dim() == 4 && weight.dim() == 4 && x.size(1) == weight.size(0),
              "transposed_conv2d expects x [N,in,H,W] and weight [in,out,k,k], got ", x.sizes(),
              " and ", weight.sizes());
  if (!x.device().is_cpu()) return torch::conv_transpose2d(x, weight, {}, stride, padding);
  return TransposedConv2dFunction::apply(x, weight, stride, padding);
}

TransposedConv2dImpl::TransposedConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                           int64_t padding)
    : stride_(stride), padding_(padding) {
  // dcgan_init draws the values; this only sizes the parameter.
  weight = register_parameter("weight", torch::empty({in, out, kernel, kernel}));
}

torch::Tensor TransposedConv2dImpl::forward(const torch::Tensor& x) {
  return transposed_conv2d(x, weight, stride_, padding_);
}

}  // namespace skingan::models
