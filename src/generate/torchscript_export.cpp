#include "generate/torchscript_export.h"

#include <memory>
#include <sstream>

#include <torch/script.h>
#include <torch/torch.h>

#include "core/error.h"
#include "generate/fastgan_export.h"
#include "generate/progressive_export.h"
#include "generate/resnet_export.h"
#include "io/files.h"
#include "models/gan/gan_checkpoint.h"

namespace fs = std::filesystem;

namespace skingan::generate {
namespace {

// The generator's weights as attributes of a new scripted module of type `type_name`.
torch::jit::Module scripted_generator(const models::Generator& generator,
                                      const std::string& type_name,
                                      const std::shared_ptr<torch::jit::CompilationUnit>& unit) {
  torch::jit::Module module("__torch__.skingan." + type_name, unit, /*shouldMangle=*/true);
  torch::NoGradGuard no_grad;
  for (const auto& p : generator->named_parameters()) {
    module.register_parameter(scripted_attribute_name(p.key()),
                              p.value().detach().to(torch::kCPU).contiguous().clone(), false);
  }
  for (const auto& b : generator->named_buffers()) {
    module.register_buffer(scripted_attribute_name(b.key()),
                           b.value().to(torch::kCPU).contiguous().clone());
  }
  module.define(generator_forward_source(generator));
  module.eval();
  return module;
}

}  // namespace

std::string scripted_attribute_name(const std::string& key) {
  std::string name = key;
  for (char& ch : name) {
    if (ch == '.') ch = '_';
  }
  return name;
}

std::string scripted_attribute(const std::string& key) {
  return "self." + scripted_attribute_name(key);
}

std::string scripted_conv(const std::string& input, const std::string& layer, int padding,
                          bool bias) {
  const std::string p = std::to_string(padding);
  return "torch.conv2d(" + input + ", " + scripted_attribute(layer + ".weight") + ", " +
         (bias ? scripted_attribute(layer + ".bias") : "None") + ", [1, 1], [" + p + ", " + p +
         "])";
}

std::string scripted_cbn_method() {
  return "def cbn(self, x: Tensor, c: Tensor, mean: Tensor, var: Tensor, gain_w: Tensor, "
         "gain_b: Tensor, bias_w: Tensor, bias_b: Tensor) -> Tensor:\n"
         "    h = torch.batch_norm(x, None, None, mean, var, False, 0.1, 1e-05, False)\n"
         "    g = torch.linear(c, gain_w, gain_b).view([-1, x.size(1), 1, 1])\n"
         "    return h * (1 + g) + torch.linear(c, bias_w, bias_b).view([-1, x.size(1), 1, 1])\n\n";
}

std::string scripted_conditional_preamble(const std::string& prefix, models::Upsample upsample,
                                          bool conditional) {
  std::ostringstream s;
  s << "def up(self, x: Tensor) -> Tensor:\n"
    << "    return " << models::resize_twice_script("x", upsample) << "\n\n";
  s << scripted_cbn_method();
  s << "def forward(self, z: Tensor" << (conditional ? ", labels: Tensor" : "") << ") -> Tensor:\n";
  if (conditional) {
    s << "    c = torch.cat([z, torch.embedding("
      << scripted_attribute(prefix + ".embedding.weight") << ", labels)], 1)\n";
  } else {
    s << "    c = z\n";
  }
  return s.str();
}

std::string scripted_cbn(const std::string& input, const std::string& layer) {
  return "self.cbn(" + input + ", c, " + scripted_attribute(layer + ".norm.running_mean") + ", " +
         scripted_attribute(layer + ".norm.running_var") + ", " +
         scripted_attribute(layer + ".gain.weight") + ", " +
         scripted_attribute(layer + ".gain.bias") + ", " +
         scripted_attribute(layer + ".bias.weight") + ", " +
         scripted_attribute(layer + ".bias.bias") + ")";
}

std::string generator_forward_source(const models::Generator& generator) {
  if (generator->options().family() == models::NetworkFamily::kProgressive)
    return progressive_forward_source(generator);
  if (generator->options().family() == models::NetworkFamily::kResNet)
    return resnet_forward_source(generator);
  if (generator->options().family() == models::NetworkFamily::kFastGan)
    return fastgan_forward_source(generator);
  const models::GeneratorOptions& o = generator->options();
  const auto params = generator->named_parameters();
  int64_t blocks = 0;
  while (params.contains("blocks." + std::to_string(blocks) + ".weight")) ++blocks;
  const bool conditional = o.conditioning() != models::Conditioning::kNone;
  std::ostringstream s;
  s << "def forward(self, z: Tensor" << (conditional ? ", labels: Tensor" : "") << ") -> Tensor:\n";
  s << "    h = z\n";
  if (o.conditioning() == models::Conditioning::kConcat)
    s << "    h = torch.cat([h, torch.embedding(self.embedding_weight, labels)], 1)\n";
  s << "    h = h.view([h.size(0), h.size(1), 1, 1])\n";
  for (int64_t i = 0; i < blocks; ++i) {
    const std::string n = std::to_string(i);
    if (i > 0) {
      const std::string norm = "self.norms_" + std::to_string(i - 1);
      if (o.conditioning() == models::Conditioning::kBatchNorm) {
        s << "    h = torch.batch_norm(h, None, None, " << norm << "_norm_running_mean, " << norm
          << "_norm_running_var, False, 0.1, 1e-05, False)\n";
        s << "    h = h * (1 + torch.embedding(" << norm
          << "_gamma_weight, labels).view([-1, h.size(1), 1, 1])) + torch.embedding(" << norm
          << "_beta_weight, labels).view([-1, h.size(1), 1, 1])\n";
      } else {
        s << "    h = torch.batch_norm(h, " << norm << "_weight, " << norm << "_bias, " << norm
          << "_running_mean, " << norm << "_running_var, False, 0.1, 1e-05, False)\n";
      }
      s << "    h = torch.relu(h)\n";
    }
    if (i > 0 && o.upsample() != models::Upsample::kTransposed) {
      s << "    h = " << models::resize_twice_script("h", o.upsample()) << "\n";
      s << "    h = torch.conv2d(h, self.blocks_" << n << "_weight, None, [1, 1], [1, 1])\n";
      continue;
    }
    const int stride = i == 0 ? 1 : 2, padding = i == 0 ? 0 : 1;
    s << "    h = torch.conv_transpose2d(h, self.blocks_" << n << "_weight, None, [" << stride
      << ", " << stride << "], [" << padding << ", " << padding << "])\n";
  }
  s << "    return torch.tanh(h)\n";
  return s.str();
}

ExportResult export_generator(const ExportOptions& o) {
  if (o.output.empty()) throw ConfigError("export-generator: no output file given (-o FILE).");
  if (fs::exists(o.output) && !o.force) {
    throw ConfigError(describe_problem("output " + o.output.string(), "already exists",
                                       "a new file", "Pass --force to replace it."));
  }
  const models::GanRun run = models::read_gan_run(o.run_dir);
  ExportResult result;
  result.classes = run.classes;
  result.latent_dim = run.config.latent_dim;
  result.image_size = run.config.image_size;

  auto unit_cu = std::make_shared<torch::jit::CompilationUnit>();
  torch::jit::Module top("__torch__.skingan.SkinganGenerator", unit_cu, true);
  auto generator_of = [&](const models::GanUnit& unit) {
    models::GanCheckpoint c =
        models::load_gan_checkpoint(models::find_checkpoint(unit, o.checkpoint_step), torch::kCPU);
    result.checkpoint_steps[unit.name] = c.step;
    if (o.standing_statistics) models::use_standing_statistics(c, o.use_ema);
    return models::sampling_generator(c, o.use_ema);
  };
  std::ostringstream forward;
  forward << "def forward(self, z: Tensor, labels: Optional[Tensor] = None) -> Tensor:\n";
  if (run.config.per_class) {
    forward << "    assert labels is not None, \"this generator draws one class per sample: pass "
               "labels, indices into .classes\"\n"
            << "    out = torch.zeros([z.size(0), 3, " << result.image_size << ", "
            << result.image_size << "], dtype=z.dtype, device=z.device)\n";
    for (size_t k = 0; k < run.classes.size(); ++k) {
      const std::string name = "class_" + std::to_string(k);
      top.register_module(name, scripted_generator(generator_of(run.unit_for(run.classes[k])),
                                                   "ClassGenerator", unit_cu));
      forward << "    mask = labels == " << k << "\n"
              << "    if bool(mask.any()):\n"
              << "        out[mask] = self." << name << ".forward(z[mask])\n";
    }
    forward << "    return out\n";
  } else {
    const models::GanUnit unit = run.unit_for(run.classes.front());
    top.register_module("generator", scripted_generator(generator_of(unit), "Generator", unit_cu));
    if (models::is_conditional(run.config)) {
      forward << "    assert labels is not None, \"this generator is class-conditional: pass "
                 "labels, indices into .classes\"\n"
              << "    return self.generator.forward(z, labels)\n";
    } else {
      forward << "    return self.generator.forward(z)\n";
    }
  }
  top.register_attribute("classes", c10::ListType::ofStrings(),
                         c10::List<std::string>(run.classes));
  top.register_attribute("latent_dim", c10::IntType::get(), result.latent_dim);
  top.register_attribute("image_size", c10::IntType::get(), result.image_size);
  top.define(forward.str());
  top.eval();
  // Serialised in memory, then written atomically: never a half-written file under the final
  // name, and a full disk is an IoError naming the file.
  if (o.output.has_parent_path()) fs::create_directories(o.output.parent_path());
  std::ostringstream bytes;
  top.save(bytes);
  io::write_file_atomic(o.output, bytes.str());
  return result;
}

}  // namespace skingan::generate
