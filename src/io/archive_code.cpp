#include "io/archive_code.h"

#include <cctype>
#include <string>
#include <vector>

#include <caffe2/serialize/inline_container.h>

#include "core/error.h"
#include "io/archive_pickle.h"

namespace skingan::io {
namespace {

// Deeper than any type skingan writes (Dict[str, List[Tensor]] is 3): bounds the recursion on
// hostile input.
constexpr int kMaxTypeDepth = 8;

bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (const char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

// A cursor over one line; every parse_* consumes what it recognises or returns false.
struct Cursor {
  std::string_view rest;

  bool take(std::string_view token) {
    if (rest.substr(0, token.size()) != token) return false;
    rest.remove_prefix(token.size());
    return true;
  }

  // "..." with printable ASCII inside, no quote or backslash (PythonPrint escapes those, and
  // no name skingan writes has one).
  bool take_string() {
    if (!take("\"")) return false;
    size_t n = 0;
    while (n < rest.size() && rest[n] != '"') {
      const unsigned char c = static_cast<unsigned char>(rest[n]);
      if (c < 0x20 || c > 0x7e || c == '\\') return false;
      ++n;
    }
    if (n == rest.size()) return false;
    rest.remove_prefix(n + 1);
    return true;
  }

  bool take_identifier() {
    size_t n = 0;
    while (n < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[n])) || rest[n] == '_'))
      ++n;
    if (!is_identifier(rest.substr(0, n))) return false;
    rest.remove_prefix(n);
    return true;
  }

  // __torch__.Module or __torch__.___torch_mangle_N.Module: OutputArchive's classes.
  bool take_archive_class() {
    if (!take("__torch__.")) return false;
    if (take("___torch_mangle_")) {
      size_t n = 0;
      while (n < rest.size() && std::isdigit(static_cast<unsigned char>(rest[n]))) ++n;
      if (n == 0 || n > 9) return false;
      rest.remove_prefix(n);
      if (!take(".")) return false;
    }
    return take("Module");
  }

  bool take_type(int depth) {
    if (depth > kMaxTypeDepth) return false;
    for (const std::string_view leaf : {"Tensor", "int", "float", "bool", "str", "NoneType"}) {
      // A leaf ends the type or is followed by a separator: "Tensorx" is no type.
      if (rest.substr(0, leaf.size()) == leaf &&
          (rest.size() == leaf.size() || rest[leaf.size()] == ']' || rest[leaf.size()] == ',')) {
        rest.remove_prefix(leaf.size());
        return true;
      }
    }
    if (take("List[") || take("Optional[")) return take_type(depth + 1) && take("]");
    if (take("Dict["))
      return take_type(depth + 1) && take(", ") && take_type(depth + 1) && take("]");
    if (take("Tuple[")) {
      if (take("]")) return true;  // Tuple[] is the empty tuple
      do {
        if (!take_type(depth + 1)) return false;
      } while (take(", "));
      return take("]");
    }
    return take_archive_class();
  }

  // ["a", "b", ] or [] as PythonPrint writes a list of names.
  bool take_name_list() {
    if (!take("[")) return false;
    while (!take("]")) {
      if (!take_string() || !take(", ")) return false;
    }
    return true;
  }
};

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

constexpr const char* kCodeRecordsWhy =
    "LibTorch parses these records as TorchScript source, so skingan lets through only the class "
    "declarations that torch::serialize writes.";

std::string describe(size_t line, std::string_view text, const char* expected) {
  constexpr size_t kShown = 80;
  std::string shown(text.substr(0, kShown));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  }
  if (text.size() > kShown) shown += "...";
  return "line " + std::to_string(line) + " is \"" + shown + "\", where a weights archive has " +
         expected;
}

bool is_code_record_name(std::string_view name) {
  // code/__torch__.py or code/__torch__/___torch_mangle_N.py (a mangled class per file).
  if (name == "code/__torch__.py") return true;
  const std::string_view prefix = "code/__torch__/";
  const std::string_view suffix = ".py";
  if (name.substr(0, prefix.size()) != prefix || name.size() <= prefix.size() + suffix.size())
    return false;
  if (name.substr(name.size() - suffix.size()) != suffix) return false;
  return is_identifier(name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()));
}

}  // namespace

bool is_archive_type(std::string_view type) {
  Cursor cursor{type};
  return cursor.take_type(0) && cursor.rest.empty();
}

std::string archive_code_problem(std::string_view text) {
  enum class Expect { kClass, kParameters, kBuffers, kAttribute };
  Expect expect = Expect::kClass;
  bool any_class = false;
  size_t line_number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    if (end == std::string_view::npos) {
      return describe(line_number + 1, text, "lines ending in a newline");
    }
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    ++line_number;
    Cursor c{line};
    switch (expect) {
      case Expect::kClass:
        if (line.empty()) continue;  // blank lines between classes
        if (!(c.take("class Module(Module):") && c.rest.empty()))
          return describe(line_number, line, "\"class Module(Module):\"");
        any_class = true;
        expect = Expect::kParameters;
        break;
      case Expect::kParameters:
        if (!(c.take("  __parameters__ = ") && c.take_name_list() && c.rest.empty()))
          return describe(line_number, line, "\"  __parameters__ = [\"name\", ]\"");
        expect = Expect::kBuffers;
        break;
      case Expect::kBuffers:
        if (!(c.take("  __buffers__ = ") && c.take_name_list() && c.rest.empty()))
          return describe(line_number, line, "\"  __buffers__ = [\"name\", ]\"");
        expect = Expect::kAttribute;
        break;
      case Expect::kAttribute:
        if (line.empty()) {
          expect = Expect::kClass;
          continue;
        }
        // LibTorch 2.x declares the (empty) annotation dictionary before its entries.
        if (line == "  __annotations__ = []") continue;
        const bool named = c.take("  __annotations__[")
                               ? c.take_string() && c.take("] = ")
                               : c.take("  ") && c.take_identifier() && c.take(" : ");
        if (!(named && c.take_type(0) && c.rest.empty())) {
          return describe(line_number, line,
                          "an attribute \"  name : TYPE\" (TYPE: Tensor, int, float, bool, "
                          "str, List/Tuple/Dict/Optional of them, or a __torch__ Module)");
        }
        break;
    }
  }
  if (!any_class) return "the record declares no class, where a weights archive has one";
  if (expect == Expect::kParameters || expect == Expect::kBuffers)
    return "the record ends inside a class header, where a weights archive lists __parameters__ "
           "and __buffers__";
  return "";
}

void check_archive_records(const std::filesystem::path& path) {
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path.string());
  } catch (const std::exception&) {
    return;  // not a zip archive at all: LibTorch's loader says so without parsing any code
  }
  auto refuse = [&](const std::string& record, const std::string& problem, const std::string& why) {
    throw CheckpointError(path.string() + " (record " + record + "): " + problem + ". " + why +
                          " The file was not written by skingan, or it is damaged: use the "
                          "original file, or retrain.");
  };
  const RecordSize record_size = [&](const std::string& record) -> std::optional<uint64_t> {
    if (!reader->hasRecord(record)) return std::nullopt;
    return std::get<1>(reader->getRecord(record));
  };
  // code/*.py.debug_pkl hold source ranges: pickles too, checked below with the others.
  constexpr std::string_view kDebugPickle = ".debug_pkl";
  for (const std::string& name : reader->getAllRecords()) {
    const bool debug_pickle = ends_with(name, kDebugPickle);
    if (debug_pickle || ends_with(name, ".pkl")) {
      const auto [data, size] = reader->getRecord(name);
      // data.pkl's storages live under data/, constants.pkl's under constants/.
      const std::string prefix = debug_pickle || name.find('/') != std::string::npos
                                     ? ""
                                     : name.substr(0, name.size() - 4) + "/";
      const std::string problem = archive_pickle_problem(
          std::string_view(static_cast<const char*>(data.get()), size), prefix, record_size);
      if (!problem.empty()) {
        refuse(name, problem,
               "LibTorch trusts the lengths, indices and shapes in these records, so skingan "
               "checks them against the file first.");
      }
    }
    if (name.substr(0, 5) != "code/") continue;
    if (debug_pickle &&
        is_code_record_name(std::string_view(name).substr(0, name.size() - kDebugPickle.size())))
      continue;  // the companion of a code record, checked above as a pickle
    if (!is_code_record_name(name))
      refuse(name, "a record under code/ that weights archives do not have", kCodeRecordsWhy);
    const auto [data, size] = reader->getRecord(name);
    const std::string_view text(static_cast<const char*>(data.get()), size);
    if (const std::string problem = archive_code_problem(text); !problem.empty())
      refuse(name, problem, kCodeRecordsWhy);
  }
}

void load_archive(torch::serialize::InputArchive& archive, const std::filesystem::path& path,
                  c10::optional<c10::Device> device) {
  check_archive_records(path);
  archive.load_from(path.string(), device);
}

}  // namespace skingan::io
