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
#include "eval/feature_model.h"
#include "eval/generative_metrics.h"
#include "io/files.h"
#include "models/classifier/classifier.h"
#include "models/gan/gan_checkpoint.h"
#include "models/gan/transposed_conv.h"
#include "train/gan_evaluator.h"
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
    models::GanCheckpoint cpu = models::load_gan_checkpoint(path, torch::kCPU);
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

  // skingan score's pieces: a feature classifier folder loaded on CUDA gives the CPU's features,
  // the metrics take CUDA tensors, and train-gan's evaluator scores a generator training on CUDA.
  {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "skingan_cuda_features";
    fs::create_directories(dir);
    torch::manual_seed(5);
    const auto options = models::ClassifierOptions().num_classes(3).image_size(32).width(8);
    models::Classifier model(options);
    torch::serialize::OutputArchive archive;
    model->save(archive);
    archive.save_to((dir / "best.pt").string());
    const nlohmann::json config = {{"model", models::to_json(options)},
                                   {"classes", {"a", "b", "c"}},
                                   {"train_sets", {"(device check)"}}};
    io::write_file_atomic(dir / "config.json", config.dump());
    const auto on_cpu = eval::FeatureModel::open(dir, torch::kCPU);
    const auto on_gpu = eval::FeatureModel::open(dir, cuda);
    const torch::Tensor x = torch::randint(0, 256, {48, 3, 32, 32}, torch::kByte);
    torch::Tensor p_cpu, p_gpu;
    const torch::Tensor f_cpu = on_cpu.extract(x, 16, &p_cpu),
                        f_gpu = on_gpu.extract(x, 16, &p_gpu);
    const double d = std::max(max_diff(f_cpu, f_gpu), max_diff(p_cpu, p_gpu));
    check(d < 1e-3 && f_gpu.device().is_cpu(),
          "feature model cuda vs cpu (features and probabilities), max diff " + std::to_string(d));
    const double fid_cpu = eval::frechet_distance(f_cpu.slice(0, 0, 24), f_cpu.slice(0, 24));
    const double fid_gpu =
        eval::frechet_distance(f_gpu.slice(0, 0, 24).to(cuda), f_gpu.slice(0, 24).to(cuda));
    check(std::abs(fid_cpu - fid_gpu) < 1e-3 * std::max(1.0, fid_cpu),
          "FID of CUDA features " + std::to_string(fid_gpu) + " vs CPU " + std::to_string(fid_cpu));
    train::GanConfig gan = train::default_gan_config(train::GanArch::kCgan);
    gan.image_size = 32;
    gan.g_channels = gan.d_channels = 8;
    gan.batch_size = 16;
    train::GanTrainer trainer(gan, x, torch::arange(48, torch::kLong) % 3, 3, cuda);
    trainer.train_step();
    std::vector<train::EvalClass> reference;
    for (int64_t k = 0; k < 3; ++k)
      reference.push_back({std::string(1, 'a' + k), k, x.slice(0, 16 * k, 16 * k + 16)});
    const train::GanEvaluator evaluator(on_gpu, reference, 16, 1, gan.latent_dim);
    const nlohmann::json scored = evaluator.evaluate(trainer);
    check(std::isfinite(scored.at("kid").get<double>()) && scored.at("kid_per_class").size() == 3,
          "train-gan --eval-every on CUDA: KID " + scored.at("kid").dump());
    // Not fs::remove_all: PyTorch 2.11's wheel exports its own std::filesystem::remove_all from
    // libtorch.so, which crashes (a call through a null pointer) when it wins symbol resolution.
    for (const char* f : {"best.pt", "config.json"}) fs::remove(dir / f);
    fs::remove(dir);
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
