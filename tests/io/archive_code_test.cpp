// The code records of weights files are checked against what OutputArchive writes before
// LibTorch's TorchScript parser sees them (io/archive_code.h).
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <caffe2/serialize/inline_container.h>
#include <torch/serialize/output-archive.h>
#include <torch/torch.h>

#include "core/error.h"
#include "io/archive_code.h"
#include "io/files.h"
#include "models/gan/gan_checkpoint.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;

namespace {

const char* kGanModel =
    R"({"arch":"dcgan","image_size":32,"latent_dim":16,"g_channels":8,"d_channels":8,)"
    R"("spectral_norm":false,"per_class":false,"ema_decay":0.0,"seed":1})";

// An archive with every kind of entry skingan's checkpoints hold: tensors, buffers, nested
// archives, and ints, floats, bools, strings, lists and tuples.
std::string every_kind_of_entry() {
  torch::serialize::OutputArchive inner;
  inner.write("weight", torch::ones({2, 2}));
  inner.write("running_mean", torch::zeros({2}), /*is_buffer=*/true);
  inner.write("betas", c10::IValue(std::make_tuple(0.5, 0.999)));
  inner.write("param_groups/0/params", c10::IValue(std::vector<std::string>{"a", "b"}));
  torch::serialize::OutputArchive out;
  out.write("config", c10::IValue(std::string(kGanModel)));
  out.write("num_classes", torch::tensor(int64_t{0}));
  out.write("step", torch::tensor(int64_t{3}));
  out.write("count", c10::IValue(int64_t{7}));
  out.write("rate", c10::IValue(0.25));
  out.write("amsgrad", c10::IValue(false));
  out.write("generator", inner);
  std::ostringstream bytes;
  out.save_to(bytes);
  return bytes.str();
}

// The same zip with `edit` applied to the bytes of `record`, and `extra` records added.
std::string with_edited_record(const std::string& archive, const std::string& record,
                               const std::function<void(std::string&)>& edit,
                               const std::map<std::string, std::string>& extra = {}) {
  std::istringstream in(archive);
  caffe2::serialize::PyTorchStreamReader reader(&in);
  std::string rewritten;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t size) {
    rewritten.append(static_cast<const char*>(data), size);
    return size;
  });
  for (const std::string& name : reader.getAllRecords()) {
    if (name == "version" || name == ".data/version" || name == ".data/serialization_id")
      continue;  // the writer adds its own
    const auto [data, size] = reader.getRecord(name);
    std::string bytes(static_cast<const char*>(data.get()), size);
    if (name == record) edit(bytes);
    writer.writeRecord(name, bytes.data(), bytes.size());
  }
  for (const auto& [name, bytes] : extra) writer.writeRecord(name, bytes.data(), bytes.size());
  writer.writeEndOfFile();
  return rewritten;
}

}  // namespace

TEST(ArchiveCode, WhatOutputArchiveWritesPassesAndLoads) {
  test::TempDir dir;
  test::write_text(dir / "ok.pt", every_kind_of_entry());
  EXPECT_NO_THROW(io::check_archive_records(dir / "ok.pt"));
  torch::serialize::InputArchive archive;
  io::load_archive(archive, dir / "ok.pt", torch::kCPU);
  c10::IValue count;
  archive.read("count", count);
  EXPECT_EQ(count.toInt(), 7);
}

TEST(ArchiveCode, OnlyTheAttributeClassesOfAnArchiveAreAccepted) {
  const std::string header =
      "class Module(Module):\n  __parameters__ = [\"weight\", \"bias\", ]\n"
      "  __buffers__ = []\n";
  EXPECT_EQ(
      io::archive_code_problem(
          header + "  weight : Tensor\n  sub : __torch__.___torch_mangle_12.Module\n"
                   "  __annotations__[\"param_groups/0\"] = Dict[str, List[Tensor]]\n"
                   "  betas : Tuple[float, float]\n  maybe : Optional[int]\n  none : NoneType\n"
                   "\nclass Module(Module):\n  __parameters__ = []\n  __buffers__ = [\"n\", ]\n"
                   "  n : Tensor\n  root : __torch__.Module\n"
                   // LibTorch 2.x writes the empty annotation dictionary first
                   "  __annotations__ = []\n  __annotations__[\"0\"] = Tensor\n"),
      "");
  std::string deep = "  x : ";
  for (int i = 0; i < 40; ++i) deep += "List[";
  deep += "int";
  for (int i = 0; i < 40; ++i) deep += "]";
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           // a class constant: the statement LibTorch 1.13's parser crashed on
           {header + "  x : Final[int] = 3\n", "line 4 is \"  x : Final[int] = 3\""},
           {header + "  x = 3\n", "line 4"},
           {header + "  def forward(self, x):\n    return x\n", "line 4"},
           {header + "  x : Tensorx\n", "line 4"},
           {header + "  x : Tensor  \n", "line 4"},
           {header + "  x : __torch__.os.Module\n", "line 4"},
           {header + "  x : Dict[str]\n", "line 4"},
           {header + "  __annotations__[\"a\\\"b\"] = int\n", "line 4"},
           {header + deep + "\n", "line 4"},
           {header + "  x : int", "lines ending in a newline"},
           {header + "  x : \xff\xfeint\n", "line 4 is \"  x : ??int\""},
           {"class Evil(Module):\n", "line 1"},
           {"import os\n", "line 1"},
           {"class Module(Module):\n  __buffers__ = []\n", "line 2"},
           {"class Module(Module):\n  __parameters__ = [weight, ]\n", "line 2"},
           {"class Module(Module):\n  __parameters__ = []\n", "ends inside a class header"},
           {"", "declares no class"},
           {"\n\n", "declares no class"}}) {
    EXPECT_NE(io::archive_code_problem(text).find(expected), std::string::npos)
        << text << " -> " << io::archive_code_problem(text);
  }
}

TEST(ArchiveCode, AWeightsFileWithInjectedCodeIsRefusedBeforeLibTorchParsesIt) {
  test::TempDir dir;
  const std::string good = every_kind_of_entry();
  // The rewrite itself changes nothing that matters: the copy still loads.
  test::write_text(dir / "copy.pt",
                   with_edited_record(good, "code/__torch__.py", [](std::string&) {}));
  torch::serialize::InputArchive copy;
  io::load_archive(copy, dir / "copy.pt", torch::kCPU);
  EXPECT_EQ(models::read_gan_checkpoint_header(copy, dir / "copy.pt").step, 3);
  test::write_text(
      dir / "evil.pt", with_edited_record(good, "code/__torch__.py", [](std::string& code) {
        code.insert(code.find("\n", code.find("__buffers__")) + 1, "  x : Final[int] = 3\n");
      }));
  try {
    models::load_gan_checkpoint(dir / "evil.pt", torch::kCPU);
    FAIL() << "an archive with a class constant in its code was loaded";
  } catch (const CheckpointError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find((dir / "evil.pt").string()), std::string::npos) << message;
    EXPECT_NE(message.find("record code/__torch__.py"), std::string::npos) << message;
    EXPECT_NE(message.find("line 4 is \"  x : Final[int] = 3\""), std::string::npos) << message;
  }
  // A record under code/ that OutputArchive never writes is refused by name.
  test::write_text(dir / "extra.pt",
                   with_edited_record(good, "code/__torch__.py", [](std::string&) {},
                                      {{"code/__torch__/os/path.py", "print('hello')\n"}}));
  try {
    io::check_archive_records(dir / "extra.pt");
    FAIL() << "an unexpected code record was let through";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("a record under code/ that weights archives do not have"),
              std::string::npos)
        << e.what();
  }
}

TEST(ArchiveCode, AWeightsFileWhosePickleClaimsTooMuchIsRefusedBeforeLibTorchUnpicklesIt) {
  test::TempDir dir;
  const std::string good = every_kind_of_entry();
  auto expect_refused = [&](const std::string& file, const std::string& expected) {
    try {
      models::load_gan_checkpoint(dir / file, torch::kCPU);
      FAIL() << file << " was loaded";
    } catch (const CheckpointError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find((dir / file).string() + " (record data.pkl): byte "),
                std::string::npos)
          << message;
      EXPECT_NE(message.find(expected), std::string::npos) << message;
    }
  };
  // The fuzzing find (a 26 s hang under ASan): the first string of data.pkl claims 4 GiB.
  test::write_text(dir / "long_string.pt",
                   with_edited_record(good, "data.pkl", [](std::string& pickle) {
                     const size_t string = pickle.find('X');
                     ASSERT_NE(string, std::string::npos);
                     pickle.replace(string + 1, 4, "\x0a\xff\xff\xff");
                   }));
  expect_refused("long_string.pt", "the opcode needs 4294967050 more bytes");
  // The 2x2 "weight" claims 64 floats of its 16-byte data record.
  test::write_text(dir / "big_storage.pt",
                   with_edited_record(good, "data.pkl", [](std::string& pickle) {
                     const size_t numel = pickle.find("K\x04tQ");
                     ASSERT_NE(numel, std::string::npos);
                     pickle[numel + 1] = 64;
                   }));
  expect_refused("big_storage.pt", "claims 64 elements of 4 bytes, but its record holds 16 bytes");
}
