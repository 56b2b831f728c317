#include "generate/resnet_export.h"

#include <sstream>

#include <torch/torch.h>

#include "generate/torchscript_export.h"
#include "models/gan/upsample.h"

namespace skingan::generate {
std::string resnet_forward_source(const models::Generator& generator) {
  const models::ResNetGenerator& g = generator->resnet();
  TORCH_CHECK(!g.is_empty(), "resnet_forward_source needs a ResNet generator");
  const models::ResNetOptions& o = g->options();
  const bool conditional = o.num_classes() > 0;
  const int64_t c4 = g->named_parameters()["input.weight"].size(0) / 16;
  std::ostringstream s;
  // The preamble's `up` resizes the residual branch of every block but the last, `up_last` the
  // last one's, `up_shortcut` every shortcut (they differ for skip-bilinear and
  // skip-bilinear-last; the shortcut is the same in every block for each upsampling).
  const models::Upsample inner = models::block_upsample(o.upsample(), /*last_block=*/false);
  const models::Upsample last = models::block_upsample(o.upsample(), /*last_block=*/true);
  TORCH_CHECK(models::shortcut_upsample(inner) == models::shortcut_upsample(last),
              "resnet_forward_source: one shortcut resizing for every block");
  s << "def up_shortcut(self, x: Tensor) -> Tensor:\n"
    << "    return " << models::resize_twice_script("x", models::shortcut_upsample(inner))
    << "\n\n";
  s << "def up_last(self, x: Tensor) -> Tensor:\n"
    << "    return " << models::resize_twice_script("x", models::branch_upsample(last)) << "\n\n";
  s << scripted_conditional_preamble("resnet", models::branch_upsample(inner), conditional);
  s << "    h = torch.linear(c, " << scripted_attribute("resnet.input.weight") << ", "
    << scripted_attribute("resnet.input.bias") << ").view([-1, " << c4 << ", 4, 4])\n";
  for (int64_t i = 0; i < g->blocks(); ++i) {
    const std::string b = "resnet.blocks." + std::to_string(i);
    s << "    x = h\n";
    const std::string up = i + 1 == g->blocks() ? "self.up_last" : "self.up";
    s << "    h = "
      << scripted_conv(up + "(torch.relu(" + scripted_cbn("x", b + ".norm0") + "))", b + ".conv0",
                       1)
      << "\n";
    s << "    h = "
      << scripted_conv("torch.relu(" + scripted_cbn("h", b + ".norm1") + ")", b + ".conv1", 1)
      << "\n";
    s << "    h = h + " << scripted_conv("self.up_shortcut(x)", b + ".shortcut", 0) << "\n";
  }
  const std::string n = "resnet.output_norm";
  s << "    h = torch.relu(torch.batch_norm(h, " << scripted_attribute(n + ".weight") << ", "
    << scripted_attribute(n + ".bias") << ", " << scripted_attribute(n + ".running_mean") << ", "
    << scripted_attribute(n + ".running_var") << ", False, 0.1, 1e-05, False))\n";
  s << "    return torch.tanh(" << scripted_conv("h", "resnet.to_rgb", 1) << ")\n";
  return s.str();
}

}  // namespace skingan::generate
