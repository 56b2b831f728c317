// `skingan score` costs: feature extraction throughput (images/s of the default feature space,
// the penultimate layer of a ResNet-18-style classifier, at 64 px) and the time of each metric
// for 10,000 real x 10,000 synthetic feature vectors, with peak memory. Speed does not depend on
// trained weights, so the classifier is freshly initialised and the features are Gaussian.
//
//   bench_score [--images N] [--features-images N] [--threads N]
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include <torch/torch.h>

#include "bench_flags.h"
#include "core/memory.h"
#include "core/threads.h"
#include "eval/feature_model.h"
#include "eval/generative_metrics.h"
#include "io/files.h"
#include "models/classifier/classifier.h"

using namespace skingan;
namespace fs = std::filesystem;

namespace {

double seconds_of(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double mib(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// A model folder as train-classifier writes it, with untrained weights.
void write_model_folder(const fs::path& dir, int64_t width) {
  fs::create_directories(dir);
  const auto options = models::ClassifierOptions().num_classes(7).image_size(64).width(width);
  models::Classifier model(options);
  torch::serialize::OutputArchive archive;
  model->save(archive);
  archive.save_to((dir / "best.pt").string());
  const nlohmann::json config = {{"model", models::to_json(options)},
                                 {"classes", {"akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"}},
                                 {"train_sets", {"(benchmark: untrained)"}}};
  io::write_file_atomic(dir / "config.json", config.dump(2));
}

}  // namespace

int main(int argc, char** argv) {
  int64_t images = 10000, feature_images = 2048;
  int threads = 0;
  if (!bench::parse_flags(
          argc, argv,
          {{"--images", [&](const std::string& v) { images = std::stoll(v); }},
           {"--features-images", [&](const std::string& v) { feature_images = std::stoll(v); }},
           {"--threads", [&](const std::string& v) { threads = std::stoi(v); }}}))
    return 2;
  const ThreadSettings settings = configure_threads(threads);
  const fs::path dir = fs::temp_directory_path() / ("bench_score_" + std::to_string(getpid()));
  std::printf("threads: torch %d\n\n## feature extraction (%lld images, 64 px, batch 256)\n\n",
              settings.torch_threads, static_cast<long long>(feature_images));
  std::printf(
      "| feature model | dimensions | images/s | peak RSS (MiB) |\n| --- | ---: | ---: | ---: |\n");
  torch::manual_seed(1);
  const torch::Tensor pixels = torch::randint(0, 256, {feature_images, 3, 64, 64}, torch::kByte);
  for (int64_t width : {32, 64}) {
    write_model_folder(dir / ("w" + std::to_string(width)), width);
    const auto model = eval::FeatureModel::open(dir / ("w" + std::to_string(width)), torch::kCPU);
    model.extract(pixels.slice(0, 0, 256));  // warm-up (oneDNN primitive creation)
    reset_peak_rss();
    torch::Tensor f;
    const double s = seconds_of([&] { f = model.extract(pixels); });
    std::printf("| resnet18 width %lld, penultimate layer | %lld | %.1f | %.0f |\n",
                static_cast<long long>(width), static_cast<long long>(f.size(1)),
                static_cast<double>(feature_images) / s, mib(peak_rss_bytes()));
  }
  fs::remove_all(dir);

  std::printf("\n## metrics, %lld real x %lld synthetic vectors\n\n",
              static_cast<long long>(images), static_cast<long long>(images));
  std::printf("| metric | dimensions | seconds | peak RSS (MiB) |\n| --- | ---: | ---: | ---: |\n");
  auto row = [&](const char* name, int64_t d, const std::function<void()>& work) {
    reset_peak_rss();
    const double s = seconds_of(work);
    std::printf("| %s | %lld | %.2f | %.0f |\n", name, static_cast<long long>(d), s,
                mib(peak_rss_bytes()));
    std::fflush(stdout);
  };
  for (int64_t d : {256, 512}) {
    const torch::Tensor real = torch::randn({images, d});
    const torch::Tensor fake = torch::randn({images, d}) * 1.1 + 0.1;
    row("FID", d, [&] { eval::frechet_distance(real, fake); });
    row("KID (100 subsets of 1000)", d, [&] { eval::kernel_inception_distance(real, fake); });
    row("precision/recall (k=3)", d, [&] { eval::precision_recall(real, fake, 3); });
    row("density/coverage (k=5)", d, [&] { eval::density_coverage(real, fake, 5); });
    row("nearest training image (features)", d, [&] { eval::nearest_neighbours(fake, real); });
  }
  // The copy audit in pixel space: 64 px RGB = 12,288 values per image, 2,000 x 4,000 (a large
  // class: its synthetic images against its training images).
  const torch::Tensor a = torch::rand({2000, 3 * 64 * 64}), b = torch::rand({4000, 3 * 64 * 64});
  row("nearest training image (pixels, 2,000 x 4,000)", 3 * 64 * 64,
      [&] { eval::nearest_neighbours(a, b); });
  return 0;
}
