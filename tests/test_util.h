// Helpers shared by the tests: temporary folders and tiny data sets written on the fly.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <opencv2/core.hpp>

#include "dist/process_group.h"
#include "train/gan_config.h"

namespace skingan::test {

// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_text(const std::filesystem::path& path, const std::string& text);

// A small BGR image: a skin-toned background with a dark disc whose colour depends on `seed`.
cv::Mat make_lesion_image(int width, int height, int seed);

// Writes `image` as JPEG or PNG (by extension).
void write_image(const std::filesystem::path& path, const cv::Mat& image);

struct TinyRow {
  std::string lesion, image, dx;
};

// HAM10000 layout: ROOT/HAM10000_metadata.csv and the images split over two part folders.
void write_ham_set(const std::filesystem::path& root, const std::vector<TinyRow>& rows,
                   int width = 40, int height = 30);

// A balanced HAM-layout set: `lesions_per_class` lesions of each class in `classes`,
// `views` images per lesion.
std::vector<TinyRow> make_rows(const std::vector<std::string>& classes, int lesions_per_class,
                               int views);

// Prepares the HAM-layout folder `source` at `size` px into `output` (no progress output).
void prepare_test_set(const std::filesystem::path& source, const std::filesystem::path& output,
                      int size);

// Trains a tiny GAN run (widths 4, latent 8, batch 4) of `arch` ("dcgan", "acgan", "cgan";
// per_class for dcgan) on `set` for `steps` steps, checkpointing every `checkpoint_every`.
void train_tiny_gan(const std::filesystem::path& set, const std::filesystem::path& run,
                    const std::string& arch, bool per_class, int steps, int checkpoint_every);

// Trains a small CNN classifier (width `width`, batch `batch`) on `set`'s training split into
// `model_dir` for `epochs` epochs: a feature model for score and --eval-every tests.
void train_tiny_classifier(const std::filesystem::path& set, const std::filesystem::path& model_dir,
                           int width, int epochs, int batch);

// 16 uint8 images [16,3,32,32]: reddish (label 0) and bluish (label 1) with noise, seeded.
std::pair<torch::Tensor, torch::Tensor> two_colour_images();

// The skingan executable built with the tests (for end-to-end CLI runs).
std::filesystem::path skingan_binary();

// Runs `args` (args[0] the program) to the end with stdout and stderr in `log`; its exit code.
int run_to_end(const std::vector<std::string>& args, const std::filesystem::path& log);

// Starts `args` as a child process writing stdout and stderr to `log`, with `env` added to its
// environment; its pid.
pid_t start_process(const std::vector<std::string>& args, const std::filesystem::path& log,
                    const std::vector<std::pair<std::string, std::string>>& env = {});

// Whether the process at `proc` (/proc/PID) is gone, dead or on its way out: no such folder,
// state Z or X, or any of its threads exiting (PF_EXITING) or with SIGKILL pending. The kernel
// queues a parent-death SIGKILL while the parent exits, so right after waitpid() on the parent
// its children that armed one are dying by this test: no waiting needed.
bool process_dying(const std::filesystem::path& proc);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and released).
int free_tcp_port();

// A GAN small enough for unit tests: 32 px, latent 16, widths 8, batch 8, seed 5; progan grows
// every 3 steps (phase_kimg 0.024), so a few steps cross 4x4, a fade-in and 8x8.
train::GanConfig tiny_gan_config(train::GanArch arch);

// Runs body(group) as ranks 0 and 1 of a real TCPStore + Gloo group on two threads of this
// process, each with its group active; rethrows the first failure.
void on_two_ranks(const std::function<void(dist::ProcessGroup&)>& body);

// The repository root (for files the tests read from it, such as docs/study.example.toml).
std::filesystem::path source_dir();

// Runs `body`, which must throw `Expected` with `fragment` in its message (a test failure
// otherwise, naming what was expected).
template <class Expected, class Body>
void expect_refusal(Body&& body, const std::string& fragment) {
  try {
    body();
    ADD_FAILURE() << "accepted; expected a refusal naming: " << fragment;
  } catch (const Expected& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace skingan::test
