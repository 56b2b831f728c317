// What LibTorch must never parse: the `code/` records of a weights file shared by a stranger
// (and, through io/archive_pickle.h, pickles that claim more than the file holds).
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

// Whether `type` is one TYPE of the grammar above ("Dict[str, List[Tensor]]"): the type tags of
// data.pkl (torch.jit._pickle.restore_type_tag) go through the same TorchScript parser.
bool is_archive_type(std::string_view type);

// Every record of the zip LibTorch would parse, checked before it does: each .py record under
// code/ as above (any other record there but their .py.debug_pkl companions is refused: those
// hold source ranges, which the importer reads lazily for compiled methods, and these classes
// have none), and each pickle (data.pkl, constants.pkl, the debug_pkl records) by
// archive_pickle_problem (io/archive_pickle.h). Throws CheckpointError naming the file and the
// record; a file that is no zip archive is left to LibTorch's own error.
void check_archive_records(const std::filesystem::path& path);

// check_archive_records(path), then archive.load_from(path, device).
void load_archive(torch::serialize::InputArchive& archive, const std::filesystem::path& path,
                  c10::optional<c10::Device> device);

}  // namespace skingan::io
