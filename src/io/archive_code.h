// What LibTorch must never parse: the `code/` records of a weights file shared by a stranger.
//
// A torch::serialize archive (skingan's checkpoints and best.pt) is a TorchScript zip whose
// `code/` records declare the classes of its pickled data; torch::jit::load parses them with
// TorchScript's compiler front end, which can crash (not throw) on hostile source: fuzzing found a
// SEGV in LibTorch 1.13's ScriptTypeParser::parseClassConstant reached from a mutated record.
// skingan's archives only ever hold the attribute-only classes that OutputArchive generates, so
// every code record is checked against that small grammar first, without LibTorch's parser,
// and anything else is refused before torch::jit::load sees the file.
//
// Written by hand: no packaged library validates TorchScript source; this is a recogniser for the
// subset PythonPrint emits for torch::serialize::OutputArchive, nothing more.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <c10/core/Device.h>
#include <c10/util/Optional.h>
#include <torch/serialize/input-archive.h>

namespace skingan::io {

// Empty when `text` (a record such as code/__torch__.py) is what OutputArchive writes:
// blocks of
//   class Module(Module):
//     __parameters__ = ["name", ...]
//     __buffers__ = ["name", ...]
//     name : TYPE                       (or __annotations__["any name"] = TYPE)
// where TYPE is Tensor, int, float, bool, str, NoneType, List/Optional/Tuple/Dict of those, or
// __torch__[.___torch_mangle_N].Module. Otherwise "line N: what was found, and what was expected".
std::string archive_code_problem(std::string_view text);

// Every .py record of the zip under code/ checked as above; any other record there but their
// .py.debug_pkl companions is refused (those hold source ranges, which the importer reads lazily
// for compiled methods, and these classes have none). Throws CheckpointError naming the file and
// the record; a file that is no zip archive is left to LibTorch's own error.
void check_archive_code(const std::filesystem::path& path);

// check_archive_code(path), then archive.load_from(path, device).
void load_archive(torch::serialize::InputArchive& archive, const std::filesystem::path& path,
                  c10::optional<c10::Device> device);

}  // namespace skingan::io
