// skingan export-generator: the TorchScript module draws what skingan draws, in C++ (always)
// and in Debian's python3-torch (when installed).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/script.h>
#include <torch/torch.h>

#include "core/error.h"
#include "data/prepare.h"
#include "generate/torchscript_export.h"
#include "io/files.h"
#include "models/gan/gan_checkpoint.h"
#include "test_util.h"
#include "train/gan_run.h"

namespace fs = std::filesystem;
using namespace skingan;

namespace {

class ExportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    test::write_ham_set(*dir_ / "src", test::make_rows({"nv", "mel"}, 4, 2), 40, 30);
    test::prepare_test_set(*dir_ / "src", *dir_ / "set", 32);
    for (auto [name, arch, per_class] :
         {std::tuple{"dcgan", "dcgan", false}, std::tuple{"acgan", "acgan", false},
          std::tuple{"cgan", "cgan", false}, std::tuple{"per_class", "dcgan", true}}) {
      test::train_tiny_gan(*dir_ / "set", *dir_ / name, arch, per_class, 3, 250);
    }
    // The generator path before resize upsampling became the default, and ADA.
    train_adjusted(*dir_ / "cgan_transposed", train::GanArch::kCgan,
                   [](train::GanConfig& c) { c.upsample = models::Upsample::kTransposed; });
    train_adjusted(*dir_ / "dcgan_ada", train::GanArch::kDcgan,
                   [](train::GanConfig& c) { c.ada_target = 0.6; });
    // progan stopped in the fade-in of 8x8 (6 images per phase, 4 per step: level 2.33 after 3
    // steps), and one trained at the full size from the start.
    train_adjusted(*dir_ / "progan_fade", train::GanArch::kProgan,
                   [](train::GanConfig& c) { c.phase_kimg = 0.006; });
    train_adjusted(*dir_ / "progan_full", train::GanArch::kProgan,
                   [](train::GanConfig& c) { c.phase_kimg = 0; });
    // One unconditional progan per class (as the per-class dcgan).
    train_adjusted(*dir_ / "progan_per_class", train::GanArch::kProgan, [](train::GanConfig& c) {
      c.per_class = true;
      c.phase_kimg = 0.006;
    });
    train_adjusted(*dir_ / "resnet", train::GanArch::kResnet, [](train::GanConfig&) {});
    train_adjusted(*dir_ / "resnet_per_class", train::GanArch::kResnet,
                   [](train::GanConfig& c) { c.per_class = true; });
    train_adjusted(*dir_ / "fastgan", train::GanArch::kFastgan, [](train::GanConfig&) {});
    train_adjusted(*dir_ / "fastgan_per_class_bilinear", train::GanArch::kFastgan,
                   [](train::GanConfig& c) {
                     c.per_class = true;
                     c.upsample = models::Upsample::kBilinear;
                   });
    for (auto [name, arch] : {std::pair{"resnet_bilinear", train::GanArch::kResnet},
                              std::pair{"cgan_bilinear", train::GanArch::kCgan}}) {
      train_adjusted(*dir_ / name, arch,
                     [](train::GanConfig& c) { c.upsample = models::Upsample::kBilinear; });
    }
    // The ResNet default is skip-bilinear ("resnet" above); nearest in both paths too, and
    // skip-bilinear-last (the last block's branch resized apart from the others').
    for (auto [name, upsample] :
         {std::pair{"resnet_nearest", models::Upsample::kResizeConv},
          std::pair{"resnet_skip_bilinear_last", models::Upsample::kSkipBilinearLast}}) {
      train_adjusted(*dir_ / name, train::GanArch::kResnet,
                     [u = upsample](train::GanConfig& c) { c.upsample = u; });
    }
  }
  // A tiny run as test::train_tiny_gan trains it (3 steps), with `adjust` applied to its config.
  template <typename Adjust>
  static void train_adjusted(const fs::path& run, train::GanArch arch, Adjust adjust) {
    train::GanRunOptions o;
    o.set_dir = *dir_ / "set";
    o.run_dir = run;
    o.progress = false;
    o.config = train::default_gan_config(arch);
    o.config.g_channels = o.config.d_channels = 4;
    o.config.latent_dim = 8;
    o.config.batch_size = 4;
    o.config.steps = 3;
    adjust(o.config);
    train::run_gan_training(o);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  // skingan's own images for z and labels: each sample from its class's EMA generator, with the
  // standing BatchNorm statistics `generate` samples with.
  static torch::Tensor skingan_images(const std::string& run_name, const torch::Tensor& z,
                                      const torch::Tensor& labels) {
    const models::GanRun run = models::read_gan_run(*dir_ / run_name);
    std::vector<torch::Tensor> out;
    torch::NoGradGuard no_grad;
    for (int64_t i = 0; i < z.size(0); ++i) {
      const auto unit = run.unit_for(run.classes[labels[i].item<int64_t>()]);
      auto c = models::load_gan_checkpoint(models::find_checkpoint(unit, -1), torch::kCPU);
      models::use_standing_statistics(c, /*use_ema=*/true);
      const torch::Tensor label =
          unit.label_index >= 0 ? labels.slice(0, i, i + 1) : torch::Tensor();
      out.push_back(c.generator_ema->forward(z.slice(0, i, i + 1), label));
    }
    return torch::cat(out);
  }

  static fs::path export_run(const std::string& run) {
    generate::ExportOptions o;
    o.run_dir = *dir_ / run;
    o.output = *dir_ / (run + ".pt");
    o.force = true;
    generate::export_generator(o);
    return o.output;
  }

  static test::TempDir* dir_;
};
test::TempDir* ExportTest::dir_ = nullptr;

// A python3 that imports torch, or "".
std::string python_with_torch() {
  for (const char* python : {"/usr/bin/python3", "python3"}) {
    const std::string command = std::string(python) + " -c 'import torch' >/dev/null 2>&1";
    if (std::system(command.c_str()) == 0) return python;
  }
  return "";
}

}  // namespace

TEST_F(ExportTest, TorchScriptModuleDrawsWhatSkinganDraws) {
  torch::manual_seed(1);
  const torch::Tensor z = torch::randn({6, 8});
  const torch::Tensor labels = torch::tensor({0, 1, 1, 0, 1, 0}, torch::kLong);
  for (const std::string run :
       {"dcgan", "acgan", "cgan", "per_class", "cgan_transposed", "dcgan_ada", "progan_fade",
        "progan_full", "progan_per_class", "resnet", "resnet_per_class", "resnet_bilinear",
        "resnet_nearest", "resnet_skip_bilinear_last", "cgan_bilinear", "fastgan",
        "fastgan_per_class_bilinear"}) {
    torch::jit::Module module = torch::jit::load(export_run(run).string());
    const torch::Tensor exported = module.forward({z, labels}).toTensor();
    const torch::Tensor expected = skingan_images(run, z, labels);
    // 1e-4: TorchScript's graph executor may order float operations differently (measured 4e-5
    // on the ten-convolution progan at 32 px; the other runs pass at 1e-5).
    EXPECT_TRUE(torch::allclose(exported, expected, 1e-4, 1e-4))
        << run << ": largest difference " << (exported - expected).abs().max().item<double>();
    EXPECT_EQ(module.attr("latent_dim").toInt(), 8);
    EXPECT_EQ(module.attr("classes").toList().size(), 2u) << run;  // the classes it saw
  }
  // The fade-in run really stopped mid-fade, so its export wrote the blended path.
  const models::GanRun fade = models::read_gan_run(*dir_ / "progan_fade");
  auto c = models::load_gan_checkpoint(
      models::find_checkpoint(fade.unit_for(fade.classes.front()), -1), torch::kCPU);
  EXPECT_NEAR(c.generator_ema->progressive()->level(), 2.0 + 1.0 / 3.0, 1e-6);
}

TEST_F(ExportTest, PythonLoadsTheExportAndMatchesSkinganForTheSameNoise) {
  const std::string python = python_with_torch();
  if (python.empty()) GTEST_SKIP() << "no python3 with torch here (apt install python3-torch)";
  torch::manual_seed(2);
  const torch::Tensor z = torch::randn({5, 8});
  const torch::Tensor labels = torch::tensor({1, 0, 1, 1, 0}, torch::kLong);
  for (const std::string run :
       {"cgan", "per_class", "cgan_transposed", "progan_fade", "resnet", "resnet_per_class",
        "resnet_bilinear", "resnet_nearest", "resnet_skip_bilinear_last", "fastgan",
        "fastgan_per_class_bilinear"}) {
    const fs::path exported = export_run(run);
    const torch::Tensor expected = skingan_images(run, z, labels);
    const std::vector<char> bytes =
        torch::jit::pickle_save(c10::IValue(c10::List<torch::Tensor>({z, labels, expected})));
    io::write_file_atomic(*dir_ / "inputs.pt", std::string(bytes.begin(), bytes.end()));
    // The README's lines, plus the comparison.
    test::write_text(*dir_ / "check.py",
                     "import sys, torch\n"
                     "g = torch.jit.load(sys.argv[1])\n"
                     "z, labels, expected = torch.load(sys.argv[2])\n"
                     "images = g(z, labels)\n"
                     "print('%.3g' % (images - expected).abs().max().item())\n");
    const std::string command = python + " " + (*dir_ / "check.py").string() + " " +
                                exported.string() + " " + (*dir_ / "inputs.pt").string() + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buffer[512];
    while (std::fgets(buffer, sizeof(buffer), pipe)) output += buffer;
    ASSERT_EQ(pclose(pipe), 0) << output;
    EXPECT_LT(std::stod(output), 1e-5) << run << ": " << output;
  }
}

TEST_F(ExportTest, RefusesToOverwriteWithoutForce) {
  const fs::path file = export_run("dcgan");
  generate::ExportOptions o;
  o.run_dir = *dir_ / "dcgan";
  o.output = file;
  try {
    generate::export_generator(o);
    FAIL() << "overwrote " << file;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
  }
}
