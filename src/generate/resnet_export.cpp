#include "generate/resnet_export.h"

#include <sstream>

#include <torch/torch.h>

#include "generate/torchscript_export.h"

namespace skingan::generate {
namespace {

// conv2d over `input` with the layer's weight and bias, same padding.
std::string conv(const std::string& input, const std::string& layer, int padding) {
  const std::string p = std::to_string(padding);
  return "torch.conv2d(" + input + ", " + scripted_attribute(layer + ".weight") + ", " +
         scripted_attribute(layer + ".bias") + ", [1, 1], [" + p + ", " + p + "])";
}

// self.cbn(x, c, ...) for a LinearConditionalBatchNorm2d named `layer`.
std::string cbn(const std::string& input, const std::string& layer) {
  return "self.cbn(" + input + ", c, " + scripted_attribute(layer + ".norm.running_mean") + ", " +
         scripted_attribute(layer + ".norm.running_var") + ", " +
         scripted_attribute(layer + ".gain.weight") + ", " +
         scripted_attribute(layer + ".gain.bias") + ", " +
         scripted_attribute(layer + ".bias.weight") + ", " +
         scripted_attribute(layer + ".bias.bias") + ")";
}

}  // namespace

std::string resnet_forward_source(const models::Generator& generator) {
  const models::ResNetGenerator& g = generator->resnet();
  TORCH_CHECK(!g.is_empty(), "resnet_forward_source needs a ResNet generator");
  const models::ResNetOptions& o = g->options();
  const bool conditional = o.num_classes() > 0;
  const int64_t c4 = g->named_parameters()["input.weight"].size(0) / 16;
  std::ostringstream s;
  s << "def up(self, x: Tensor) -> Tensor:\n"
    << "    return " << models::resize_twice_script("x", o.upsample()) << "\n\n";
  s << "def cbn(self, x: Tensor, c: Tensor, mean: Tensor, var: Tensor, gain_w: Tensor, "
       "gain_b: Tensor, bias_w: Tensor, bias_b: Tensor) -> Tensor:\n"
    << "    h = torch.batch_norm(x, None, None, mean, var, False, 0.1, 1e-05, False)\n"
    << "    g = torch.linear(c, gain_w, gain_b).view([-1, x.size(1), 1, 1])\n"
    << "    return h * (1 + g) + torch.linear(c, bias_w, bias_b).view([-1, x.size(1), 1, 1])\n\n";
  s << "def forward(self, z: Tensor" << (conditional ? ", labels: Tensor" : "") << ") -> Tensor:\n";
  if (conditional) {
    s << "    c = torch.cat([z, torch.embedding(" << scripted_attribute("resnet.embedding.weight")
      << ", labels)], 1)\n";
  } else {
    s << "    c = z\n";
  }
  s << "    h = torch.linear(c, " << scripted_attribute("resnet.input.weight") << ", "
    << scripted_attribute("resnet.input.bias") << ").view([-1, " << c4 << ", 4, 4])\n";
  for (int64_t i = 0; i < g->blocks(); ++i) {
    const std::string b = "resnet.blocks." + std::to_string(i);
    s << "    x = h\n";
    s << "    h = " << conv("self.up(torch.relu(" + cbn("x", b + ".norm0") + "))", b + ".conv0", 1)
      << "\n";
    s << "    h = " << conv("torch.relu(" + cbn("h", b + ".norm1") + ")", b + ".conv1", 1) << "\n";
    s << "    h = h + " << conv("self.up(x)", b + ".shortcut", 0) << "\n";
  }
  const std::string n = "resnet.output_norm";
  s << "    h = torch.relu(torch.batch_norm(h, " << scripted_attribute(n + ".weight") << ", "
    << scripted_attribute(n + ".bias") << ", " << scripted_attribute(n + ".running_mean") << ", "
    << scripted_attribute(n + ".running_var") << ", False, 0.1, 1e-05, False))\n";
  s << "    return torch.tanh(" << conv("h", "resnet.to_rgb", 1) << ")\n";
  return s.str();
}

}  // namespace skingan::generate
