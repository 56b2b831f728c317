// Damaged and hostile versions of the files skingan reads back from its own folders (image cache
// headers, meta.json, GAN and classifier config.json, GAN checkpoint headers): each is refused
// with a skingan error naming the file and the problem, before anything is allocated from it.
// These are also the regression inputs of the fuzz targets in fuzz/.
#include <gtest/gtest.h>

#include <cstring>
#include <sstream>

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/torch.h>

#include "core/error.h"
#include "data/prepared_set.h"
#include "io/files.h"
#include "io/image_cache.h"
#include "models/classifier/classifier_folder.h"
#include "models/gan/gan_checkpoint.h"
#include "test_util.h"
#include "train/classifier_run.h"

namespace fs = std::filesystem;
using namespace skingan;

namespace {

// The message of the error `f` throws as `Error`, or "" when it throws nothing.
template <typename Error, typename F>
std::string refusal(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A 64-byte cache header: channels, count, height, width.
std::string cache_header(std::uint32_t channels, std::uint64_t count, std::uint32_t height,
                         std::uint32_t width) {
  std::string h(64, '\0');
  std::memcpy(h.data(), "SKGCACHE", 8);
  const std::uint32_t version = 1;
  std::memcpy(h.data() + 8, &version, 4);
  std::memcpy(h.data() + 12, &channels, 4);
  std::memcpy(h.data() + 16, &count, 8);
  std::memcpy(h.data() + 24, &height, 4);
  std::memcpy(h.data() + 28, &width, 4);
  return h;
}

const char* kGanModel =
    R"({"arch":"dcgan","image_size":32,"latent_dim":16,"g_channels":8,"d_channels":8,)"
    R"("spectral_norm":false,"per_class":false,"ema_decay":0.0,"seed":1})";

torch::serialize::InputArchive checkpoint_archive(const std::string& config,
                                                  const torch::Tensor& num_classes,
                                                  const torch::Tensor& step) {
  torch::serialize::OutputArchive out;
  out.write("config", c10::IValue(config));
  out.write("num_classes", num_classes);
  out.write("step", step);
  std::ostringstream bytes;
  out.save_to(bytes);
  std::istringstream in(bytes.str());
  torch::serialize::InputArchive archive;
  archive.load_from(in);
  return archive;
}

}  // namespace

TEST(HostileFiles, ImageCacheHeadersThatOverflowOrLieAreRefused) {
  // A well-formed header accounts for every byte.
  EXPECT_EQ(io::parse_image_cache_header(cache_header(3, 2, 4, 4).data(), 64 + 96, "c").count, 2);
  // 2^62 images of 4x4: count * bytes overflows int64, and must not wrap to the file's size.
  const std::string overflow = cache_header(3, std::uint64_t{1} << 62, 4, 4);
  EXPECT_NE(refusal<DataError>([&] {
              io::parse_image_cache_header(overflow.data(), 64, "c");
            }).find("wrong size"),
            std::string::npos);
  EXPECT_NE(refusal<DataError>([&] {
              io::parse_image_cache_header(cache_header(4, 1, 4, 4).data(), 64 + 64, "c");
            }).find("4 channels"),
            std::string::npos);
  EXPECT_NE(refusal<DataError>([&] {
              io::parse_image_cache_header(cache_header(3, 5, 0, 4).data(), 64, "c");
            }).find("sides of 1..8192"),
            std::string::npos);
  EXPECT_NE(refusal<DataError>([&] {
              io::parse_image_cache_header(cache_header(3, 0, 4, 4).data(), 10, "c");
            }).find("wrong size"),
            std::string::npos);
}

TEST(HostileFiles, MetaJsonWithMistypedOrInconsistentFieldsIsRefused) {
  const std::string good =
      R"({"format":"skingan-prepared-set","version":1,"size":32,"classes":["mel","nv"]})";
  const std::string format = data::parse_prepared_meta(good, "m").at("format");
  ASSERT_EQ(format, data::kPreparedSetFormat) << "update the test's format name";
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"[1,2]", "not a JSON object"},
           {"{\"format\":", "not valid JSON"},
           {R"({"format":5,"version":1})", "mistyped field"},
           {R"({"format":"skingan-prepared-set","version":1,"size":"32","classes":["a"]})",
            "mistyped field"},
           {R"({"format":"skingan-prepared-set","version":1,"size":32,"classes":["a","a"]})",
            "distinct, non-empty class names"},
           {R"({"format":"skingan-prepared-set","version":1,"size":0,"classes":["a"]})",
            "size of 1..8192"},
           {R"({"format":"skingan-prepared-set","version":1,"classes":["a"]})", "size"},
           // Found by fuzz_run_json: a literal beyond int64 is a double in nlohmann, and reading
           // it into an integer was undefined behaviour.
           {R"({"format":"skingan-prepared-set","version":1,"size":2222222222222222222222222232,)"
            R"("classes":["a"]})",
            "the number 2.222222222222222e+27"}}) {
    const std::string message =
        refusal<DataError>([&] { data::parse_prepared_meta(text, "set/meta.json"); });
    EXPECT_NE(message.find("set/meta.json"), std::string::npos) << text;
    EXPECT_NE(message.find(expected), std::string::npos) << text << " -> " << message;
  }
}

TEST(HostileFiles, GanRunConfigsOutOfRangeAreRefusedBeforeAnyNetworkIsBuilt) {
  const std::string model = kGanModel;
  auto with = [&](const std::string& key, const std::string& value) {
    std::string m = model;
    const size_t at = m.find("\"" + key + "\":") + key.size() + 3;
    m.replace(at, m.find_first_of(",}", at) - at, value);
    return R"({"gan":)" + m + R"(,"classes":["mel","nv"]})";
  };
  EXPECT_EQ(models::parse_gan_run_config(with("seed", "7"), "run").classes.size(), 2u);
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {with("g_channels", "1000000000"), "g_channels"},
           {with("latent_dim", "0"), "latent_dim"},
           {with("image_size", "48"), "48"},
           {with("arch", "\"stylegan9\""), "stylegan9"},
           {with("seed", "\"one\""), "valid model field"},
           {R"({"gan":)" + model + R"(,"classes":["mel","mel"]})", "distinct"},
           {R"({"gan":)" + model + R"(,"classes":[]})", "distinct"},
           {R"({"gan":)" + model + R"(,"classes":"mel"})", "mistyped field"},
           {"\"a string\"", "not a JSON object"}}) {
    const std::string message =
        refusal<ConfigError>([&] { models::parse_gan_run_config(text, "run"); });
    EXPECT_NE(message.find(expected), std::string::npos) << text << " -> " << message;
  }
}

TEST(HostileFiles, GanCheckpointHeadersAreCheckedBeforeTheirWeights) {
  auto archive = checkpoint_archive(kGanModel, torch::tensor(int64_t{0}), torch::tensor(5));
  EXPECT_EQ(models::read_gan_checkpoint_header(archive, "c.pt").step, 5);
  for (const auto& [config, classes, step, expected] :
       std::vector<std::tuple<std::string, torch::Tensor, torch::Tensor, std::string>>{
           {"{not json", torch::tensor(int64_t{0}), torch::tensor(1), "not valid JSON"},
           // Found by fuzz_gan_checkpoint: image_size 7.7e34 (a double) read into an integer.
           {std::string(kGanModel).replace(std::string(kGanModel).find("\"image_size\":32"), 15,
                                           "\"image_size\":77777777777777777777777777777777747"),
            torch::tensor(int64_t{0}), torch::tensor(1), "7.777777777777778e+34"},
           {kGanModel, torch::tensor(-3), torch::tensor(1), "num_classes = -3"},
           {kGanModel, torch::tensor(int64_t{1} << 40), torch::tensor(1), "0..1000"},
           {kGanModel, torch::tensor(2.5), torch::tensor(1), "no integer \"num_classes\""},
           {kGanModel, torch::ones({3}, torch::kLong), torch::tensor(1), "no integer"},
           {kGanModel, torch::tensor(int64_t{0}), torch::tensor(-1), "step = -1"},
           {std::string(kGanModel).replace(std::string(kGanModel).find("\"g_channels\":8"), 14,
                                           "\"g_channels\":99999"),
            torch::tensor(int64_t{0}), torch::tensor(1), "g_channels"}}) {
    auto bad = checkpoint_archive(config, classes, step);
    const std::string message =
        refusal<CheckpointError>([&] { models::read_gan_checkpoint_header(bad, "damaged.pt"); });
    EXPECT_NE(message.find("damaged.pt"), std::string::npos) << config;
    EXPECT_NE(message.find(expected), std::string::npos) << config << " -> " << message;
  }
}

// Found by fuzz_gan_checkpoint: a damaged TorchScript part of the archive makes LibTorch throw
// torch::jit::ErrorReport, which is not a c10::Error and escaped the reader.
TEST(HostileFiles, AnArchiveWhoseTorchScriptPartIsDamagedIsACheckpointError) {
  torch::serialize::OutputArchive inner;
  inner.write("weight", torch::ones({2}));
  torch::serialize::OutputArchive out;
  out.write("config", c10::IValue(std::string(kGanModel)));
  out.write("num_classes", torch::tensor(int64_t{0}));
  out.write("generator", inner);
  std::ostringstream bytes;
  out.save_to(bytes);
  const std::string good = bytes.str();
  test::TempDir dir;
  // A class the archive's code does not declare passes skingan's checks (the name is well formed),
  // so LibTorch's importer throws its own torch::jit::ErrorReport, which is no c10::Error.
  std::string unknown_class = good;
  const size_t mangled = unknown_class.find("___torch_mangle_0\nModule");
  ASSERT_NE(mangled, std::string::npos);
  unknown_class[mangled + 16] = '9';
  test::write_text(dir / "unknown_class.pt", unknown_class);
  std::string message = refusal<CheckpointError>(
      [&] { models::load_gan_checkpoint(dir / "unknown_class.pt", torch::kCPU); });
  EXPECT_NE(message.find("unknown_class.pt"), std::string::npos) << message;
  EXPECT_NE(message.find("unreadable"), std::string::npos) << message;
  // A global LibTorch would resolve as a class of the file ("tQrch._utils") is refused before.
  std::string unknown_global = good;
  unknown_global[unknown_global.find("torch._utils") + 1] = 'Q';
  test::write_text(dir / "unknown_global.pt", unknown_global);
  message = refusal<CheckpointError>(
      [&] { models::load_gan_checkpoint(dir / "unknown_global.pt", torch::kCPU); });
  EXPECT_NE(message.find("unknown_global.pt (record data.pkl): byte "), std::string::npos)
      << message;
  EXPECT_NE(message.find("GLOBAL tQrch._utils _rebuild_tensor_v2"), std::string::npos) << message;
}

TEST(HostileFiles, ClassifierConfigsThatDoNotDescribeTheirModelAreRefused) {
  auto config = [](const std::string& classes, const std::string& model) {
    return R"({"classes":)" + classes + R"(,"model":)" + model + "}";
  };
  const std::string model =
      R"({"arch":"small_cnn","num_classes":2,"image_size":32,"width":8,"dropout":0.2})";
  const auto [json, classes, options] =
      models::parse_classifier_config(config(R"(["mel","nv"])", model), "m/config.json");
  EXPECT_EQ(options.num_classes(), 2);
  std::string huge = model;
  huge.replace(huge.find("\"width\":8"), 9, "\"width\":9999999");
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {config(R"(["mel"])", model), "1 class names for a model of 2 outputs"},
           {config(R"(["mel","mel"])", model), "one distinct, non-empty name per output"},
           {config(R"(["mel","nv"])", huge), "width 4..1024"},
           {config(R"(["mel","nv"])", R"({"arch":"small_cnn"})"), "mistyped field"},
           {config("7", model), "mistyped field"},
           {"", "not valid JSON"}}) {
    const std::string message =
        refusal<ConfigError>([&] { models::parse_classifier_config(text, "m/config.json"); });
    EXPECT_NE(message.find("m/config.json"), std::string::npos) << text << " -> " << message;
    EXPECT_NE(message.find(expected), std::string::npos) << text << " -> " << message;
  }
}

TEST(HostileFiles, ADamagedClassifierCheckpointEndsResumeWithItsName) {
  test::TempDir dir;
  test::write_ham_set(dir / "raw", test::make_rows({"mel", "nv"}, 6, 2), 40, 30);
  test::prepare_test_set(dir / "raw", dir / "set", 32);
  train::ClassifierRunOptions o;
  o.train_sets = {dir / "set"};
  o.model_dir = dir / "model";
  o.config.arch = models::ClassifierArch::kSmallCnn;
  o.config.width = 8;
  o.config.epochs = 1;
  o.config.batch_size = 8;
  o.progress = false;
  ASSERT_TRUE(train::run_classifier_training(o).finished);
  const fs::path last = dir / "model" / "checkpoints" / "last.pt";
  const std::string whole = io::read_file(last);
  o.resume = true;
  o.config.epochs = 2;
  for (const std::string& damaged :
       {std::string("not a checkpoint"), whole.substr(0, whole.size() / 2)}) {
    test::write_text(last, damaged);
    const std::string message =
        refusal<CheckpointError>([&] { train::run_classifier_training(o); });
    EXPECT_NE(message.find(last.string()), std::string::npos) << message;
    EXPECT_NE(message.find("damaged checkpoint"), std::string::npos) << message;
  }
  test::write_text(last, whole);
  EXPECT_TRUE(train::run_classifier_training(o).finished);  // the intact file still resumes
}
