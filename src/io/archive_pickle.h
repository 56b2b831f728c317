// What LibTorch must never unpickle: a data.pkl whose claims exceed the file it came in.
//
// LibTorch's Unpickler trusts the lengths and indices it reads: a string that claims 4 GiB is
// allocated and zero-filled before the read fails (fuzzing found a 26 s hang this way), a memo
// index of 2^32 grows the memo table to 64 GiB, a storage that claims more elements than its
// data record holds, or a tensor whose sizes and strides reach past its storage, makes later
// copies read past the end of the buffer, and a pickle that nests containers a million deep
// overflows the stack when the result is destroyed. skingan's archives are written by
// torch::serialize's Pickler, which emits a small protocol-2 subset, so every pickle record of a
// weights file is first walked here, without LibTorch, and refused unless all of that holds.
//
// Written by hand: no packaged library checks a pickle without executing it; this is a
// recogniser for the opcodes and globals LibTorch's Pickler writes for skingan's archives
// (LibTorch 1.13 and 2.x), with the stack kept only as far as the checks need.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace skingan::io {

// The size in bytes of a tensor data record (e.g. "data/0"), or nullopt when the archive has no
// such record.
using RecordSize = std::function<std::optional<uint64_t>(const std::string& record)>;

// Empty when `pickle` is a protocol-2 pickle of the kind torch::serialize writes and LibTorch
// can unpickle within the bytes it has; otherwise "byte N: what was found, and what was
// expected". Storages are looked up as `storage_prefix` + key (data.pkl: "data/"); an empty
// prefix means the record may hold no storage at all (the code/*.debug_pkl records).
std::string archive_pickle_problem(std::string_view pickle, const std::string& storage_prefix,
                                   const RecordSize& record_size);

// How deep containers (tuples, lists, dicts, objects) may nest: skingan's deepest archives nest
// 14 to 18 deep (a ResNet GAN checkpoint: module tree, state dicts, tensor arguments); LibTorch
// destroys nested values recursively, so a bound keeps hostile nesting from overflowing the stack.
inline constexpr int kMaxPickleNesting = 200;

}  // namespace skingan::io
