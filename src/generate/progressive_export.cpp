#include "generate/progressive_export.h"

#include <cstdio>
#include <map>
#include <sstream>

#include <torch/torch.h>

#include "generate/torchscript_export.h"
#include "models/gan/equalized_layers.h"
#include "models/gan/upsample.h"

namespace skingan::generate {
namespace {

std::string number(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

}  // namespace

std::string progressive_forward_source(const models::Generator& generator) {
  const models::ProgressiveGenerator& g = generator->progressive();
  TORCH_CHECK(!g.is_empty(), "progressive_forward_source needs a progressive generator");
  const models::ProgressiveOptions& o = g->options();
  // The equalised layers' scales by module name ("progressive.blocks.0.conv0").
  std::map<std::string, double> scales;
  for (const auto& item : generator->named_modules()) {
    if (auto* conv = item.value()->as<models::EqualizedConv2dImpl>()) {
      scales[item.key()] = conv->scale();
    } else if (auto* linear = item.value()->as<models::EqualizedLinearImpl>()) {
      scales[item.key()] = linear->scale();
    }
  }
  auto conv = [&](const std::string& input, const std::string& layer, int padding) {
    return "torch.conv2d(" + input + ", " + scripted_attribute(layer) + "_weight * " +
           number(scales.at(layer)) + ", " + scripted_attribute(layer) + "_bias, [1, 1], [" +
           std::to_string(padding) + ", " + std::to_string(padding) + "])";
  };
  auto block = [&](std::ostringstream& s, const std::string& out, int64_t index) {
    const std::string name = "progressive.blocks." + std::to_string(index);
    s << "    " << out << " = " << models::resize_twice_script("h", models::Upsample::kResizeConv)
      << "\n";
    s << "    " << out << " = self.pn(torch.leaky_relu(" << conv(out, name + ".conv0", 1)
      << ", 0.2))\n";
    s << "    " << out << " = self.pn(torch.leaky_relu(" << conv(out, name + ".conv1", 1)
      << ", 0.2))\n";
  };
  const models::GrowthStage stage = models::growth_stage(g->level(), o.image_size());
  const bool conditional = o.num_classes() > 0;
  const int64_t c4 = g->named_parameters()["base_conv.weight"].size(0);
  std::ostringstream s;
  s << "def pn(self, x: Tensor) -> Tensor:\n"
    << "    return x * torch.rsqrt(torch.mean(torch.pow(x, 2), [1], True) + 1e-08)\n\n";
  s << "def forward(self, z: Tensor" << (conditional ? ", labels: Tensor" : "") << ") -> Tensor:\n";
  s << "    h = self.pn(z)\n";
  if (conditional)
    s << "    h = torch.cat([h, self.pn(torch.embedding(self.progressive_embedding_weight, "
         "labels))], 1)\n";
  s << "    h = torch.leaky_relu(torch.linear(h, self.progressive_input_weight * "
    << number(scales.at("progressive.input")) << ", self.progressive_input_bias), 0.2)\n";
  s << "    h = self.pn(h.view([h.size(0), " << c4 << ", 4, 4]))\n";
  s << "    h = self.pn(torch.leaky_relu(" << conv("h", "progressive.base_conv", 1) << ", 0.2))\n";
  for (int64_t k = 3; k <= stage.resolution_log2; ++k) block(s, "h", k - 3);
  const int64_t r = stage.resolution_log2;
  s << "    rgb = " << conv("h", "progressive.to_rgb." + std::to_string(r - 2), 0) << "\n";
  if (stage.alpha > 0) {
    block(s, "nxt", r - 2);
    s << "    rgb = torch.upsample_nearest2d(rgb, [" << stage.side() << ", " << stage.side()
      << "])\n";
    s << "    rgb = rgb + (" << conv("nxt", "progressive.to_rgb." + std::to_string(r - 1), 0)
      << " - rgb) * " << number(stage.alpha) << "\n";
  }
  if (stage.side() < o.image_size()) {
    s << "    rgb = torch.upsample_nearest2d(rgb, [" << o.image_size() << ", " << o.image_size()
      << "])\n";
  }
  s << "    return torch.tanh(rgb)\n";
  return s.str();
}

}  // namespace skingan::generate
