// The pickles of weights files are walked before LibTorch unpickles them (io/archive_pickle.h):
// hand-built pickles, one defect each, and the pickles torch::serialize really writes.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <caffe2/serialize/inline_container.h>
#include <torch/serialize/output-archive.h>
#include <torch/torch.h>

#include "io/archive_pickle.h"

using namespace skingan;

namespace {

// Builds protocol-2 pickles opcode by opcode.
struct Pickle {
  std::string bytes = std::string("\x80\x02", 2);

  Pickle& op(unsigned char code) {
    bytes += static_cast<char>(code);
    return *this;
  }
  Pickle& le(uint64_t value, int width) {
    for (int i = 0; i < width; ++i) bytes += static_cast<char>((value >> (8 * i)) & 0xff);
    return *this;
  }
  Pickle& int1(int value) { return op('K').le(value, 1); }
  Pickle& int4(int32_t value) { return op('J').le(static_cast<uint32_t>(value), 4); }
  Pickle& text(const std::string& s) {
    op('X').le(s.size(), 4);
    bytes += s;
    return *this;
  }
  Pickle& global(const std::string& module, const std::string& name) {
    op('c');
    bytes += module + "\n" + name + "\n";
    return *this;
  }
  // ("storage", torch.FloatStorage, key, "cpu", numel) BINPERSID
  Pickle& float_storage(const std::string& key, int32_t numel) {
    op('(').text("storage").global("torch", "FloatStorage").text(key).text("cpu").int4(numel);
    return op('t').op('Q');
  }
  Pickle& put(int id) { return op('q').le(id, 1); }
  Pickle& get(int id) { return op('h').le(id, 1); }
  // _rebuild_tensor_v2( ... the storage comes between these two ... offset, sizes, strides,
  // False, OrderedDict()) on the stack.
  Pickle& rebuild() { return global("torch._utils", "_rebuild_tensor_v2").op('('); }
  Pickle& tensor_rest(int offset, const std::vector<int>& sizes, const std::vector<int>& strides) {
    int1(offset).op('(');
    for (int s : sizes) int1(s);
    op('t').op('(');
    for (int s : strides) int1(s);
    op('t').op(0x89).global("collections", "OrderedDict").op(')').op('R');
    return op('t').op('R');
  }
  Pickle& tensor(const std::string& key, int32_t numel, int offset, const std::vector<int>& sizes,
                 const std::vector<int>& strides) {
    return rebuild().float_storage(key, numel).tensor_rest(offset, sizes, strides);
  }
  std::string stop() { return bytes + "."; }
};

// Records data/0 (64 bytes: 16 floats) and data/1 (4 bytes).
std::string problem(const std::string& pickle, const std::string& prefix = "data/") {
  const std::map<std::string, uint64_t> records = {{"data/0", 64}, {"data/1", 4}};
  return io::archive_pickle_problem(pickle, prefix,
                                    [&](const std::string& name) -> std::optional<uint64_t> {
                                      const auto it = records.find(name);
                                      if (it == records.end()) return std::nullopt;
                                      return it->second;
                                    });
}

}  // namespace

TEST(ArchivePickle, TensorsInsideTheirStoragesPass) {
  // A 4x4 tensor on all 16 floats, a transposed view, a 2x2 window at offset 10, an empty
  // tensor on a storage with no record, and a scalar.
  EXPECT_EQ(problem(Pickle().tensor("0", 16, 0, {4, 4}, {4, 1}).stop()), "");
  EXPECT_EQ(problem(Pickle().tensor("0", 16, 0, {4, 4}, {1, 4}).stop()), "");
  EXPECT_EQ(problem(Pickle().tensor("0", 16, 10, {2, 2}, {4, 1}).stop()), "");
  EXPECT_EQ(problem(Pickle().tensor("9", 0, 0, {0, 3}, {3, 1}).stop()), "");
  EXPECT_EQ(problem(Pickle().tensor("1", 1, 0, {}, {}).stop()), "");
  EXPECT_EQ(problem(Pickle()
                        .global("torch.jit._pickle", "restore_type_tag")
                        .op(']')
                        .text("Dict[str, List[Tensor]]")
                        .op(0x86)
                        .op('R')
                        .stop()),
            "");
  // The memoised storage of one tensor shared by a second one, in a dict, as torch writes.
  Pickle shared;
  shared.op('}').op('(').text("a").rebuild().float_storage("0", 16).put(0);
  shared.tensor_rest(0, {16}, {1}).text("b").rebuild().get(0).tensor_rest(8, {8}, {1}).op('u');
  EXPECT_EQ(problem(shared.stop()), "");
  // A storage in a record that may hold none (the debug_pkl records).
  EXPECT_NE(problem(Pickle().float_storage("0", 1).stop(), "")
                .find("a tensor storage in a record "
                      "that holds none"),
            std::string::npos);
}

TEST(ArchivePickle, ClaimsBeyondTheRecordAreRefusedByName) {
  const std::string nested = [] {
    Pickle p;
    p.op('N');
    for (int i = 0; i <= io::kMaxPickleNesting; ++i) p.op(0x85);  // TUPLE1
    return p.stop();
  }();
  for (const auto& [pickle, expected] : std::vector<std::pair<std::string, std::string>>{
           // the fuzzing find: a string claiming 4 GiB in a record of a few bytes
           {Pickle().op('X').le(0xffffff0aULL, 4).stop(),
            "byte 2: the opcode needs 4294967050 more bytes, but the record has only 1 left"},
           {Pickle().op('N').op('r').le(0xfffffff0ULL, 4).stop(), "memo id 4294967280"},
           {Pickle().get(3).stop(), "memo id 3 was never stored"},
           {Pickle().float_storage("0", 17).stop(),
            "storage data/0 claims 17 elements of 4 bytes, but its record holds 64 bytes"},
           {Pickle().float_storage("7", 1).stop(), "storage data/7 has no record"},
           {Pickle().float_storage("0", -1).stop(), "claims -1 elements"},
           {Pickle().tensor("0", 16, 0, {4, 5}, {4, 1}).stop(), "reach past the 16 elements"},
           {Pickle().tensor("0", 16, 13, {2, 2}, {4, 1}).stop(), "reach past"},
           {Pickle().tensor("0", 16, 16, {1}, {1}).stop(), "reach past"},
           {Pickle().tensor("0", 16, 0, {2, 2}, {4}).stop(), "as many strides as sizes"},
           {nested, "nested more than 200 deep"},
           {Pickle().tensor("0", 16, 0, std::vector<int>(65, 1), std::vector<int>(65, 1)).stop(),
            "a tensor of 65 dimensions, more than 64"},
           {Pickle().float_storage(std::string(33, '0'), 1).stop(),
            "a storage key of 33 characters"},
           {Pickle()
                .global("torch.jit._pickle", "restore_type_tag")
                .op(']')
                .text("Tuple[" + std::string(2000, 'x') + "]")
                .op(0x86)
                .op('R')
                .stop(),
            "a type tag of 2007 characters"},
           {Pickle().op('i').stop(), "opcode 0x69"},
           {Pickle().global("os", "system").stop(), "GLOBAL os system"},
           // type tags go through LibTorch's TorchScript parser: only the archive types pass
           {Pickle()
                .global("torch.jit._pickle", "restore_type_tag")
                .op(']')
                .text("Final[int]")
                .op(0x86)
                .op('R')
                .stop(),
            "the type tag \"Final[int]\", which is none of the attribute types"},
           {Pickle()
                .global("torch.jit._pickle", "restore_type_tag")
                .op(']')
                .op(0x85)
                .op('R')
                .stop(),
            "a type tag that is not (value, \"type\")"},
           {Pickle().global("torch", "Float Storage").stop(),
            "byte 2: GLOBAL names hold only letters"},
           {Pickle().op('N').int1(1).op('R').stop(), "not a class or function GLOBAL"},
           {Pickle().op('(').op('N').op('d').stop(), "DICT with a key but no value"},
           {Pickle().op('}').op('(').op('N').op('u').stop(), "SETITEMS with a key but no value"},
           {Pickle().op(']').put(0).op('(').int1(1).op('e').stop(), "changed after it was stored"},
           {Pickle().op('N').op('(').op(0x81).op('t').stop(), "already taken"},
           {Pickle().op('t').stop(), "needs a MARK"},
           {Pickle().op('N').op(0x86).stop(), "TUPLE2 needs 2 values"},
           {Pickle().op(0x8a).le(9, 1).stop(), "LONG1 with a length other than 8"},
           {Pickle().op('N').bytes, "needs 1 more bytes, but the record has only 0 left"},
           {std::string("\x80\x03N."), "does not start with PROTO 2"},
       }) {
    const std::string found = problem(pickle);
    EXPECT_NE(found.find(expected), std::string::npos)
        << "expected: " << expected << "\nfound: " << found;
  }
}

TEST(ArchivePickle, WhatTorchSerializeWritesPasses) {
  // Every pickle record torch::serialize writes for an archive of modules, buffers, nested
  // archives, scalars, strings, lists and tuples; each checked with the real record sizes.
  torch::nn::Sequential model(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)),
                              torch::nn::BatchNorm2d(4), torch::nn::Linear(4, 2));
  torch::serialize::OutputArchive out;
  model->save(out);
  torch::serialize::OutputArchive nested;
  nested.write("view", torch::arange(12.0).view({3, 4}).t());
  nested.write("list", c10::IValue(std::vector<std::string>{"a", "b"}));
  nested.write("ints", c10::IValue(std::vector<int64_t>{1, 2, 3}));
  nested.write("pair", c10::IValue(std::make_tuple(0.5, int64_t{2})));
  out.write("nested", nested);
  std::ostringstream bytes;
  out.save_to(bytes);
  std::istringstream in(bytes.str());
  caffe2::serialize::PyTorchStreamReader reader(&in);
  int pickles = 0;
  for (const std::string& name : reader.getAllRecords()) {
    const bool debug = name.size() > 10 && name.substr(name.size() - 10) == ".debug_pkl";
    if (!debug && (name.size() < 4 || name.substr(name.size() - 4) != ".pkl")) continue;
    const auto [data, size] = reader.getRecord(name);
    const std::string prefix = debug ? "" : name.substr(0, name.size() - 4) + "/";
    EXPECT_EQ(
        io::archive_pickle_problem(std::string(static_cast<const char*>(data.get()), size), prefix,
                                   [&](const std::string& record) -> std::optional<uint64_t> {
                                     if (!reader.hasRecord(record)) return std::nullopt;
                                     return std::get<1>(reader.getRecord(record));
                                   }),
        "")
        << name;
    ++pickles;
  }
  EXPECT_GE(pickles, 2);  // data.pkl and constants.pkl at least
}
