#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "data/prepare.h"
#include "io/files.h"
#include "train/classifier_run.h"
#include "train/gan_run.h"

namespace fs = std::filesystem;

namespace skingan::test {

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "skingan-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

cv::Mat make_lesion_image(int width, int height, int seed) {
  cv::Mat image(height, width, CV_8UC3, cv::Scalar(150, 175, 215));
  const cv::Scalar colour(30 + (seed * 37) % 80, 50 + (seed * 53) % 60, 80 + (seed * 29) % 90);
  cv::circle(image, cv::Point(width / 2, height / 2), std::min(width, height) / 3, colour,
             cv::FILLED);
  return image;
}

void write_image(const fs::path& path, const cv::Mat& image) {
  fs::create_directories(path.parent_path());
  if (!cv::imwrite(path.string(), image)) throw std::runtime_error("imwrite " + path.string());
}

void write_ham_set(const fs::path& root, const std::vector<TinyRow>& rows, int width, int height) {
  std::string csv = "lesion_id,image_id,dx,dx_type,age,sex,localization\n";
  int n = 0;
  for (const auto& row : rows) {
    csv += row.lesion + "," + row.image + "," + row.dx + ",histo,50.0,male,back\n";
    const char* part = n++ % 2 ? "HAM10000_images_part_2" : "HAM10000_images_part_1";
    write_image(root / part / (row.image + ".jpg"), make_lesion_image(width, height, n));
  }
  write_text(root / "HAM10000_metadata.csv", csv);
}

std::vector<TinyRow> make_rows(const std::vector<std::string>& classes, int lesions_per_class,
                               int views) {
  std::vector<TinyRow> rows;
  int image = 0;
  for (const auto& dx : classes) {
    for (int l = 0; l < lesions_per_class; ++l) {
      for (int v = 0; v < views; ++v) {
        rows.push_back({"L_" + dx + std::to_string(l), "IMG_" + std::to_string(image++), dx});
      }
    }
  }
  return rows;
}

fs::path skingan_binary() {
  const char* env = std::getenv("SKINGAN_TEST_BINARY");
  return env ? fs::path(env) : fs::path("skingan");
}

std::pair<torch::Tensor, torch::Tensor> two_colour_images() {
  torch::manual_seed(8);
  const torch::Tensor colours = torch::tensor({{200.0, 60.0, 50.0}, {40.0, 70.0, 190.0}});
  const torch::Tensor labels = torch::arange(16, torch::kLong) % 2;
  const torch::Tensor images =
      (colours.index_select(0, labels).view({16, 3, 1, 1}) + torch::randn({16, 3, 32, 32}) * 30)
          .clamp(0, 255)
          .to(torch::kByte);
  return {images, labels};
}

fs::path source_dir() { return SKINGAN_SOURCE_DIR; }

void train_tiny_classifier(const fs::path& set, const fs::path& model_dir, int width, int epochs,
                           int batch) {
  train::ClassifierRunOptions c;
  c.train_sets = {set};
  c.model_dir = model_dir;
  c.config.arch = models::ClassifierArch::kSmallCnn;
  c.config.width = width;
  c.config.epochs = epochs;
  c.config.batch_size = batch;
  c.progress = false;
  train::run_classifier_training(c);
}

void prepare_test_set(const std::filesystem::path& source, const std::filesystem::path& output,
                      int size) {
  data::PrepareOptions prepare;
  prepare.source.root = source;
  prepare.output = output;
  prepare.preprocess.size = size;
  prepare.progress = false;
  data::prepare_dataset(prepare);
}

void train_tiny_gan(const std::filesystem::path& set, const std::filesystem::path& run,
                    const std::string& arch, bool per_class, int steps, int checkpoint_every) {
  train::GanRunOptions o;
  o.set_dir = set;
  o.run_dir = run;
  o.progress = false;
  o.config = train::default_gan_config(train::parse_gan_arch(arch));
  o.config.per_class = per_class;
  o.config.g_channels = o.config.d_channels = 4;
  o.config.latent_dim = 8;
  o.config.batch_size = 4;
  o.config.steps = steps;
  o.config.sample_every = o.config.checkpoint_every = checkpoint_every;
  train::run_gan_training(o);
}

}  // namespace skingan::test

namespace skingan::test {

int run_to_end(const std::vector<std::string>& args, const fs::path& log) {
  std::string line;
  for (const auto& a : args) line += "'" + a + "' ";
  return WEXITSTATUS(std::system((line + "> '" + log.string() + "' 2>&1").c_str()));
}

pid_t start_process(const std::vector<std::string>& args, const fs::path& log,
                    const std::vector<std::pair<std::string, std::string>>& env) {
  std::fflush(stdout);  // else the child's freopen flushes a copy of what is still buffered
  const pid_t pid = fork();
  if (pid == 0) {
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    if (!freopen(log.c_str(), "w", stdout)) _exit(126);
    dup2(fileno(stdout), STDERR_FILENO);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int free_tcp_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("free_tcp_port: no socket");
  }
  close(fd);
  return ntohs(address.sin_port);
}

bool process_dying(const std::filesystem::path& proc) {
  try {
    if (!std::filesystem::exists(proc)) return true;
    for (const auto& task : std::filesystem::directory_iterator(proc / "task")) {
      // Fields 3..9 of stat: state, then flags (PF_EXITING is 0x4).
      const std::string stat = io::read_file(task.path() / "stat");
      std::istringstream fields(stat.substr(stat.rfind(')') + 2));
      std::string state, skip;
      unsigned long flags = 0;
      fields >> state >> skip >> skip >> skip >> skip >> skip >> flags;
      if (state == "Z" || state == "X" || (flags & 0x4) != 0) return true;
      std::istringstream status(io::read_file(task.path() / "status"));
      std::string line;
      while (std::getline(status, line)) {
        if (line.rfind("ShdPnd:", 0) == 0 || line.rfind("SigPnd:", 0) == 0) {
          if ((std::stoull(line.substr(7), nullptr, 16) >> (SIGKILL - 1)) & 1) return true;
        }
      }
    }
  } catch (const std::exception&) {
    return true;  // it ended while we looked
  }
  return false;
}

train::GanConfig tiny_gan_config(train::GanArch arch) {
  train::GanConfig c = train::default_gan_config(arch);
  c.image_size = 32;
  c.latent_dim = 16;
  c.g_channels = 8;
  c.d_channels = 8;
  c.batch_size = 8;
  c.seed = 5;
  c.phase_kimg = 0.024;
  return c;
}

void on_two_ranks(const std::function<void(dist::ProcessGroup&)>& body) {
  const int port = free_tcp_port();
  std::exception_ptr errors[2];
  std::vector<std::thread> threads;
  for (int rank = 0; rank < 2; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        dist::Rendezvous r;
        r.rank = rank;
        r.world_size = 2;
        r.master_port = port;
        r.source = "test";
        dist::ProcessGroup group(r, std::chrono::seconds(60));
        dist::ActiveGroup active(&group);
        body(group);
      } catch (...) {
        errors[rank] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace skingan::test
