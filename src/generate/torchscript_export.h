// `skingan export-generator`: a trained generator as a TorchScript module that stock PyTorch
// loads with torch.jit.load, no skingan code needed:
//
//   g = torch.jit.load("generator.pt")
//   z = torch.randn(16, g.latent_dim)
//   labels = torch.full((16,), g.classes.index("mel"))
//   images = g(z, labels)          # float [16,3,S,S] in (-1,1); labels ignored when unconditional
//
// Why code generation: LibTorch 1.13 has no public C++ tracer, but a torch::jit::Module can hold
// the weights and compile a forward written in TorchScript (Module::define). The forward below
// is the generator's eval-mode forward (BatchNorm with the standing statistics `generate` samples
// with, unless standing_statistics is off), written from the module's structure; a per-class DCGAN
// run becomes one module that routes each sample to its class's generator. A test compares Python's
// output with skingan's for the same noise.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "models/gan/generator.h"

namespace skingan::generate {

struct ExportOptions {
  std::filesystem::path run_dir;
  std::filesystem::path output;  // one .pt file
  int64_t checkpoint_step = -1;  // -1: latest
  bool use_ema = true;
  bool standing_statistics = true;  // as generate --bn-statistics standing
  bool force = false;               // replace an existing file
};

struct ExportResult {
  std::vector<std::string> classes;
  std::map<std::string, int64_t> checkpoint_steps;  // per unit
  int64_t latent_dim = 0, image_size = 0;
};

// ConfigError for an existing output without force; errors of read_gan_run / find_checkpoint.
ExportResult export_generator(const ExportOptions& options);

// TorchScript source of `generator`'s eval-mode forward over parameters named as
// named_parameters()/named_buffers() with '.' replaced by '_' (scripted_attribute_name).
std::string generator_forward_source(const models::Generator& generator);

// The exported module's attribute for a parameter or buffer key: "blocks.0.weight" ->
// "blocks_0_weight".
std::string scripted_attribute_name(const std::string& key);

// The same as TorchScript source reads it: "self.blocks_0_weight".
std::string scripted_attribute(const std::string& key);

// Source of a stride-1 conv2d of `input` by the layer named `layer` with `padding` on each side;
// its bias is None unless `bias`.
std::string scripted_conv(const std::string& input, const std::string& layer, int padding,
                          bool bias = true);

// Source of the method `cbn(self, x, c, mean, var, gain_w, gain_b, bias_w, bias_b)`: a
// LinearConditionalBatchNorm2d (models/gan/resnet.h) in evaluation mode; and of a call of it on
// `input` with the condition `c` for the layer named `layer`.
std::string scripted_cbn_method();
std::string scripted_cbn(const std::string& input, const std::string& layer);

// The methods `up` and `cbn`, and the head of `forward(self, z[, labels])` up to its condition
// `c` = [z ; embedding(labels)] (or z), for the ResNet and FastGAN generators, whose parameters
// are under `prefix` ("resnet", "fastgan").
std::string scripted_conditional_preamble(const std::string& prefix, models::Upsample upsample,
                                          bool conditional);

}  // namespace skingan::generate
