// GAN training on a GPU node that has only LibTorch (PyTorch's wheel): no OpenCV, so no prepared
// set reader and no sample grids. It trains one GanTrainer on images exported from a prepared
// set's training split and writes a run folder that the full skingan reads back on any machine
// (`skingan generate --run RUN`, `skingan score`): config.json, checkpoints/step_N.pt (models
// only) and metrics.jsonl, with the full checkpoints for resuming under full/. Until the whole CLI
// builds on CUDA (issue 13), this is how a longer GPU budget reaches the generators.
//
//   cuda_gan_train --images train.u8 --labels train.labels --classes akiec,bcc,... --size 64
//                  --set /abs/prepared/set --fingerprint F -o RUN [--arch cgan] [--width 64]
//                  [--steps N] [--max-seconds S] [--checkpoint-every N] [--seed N]
//                  [--upsample resize|transposed] [--ada-target T] [--device cuda]
// train.u8: uint8 RGB CHW images back to back; train.labels: one class index per line.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "../bench_flags.h"
#include "models/gan/gan_checkpoint.h"
#include "train/gan_trainer.h"

namespace fs = std::filesystem;
using namespace skingan;

namespace {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

torch::Tensor read_images(const fs::path& file, int64_t size) {
  std::ifstream in(file, std::ios::binary);
  TORCH_CHECK(in, "cannot open ", file.string());
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const int64_t image_bytes = 3 * size * size;
  TORCH_CHECK(!bytes.empty() && bytes.size() % image_bytes == 0, file.string(), " holds ",
              bytes.size(), " bytes, not a whole number of ", size, " px RGB images");
  const int64_t n = static_cast<int64_t>(bytes.size()) / image_bytes;
  return torch::from_blob(bytes.data(), {n, 3, size, size}, torch::kByte).clone();
}

torch::Tensor read_labels(const fs::path& file) {
  std::ifstream in(file);
  TORCH_CHECK(in, "cannot open ", file.string());
  std::vector<int64_t> labels;
  for (int64_t v; in >> v;) labels.push_back(v);
  return torch::tensor(labels, torch::kLong);
}

// The parts of a checkpoint that generate, score and export-generator read (models, step, class
// count, config), without the optimiser states: a third of the size, so a GPU node can hand it
// back. Resuming training needs the full checkpoint.
void write_sampling_checkpoint(const fs::path& full, const fs::path& slim) {
  models::GanCheckpoint c = models::load_gan_checkpoint(full, torch::kCPU);
  torch::serialize::OutputArchive archive;
  auto sub = [&](const char* key, torch::nn::Module& module) {
    torch::serialize::OutputArchive part;
    module.save(part);
    archive.write(key, part);
  };
  sub("generator", *c.generator);
  sub("discriminator", *c.discriminator);
  if (c.generator_ema) sub("generator_ema", *c.generator_ema);
  archive.write("step", torch::tensor({c.step}, torch::kLong));
  archive.write("num_classes", torch::tensor({c.num_classes}, torch::kLong));
  // The trainer's whole configuration, as the full checkpoint stored it (c.config holds only
  // the model part).
  torch::serialize::InputArchive stored;
  stored.load_from(full.string(), torch::kCPU);
  c10::IValue config;
  stored.try_read("config", config);
  archive.write("config", config);
  archive.save_to(slim.string());
}

}  // namespace

int main(int argc, char** argv) {
  std::string images_file, labels_file, classes_text, set_dir, fingerprint, out, arch = "cgan";
  std::string upsample = "resize", device_name = "cuda";
  int64_t size = 64, width = 64, steps = 20000, checkpoint_every = 2500, seed = 1;
  double max_seconds = 300, ada_target = 0;
  if (!bench::parse_flags(
          argc, argv,
          {{"--images", [&](const std::string& v) { images_file = v; }},
           {"--labels", [&](const std::string& v) { labels_file = v; }},
           {"--classes", [&](const std::string& v) { classes_text = v; }},
           {"--set", [&](const std::string& v) { set_dir = v; }},
           {"--fingerprint", [&](const std::string& v) { fingerprint = v; }},
           {"-o", [&](const std::string& v) { out = v; }},
           {"--arch", [&](const std::string& v) { arch = v; }},
           {"--upsample", [&](const std::string& v) { upsample = v; }},
           {"--device", [&](const std::string& v) { device_name = v; }},
           {"--size", [&](const std::string& v) { size = std::stoll(v); }},
           {"--width", [&](const std::string& v) { width = std::stoll(v); }},
           {"--steps", [&](const std::string& v) { steps = std::stoll(v); }},
           {"--checkpoint-every", [&](const std::string& v) { checkpoint_every = std::stoll(v); }},
           {"--seed", [&](const std::string& v) { seed = std::stoll(v); }},
           {"--max-seconds", [&](const std::string& v) { max_seconds = std::stod(v); }},
           {"--ada-target", [&](const std::string& v) { ada_target = std::stod(v); }}}) ||
      out.empty() || images_file.empty()) {
    std::fprintf(stderr, "usage: see the comment at the top of cuda_gan_train.cpp\n");
    return 2;
  }
  const torch::Device device(device_name);
  const std::vector<std::string> classes = split_commas(classes_text);
  const torch::Tensor images = read_images(images_file, size);
  const torch::Tensor labels = read_labels(labels_file);
  TORCH_CHECK(labels.size(0) == images.size(0), "labels and images differ in count");

  train::GanConfig config = train::default_gan_config(train::parse_gan_arch(arch));
  config.image_size = size;
  config.g_channels = config.d_channels = width;
  config.steps = steps;
  config.seed = static_cast<uint64_t>(seed);
  config.checkpoint_every = checkpoint_every;
  config.upsample = models::parse_upsample(upsample);
  config.ada_target = ada_target;
  train::validate(config);
  const int64_t num_classes = train::is_conditional(config) ? classes.size() : 1;

  fs::create_directories(fs::path(out) / "checkpoints");
  const nlohmann::json run_config = {
      {"gan", train::to_json(config)},
      {"set", set_dir},
      {"set_fingerprint", fingerprint},
      {"classes", classes},
      {"trained_by", "bench/cuda_smoke/cuda_gan_train on " + device.str()}};
  std::ofstream(fs::path(out) / "config.json") << run_config.dump(2) << "\n";
  std::ofstream metrics(fs::path(out) / "metrics.jsonl");

  train::GanTrainer trainer(config, images, labels, num_classes, device);
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::printf("%lld images, %lld classes, %s width %lld on %s\n",
              static_cast<long long>(images.size(0)), static_cast<long long>(num_classes),
              arch.c_str(), static_cast<long long>(width), device.str().c_str());
  double last_log = 0;
  int64_t last_step = 0;
  while (trainer.step() < steps) {
    const train::GanStepMetrics m = trainer.train_step();
    const bool stop = elapsed() > max_seconds || m.step == steps;
    if (m.step % 100 == 0 || stop) {
      const double now = elapsed();
      const nlohmann::json line = {
          {"step", m.step},
          {"d_loss", m.d_loss},
          {"g_loss", m.g_loss},
          {"r_t", m.r_t},
          {"ada_p", m.ada_p},
          {"level", m.level},
          {"seconds", now},
          {"images_per_second", (m.step - last_step) * config.batch_size / (now - last_log)}};
      metrics << line.dump() << "\n" << std::flush;
      last_log = now;
      last_step = m.step;
    }
    if (m.step % 1000 == 0 || stop) {
      std::printf("step %lld  %.0f s  %.0f images/s\n", static_cast<long long>(m.step), elapsed(),
                  m.step * config.batch_size / elapsed());
      std::fflush(stdout);
    }
    if (m.step % checkpoint_every == 0 || stop) {
      const fs::path full = fs::path(out) / "full" / models::checkpoint_file_name(m.step);
      fs::create_directories(full.parent_path());
      trainer.save(full);
      write_sampling_checkpoint(
          full, fs::path(out) / "checkpoints" / models::checkpoint_file_name(m.step));
    }
    if (stop) break;
  }
  std::printf("trained %lld steps in %.0f s (%.0f images/s)\n",
              static_cast<long long>(trainer.step()), elapsed(),
              trainer.step() * config.batch_size / elapsed());
  return 0;
}
