#include "generate/fastgan_export.h"

#include <sstream>

#include <torch/torch.h>

#include "generate/torchscript_export.h"
#include "models/gan/side_plan.h"

namespace skingan::generate {

std::string fastgan_forward_source(const models::Generator& generator) {
  const models::FastGanGenerator& g = generator->fastgan();
  TORCH_CHECK(!g.is_empty(), "fastgan_forward_source needs a FastGAN generator");
  const models::FastGanOptions& o = g->options();
  const bool conditional = o.num_classes() > 0;
  const auto params = g->named_parameters();
  const int64_t c4x2 = params["input.weight"].size(0) / 16;  // 2 c4: the GLU halves it
  std::ostringstream s;
  s << scripted_conditional_preamble("fastgan", o.upsample(), conditional);
  s << "    h = torch.linear(c, " << scripted_attribute("fastgan.input.weight")
    << ", None).view([-1, " << c4x2 << ", 4, 4])\n";
  s << "    h = torch.glu(" << scripted_cbn("h", "fastgan.input_norm") << ", 1)\n";
  // m<k>: the map at side 4 * 2^k, for the excitations.
  s << "    m0 = h\n";
  int64_t excitation = 0;
  for (int64_t i = 0; i < g->blocks(); ++i) {
    const std::string b = "fastgan.blocks." + std::to_string(i);
    s << "    h = torch.glu("
      << scripted_cbn(scripted_conv("self.up(h)", b + ".conv0", 1, /*bias=*/false), b + ".norm0")
      << ", 1)\n";
    if (params.contains("blocks." + std::to_string(i) + ".conv1.weight")) {
      s << "    h = torch.glu("
        << scripted_cbn(scripted_conv("h", b + ".conv1", 1, /*bias=*/false), b + ".norm1")
        << ", 1)\n";
    }
    if (const int64_t source = g->excitation_source(i); source > 0) {
      const int64_t k = models::log2_of(source) - 2;  // the source map's index: side 4 * 2^k
      const std::string e = "fastgan.excitations." + std::to_string(excitation++);
      s << "    g = "
        << scripted_conv("torch.adaptive_avg_pool2d(m" + std::to_string(k) + ", [4, 4])",
                         e + ".squeeze", 0)
        << "\n";
      s << "    h = h * torch.sigmoid(" << scripted_conv("g * torch.sigmoid(g)", e + ".excite", 0)
        << ")\n";
    }
    s << "    m" << i + 1 << " = h\n";
  }
  s << "    return torch.tanh(" << scripted_conv("h", "fastgan.to_rgb", 1) << ")\n";
  return s.str();
}

}  // namespace skingan::generate
