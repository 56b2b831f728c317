// Synthetic-set generation throughput: images/s of `skingan generate` end to end (sampling,
// scoring, PNG + cache + manifest writing) at 64 and 128 px, with and without discriminator
// filtering, for a projection cGAN of the default width (g/d channels 64). Speed does not
// depend on what the weights have learned, so the run is trained for a single step on demo data
// made in a temporary folder.
//
//   bench_generate [--per-class N] [--threads N]
#include <chrono>
#include <cstdio>
#include <string>

#include <torch/torch.h>

#include "bench_flags.h"
#include "core/memory.h"
#include "core/threads.h"
#include "data/demo_data.h"
#include "data/prepare.h"
#include "generate/synthetic_set.h"
#include "train/gan_run.h"

using namespace skingan;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  int64_t per_class = 200;
  int threads = 0;
  if (!bench::parse_flags(
          argc, argv,
          {{"--per-class", [&](const std::string& v) { per_class = std::stoll(v); }},
           {"--threads", [&](const std::string& v) { threads = std::stoi(v); }}}))
    return 2;
  const ThreadSettings settings = configure_threads(threads);
  const fs::path dir = fs::temp_directory_path() / ("bench_generate_" + std::to_string(getpid()));
  fs::create_directories(dir);
  data::DemoDataOptions demo;
  demo.output = dir / "demo";
  demo.lesions = 60;
  data::make_demo_data(demo);
  std::printf("threads: torch %d; %lld images per class, 5 classes, cGAN g/d channels 64\n\n",
              settings.torch_threads, static_cast<long long>(per_class));
  std::printf("| size | filter | images/s | candidates/s | seconds | peak RSS (MiB) |\n");
  std::printf("| ---: | --- | ---: | ---: | ---: | ---: |\n");
  for (int size : {64, 128}) {
    data::PrepareOptions prepare;
    prepare.source.root = dir / "demo";
    prepare.output = dir / ("set" + std::to_string(size));
    prepare.preprocess.size = size;
    prepare.progress = false;
    data::prepare_dataset(prepare);
    train::GanRunOptions run;
    run.set_dir = prepare.output;
    run.run_dir = dir / ("run" + std::to_string(size));
    run.progress = false;
    run.config = train::default_gan_config(train::GanArch::kCgan);
    run.config.steps = 1;
    train::run_gan_training(run);
    for (bool filter : {false, true}) {
      generate::GenerateOptions o;
      o.run_dir = run.run_dir;
      o.output = dir / ("out" + std::to_string(size) + (filter ? "f" : ""));
      o.count = {generate::CountRequest::Kind::kPerClass, per_class};
      o.filter = filter;
      o.keep = filter ? 0.5 : 1.0;
      o.progress = false;
      reset_peak_rss();
      const generate::GenerateResult r = generate::generate_synthetic_set(o);
      std::printf("| %d | %s | %.1f | %.1f | %.2f | %.0f |\n", size,
                  filter ? "discriminator, keep 0.5" : "none", r.images / r.seconds,
                  r.candidates / r.seconds, r.seconds,
                  static_cast<double>(peak_rss_bytes()) / (1 << 20));
      std::fflush(stdout);
    }
  }
  fs::remove_all(dir);
  return 0;
}
