// Device check for `--device cuda`: every tensor path of the GAN trainer, the classifier, both
// augmentations and generation runs on the GPU and agrees with the CPU where it should.
// Prints one line per check and exits non-zero on the first failure. Built by
// bench/cuda_smoke/CMakeLists.txt against a CUDA LibTorch (scripts/device_check.sh).
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "augment/classic.h"
#include "augment/diff_augment.h"
#include "models/classifier/classifier.h"
#include "models/gan/transposed_conv.h"
#include "train/gan_checkpoint.h"
#include "train/gan_trainer.h"

using namespace skingan;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  std::fflush(stdout);
  if (!ok) ++failures;
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kCPU) - b.to(torch::kCPU)).abs().max().item<double>();
}

}  // namespace

int main() {
  if (!torch::cuda::is_available()) {
    std::printf("no CUDA device\n");
    return 2;
  }
  const torch::Device cuda(torch::kCUDA, 0);
  std::printf("LibTorch %s, CUDA devices: %d\n", TORCH_VERSION,
              static_cast<int>(torch::cuda::device_count()));

  // Transposed convolution: the CUDA path (standard op) equals the CPU path (oneDNN formulation).
  {
    torch::manual_seed(0);
    const torch::Tensor x = torch::randn({4, 16, 8, 8}), w = torch::randn({16, 8, 4, 4}) * 0.1;
    const double d = max_diff(models::transposed_conv2d(x, w, 2, 1),
                              models::transposed_conv2d(x.to(cuda), w.to(cuda), 2, 1));
    check(d < 1e-3, "transposed_conv2d cuda vs cpu, max diff " + std::to_string(d));
  }

  // GAN trainer on CUDA: each architecture trains, stays finite, round-trips a checkpoint.
  torch::manual_seed(1);
  const torch::Tensor images = torch::randint(0, 256, {64, 3, 32, 32}, torch::kByte);
  const torch::Tensor labels = torch::arange(64, torch::kLong) % 3;
  for (auto arch : {train::GanArch::kDcgan, train::GanArch::kAcgan, train::GanArch::kCgan}) {
    train::GanConfig config = train::default_gan_config(arch);
    config.image_size = 32;
    config.g_channels = config.d_channels = 16;
    config.batch_size = 16;
    config.r1_gamma = arch == train::GanArch::kCgan ? 1.0 : 0.0;
    const int64_t classes = arch == train::GanArch::kDcgan ? 1 : 3;
    train::GanTrainer trainer(config, images, labels, classes, cuda);
    train::GanStepMetrics m;
    for (int i = 0; i < 5; ++i) m = trainer.train_step();
    check(std::isfinite(m.d_loss) && std::isfinite(m.g_loss),
          train::gan_arch_name(arch) + " trains on cuda (d " + std::to_string(m.d_loss) + ", g " +
              std::to_string(m.g_loss) + ")");
    const torch::Tensor z = torch::randn({6, config.latent_dim});
    const torch::Tensor y = torch::tensor({0, 1, 2, 0, 1, 2}, torch::kLong);
    const torch::Tensor out = trainer.generate(z, y, true);
    check(out.device().is_cuda() && out.sizes() == torch::IntArrayRef({6, 3, 32, 32}),
          train::gan_arch_name(arch) + " generates on cuda");
    const auto path = std::filesystem::temp_directory_path() / "cuda_smoke.pt";
    trainer.save(path);
    train::GanTrainer restored(config, images, labels, classes, cuda);
    restored.load(path);
    // cuDNN may pick different (equally valid) algorithms per call, so bit equality is not
    // guaranteed on the GPU: report it, and require agreement to float rounding.
    const torch::Tensor again = trainer.generate(z, y, true);
    const torch::Tensor back = restored.generate(z, y, true);
    check(max_diff(out, back) < 1e-5,
          train::gan_arch_name(arch) + " checkpoint round trip on cuda (max diff " +
              std::to_string(max_diff(out, back)) +
              "; bit-equal: " + (torch::equal(out, back) ? "yes" : "no") +
              "; same trainer twice bit-equal: " + (torch::equal(out, again) ? "yes" : "no") + ")");
    train::GanCheckpoint cpu = train::load_gan_checkpoint(path, torch::kCPU);
    const torch::Tensor labels_or_none = classes > 1 ? y : torch::Tensor();
    torch::NoGradGuard no_grad;
    const double d = max_diff(cpu.generator_ema->forward(z, labels_or_none), out);
    check(d < 1e-3, train::gan_arch_name(arch) +
                        " cuda checkpoint loads on the cpu, same images (max diff " +
                        std::to_string(d) + ")");
  }

  // Augmentations on CUDA (random draws on the CPU generator: same parameters as on the CPU).
  {
    const torch::Tensor x = torch::rand({8, 3, 32, 32});
    at::Generator g1 = at::make_generator<at::CPUGeneratorImpl>(3);
    at::Generator g2 = at::make_generator<at::CPUGeneratorImpl>(3);
    const auto policy = augment::parse_classic_policy("classic");
    const double d = max_diff(augment::classic_augment(x, policy, g1),
                              augment::classic_augment(x.to(cuda), policy, g2));
    check(d < 1e-3, "classic augmentation cuda vs cpu, max diff " + std::to_string(d));
    at::Generator g3 = at::make_generator<at::CPUGeneratorImpl>(4);
    const torch::Tensor a =
        augment::diff_augment((x.to(cuda) * 2 - 1).requires_grad_(),
                              augment::parse_diff_augment("color,translation,cutout"), g3);
    check(a.device().is_cuda(), "DiffAugment on cuda");
  }

  // Classifier: CUDA probabilities equal the CPU's for the same weights.
  {
    torch::manual_seed(5);
    models::Classifier model(models::ClassifierOptions().num_classes(7).image_size(64).width(32));
    const torch::Tensor x = torch::randint(0, 256, {16, 3, 64, 64}, torch::kByte);
    const torch::Tensor cpu = models::predict_probabilities(model, x, 8, torch::kCPU);
    model->to(cuda);
    const torch::Tensor gpu = models::predict_probabilities(model, x, 8, cuda, true);
    const torch::Tensor gpu_plain = models::predict_probabilities(model, x, 8, cuda);
    const double d = max_diff(cpu, gpu_plain);
    check(d < 1e-3 && gpu.sizes() == cpu.sizes(),
          "classifier cuda vs cpu, max diff " + std::to_string(d));
  }

  // Classifier with a TorchScript backbone: moves to CUDA with its registered weights, agrees
  // with the CPU and trains a step there.
  {
    torch::manual_seed(6);
    torch::jit::Module m("TinyBackbone");
    m.register_parameter("weight", torch::randn({8, 3, 3, 3}) * 0.3, false);
    m.define(
        "def forward(self, x):\n    return torch.relu(torch.conv2d(x, self.weight, None, 1, 1))\n");
    const std::string file = "/tmp/skingan_cuda_smoke_backbone.pt";
    m.save(file);
    models::Classifier model(models::ClassifierOptions()
                                 .arch(models::ClassifierArch::kBackbone)
                                 .num_classes(3)
                                 .image_size(32)
                                 .backbone(file));
    const torch::Tensor x = torch::randint(0, 256, {8, 3, 32, 32}, torch::kByte);
    const torch::Tensor cpu = models::predict_probabilities(model, x, 8, torch::kCPU);
    model->to(cuda);
    const torch::Tensor gpu = models::predict_probabilities(model, x, 8, cuda);
    torch::optim::AdamW optimizer(model->parameters());
    model->train();
    const torch::Tensor loss =
        torch::nn::functional::cross_entropy(model->forward(models::normalize_images(x.to(cuda))),
                                             torch::zeros({8}, torch::kLong).to(cuda));
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    const double d = max_diff(cpu, gpu);
    check(d < 1e-3 && std::isfinite(loss.item<double>()),
          "backbone classifier cuda vs cpu, max diff " + std::to_string(d) + ", a training step");
  }

  // Speed: the DCGAN step of bench_gan_step (64 px, width 64, batch 64) on this GPU.
  {
    train::GanConfig config = train::default_gan_config(train::GanArch::kDcgan);
    config.image_size = 64;
    config.g_channels = config.d_channels = 64;
    config.batch_size = 64;
    config.diff_augment = augment::DiffAugmentPolicy();
    config.ema_decay = 0;
    const torch::Tensor big = torch::randint(0, 256, {512, 3, 64, 64}, torch::kByte);
    train::GanTrainer trainer(config, big, torch::zeros({512}, torch::kLong), 1, cuda);
    for (int i = 0; i < 5; ++i) trainer.train_step();
    torch::cuda::synchronize();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i) trainer.train_step();
    torch::cuda::synchronize();
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("info DCGAN step, 64 px, width 64, batch 64: %.0f images/s on this GPU\n",
                50 * 64 / s);
  }
  std::printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
  return failures ? 1 : 0;
}
