// What the checks in front of LibTorch cost when a weights file is opened:
// io::check_archive_records (the code records' grammar and the pickles' walk, io/archive_code.h and
// io/archive_pickle.h) against LibTorch's own InputArchive::load_from of the same file, in the same
// process, for archives of the shape skingan writes (nested module archives of many tensors plus
// Adam-like state) at three sizes. Median of --repeats runs each; the file is read from the page
// cache.
//
//   bench_archive_check [--repeats N]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/torch.h>

#include "bench_flags.h"
#include "io/archive_code.h"

using namespace skingan;
namespace fs = std::filesystem;

namespace {

// `modules` nested archives of `tensors_each` float tensors sharing `megabytes` in all, each
// with a BatchNorm-like buffer, plus a step counter: the tree OutputArchive writes for
// generator, discriminator, EMA copy and optimiser state.
void write_archive(const fs::path& path, int modules, int tensors_each, double megabytes) {
  const auto per_tensor =
      static_cast<int64_t>(megabytes * 1024 * 1024 / 4 / modules / tensors_each);
  torch::serialize::OutputArchive root;
  for (int m = 0; m < modules; ++m) {
    torch::serialize::OutputArchive module;
    for (int t = 0; t < tensors_each; ++t) {
      module.write("layer" + std::to_string(t) + ".weight", torch::randn({per_tensor}));
      module.write("layer" + std::to_string(t) + ".running_mean", torch::zeros({8}),
                   /*is_buffer=*/true);
    }
    root.write("module" + std::to_string(m), module);
  }
  root.write("step", torch::tensor(int64_t{1234}));
  root.save_to(path.string());
}

template <typename F>
double median_ms(int repeats, F&& run) {
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = 7;
  if (!bench::parse_flags(argc, argv,
                          {{"--repeats", [&](const std::string& v) { repeats = std::stoi(v); }}}))
    return 2;
  torch::set_num_threads(1);
  const fs::path dir =
      fs::temp_directory_path() / ("bench_archive_check_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::printf(
      "| archive | tensors | file MiB | LibTorch load_from ms | check ms | check / load |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
  struct Shape {
    const char* name;
    int modules, tensors_each;
    double megabytes;
  };
  for (const Shape& shape : {Shape{"small GAN", 4, 40, 4}, Shape{"ResNet GAN", 6, 80, 32},
                             Shape{"large classifier", 3, 120, 256}}) {
    const fs::path file = dir / "archive.pt";
    write_archive(file, shape.modules, shape.tensors_each, shape.megabytes);
    const double load = median_ms(repeats, [&] {
      torch::serialize::InputArchive archive;
      archive.load_from(file.string(), torch::kCPU);
    });
    const double check = median_ms(repeats, [&] { io::check_archive_records(file); });
    std::printf("| %s | %d | %.1f | %.1f | %.1f | %.2f |\n", shape.name,
                shape.modules * shape.tensors_each * 2 + 1,
                static_cast<double>(fs::file_size(file)) / (1024.0 * 1024.0), load, check,
                check / load);
  }
  fs::remove_all(dir);
  return 0;
}
