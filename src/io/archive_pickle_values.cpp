#include "io/archive_pickle_values.h"

#include <map>

#include "io/archive_code.h"

namespace skingan::io::pickle {
namespace {

// Bounds that keep the walk linear in the record's size (see where each is used).
constexpr size_t kMaxKeyLength = 32;
constexpr size_t kMaxDimensions = 64;
constexpr size_t kMaxTypeLength = 1024;

bool is_mangled_module(const std::string& global) {
  const std::string prefix = "__torch__.___torch_mangle_";
  const std::string suffix = " Module";
  if (global.size() <= prefix.size() + suffix.size()) return false;
  if (global.compare(0, prefix.size(), prefix) != 0) return false;
  if (global.compare(global.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  for (size_t i = prefix.size(); i < global.size() - suffix.size(); ++i) {
    if (global[i] < '0' || global[i] > '9') return false;
  }
  return true;
}

bool int_tuple(const Value& value) {
  if (value.kind != Value::Kind::kTuple) return false;
  for (const Value& item : *value.items) {
    if (item.kind != Value::Kind::kInt) return false;
  }
  return true;
}

std::string printable(const std::string& text) {
  std::string shown;
  for (const char c : text.substr(0, 80)) shown += c >= 0x20 && c <= 0x7e ? c : '?';
  return shown;
}

}  // namespace

std::optional<int64_t> storage_item_size(const std::string& global) {
  static const std::map<std::string, int64_t> kSizes = {
      {"torch FloatStorage", 4},        {"torch DoubleStorage", 8},
      {"torch HalfStorage", 2},         {"torch BFloat16Storage", 2},
      {"torch LongStorage", 8},         {"torch IntStorage", 4},
      {"torch ShortStorage", 2},        {"torch CharStorage", 1},
      {"torch ByteStorage", 1},         {"torch BoolStorage", 1},
      {"torch ComplexFloatStorage", 8}, {"torch ComplexDoubleStorage", 16},
  };
  const auto it = kSizes.find(global);
  if (it == kSizes.end()) return std::nullopt;
  return it->second;
}

// The globals of skingan's archives: OutputArchive's module classes, tensors and their
// storages, the OrderedDict of (empty) backward hooks, the type tags of lists and dicts (whose
// type strings are checked: LibTorch parses them with its TorchScript parser) and the list tags
// of debug_pkl records. Refused on purpose: the sparse and quantized tensor rebuilders (they skip
// index checks) and everything else.
bool is_allowed_global(const std::string& global) {
  static const char* const kAllowed[] = {
      "__torch__ Module",
      kRebuildTensor,
      kRestoreTypeTag,
      "collections OrderedDict",
      "torch.jit._pickle build_intlist",
      "torch.jit._pickle build_doublelist",
      "torch.jit._pickle build_boollist",
      "torch.jit._pickle build_tensorlist",
  };
  for (const char* allowed : kAllowed) {
    if (global == allowed) return true;
  }
  return is_mangled_module(global) || storage_item_size(global).has_value();
}

std::string storage_id_problem(const Value& id, StorageId& storage) {
  const auto& items = id.items;
  const bool shaped =
      id.kind == Value::Kind::kTuple && items->size() == 5 &&
      (*items)[0].kind == Value::Kind::kString && *(*items)[0].text == "storage" &&
      (*items)[1].kind == Value::Kind::kGlobal && storage_item_size(*(*items)[1].text) &&
      (*items)[2].kind == Value::Kind::kString && (*items)[3].kind == Value::Kind::kString &&
      (*items)[4].kind == Value::Kind::kInt;
  if (!shaped) {
    return "a persistent id that is not (\"storage\", torch.<type>Storage, key, device, element "
           "count)";
  }
  // Record keys are short decimal numbers; a long one would make every lookup slow.
  if ((*items)[2].text->size() > kMaxKeyLength)
    return "a storage key of " + std::to_string((*items)[2].text->size()) + " characters";
  storage.key = *(*items)[2].text;
  storage.item_size = *storage_item_size(*(*items)[1].text);
  storage.numel = (*items)[4].number;
  return "";
}

std::string tensor_problem(const Value& args) {
  const bool shaped = args.kind == Value::Kind::kTuple && args.items->size() >= 6 &&
                      args.items->size() <= 7 && (*args.items)[0].kind == Value::Kind::kStorage &&
                      (*args.items)[1].kind == Value::Kind::kInt && int_tuple((*args.items)[2]) &&
                      int_tuple((*args.items)[3]) &&
                      (*args.items)[2].items->size() == (*args.items)[3].items->size();
  if (!shaped) {
    return "a tensor that is not (storage, offset, sizes, strides, requires_grad, hooks), with "
           "as many strides as sizes";
  }
  const auto numel = static_cast<uint64_t>((*args.items)[0].number);
  const int64_t offset = (*args.items)[1].number;
  const auto& sizes = *(*args.items)[2].items;
  const auto& strides = *(*args.items)[3].items;
  // A memoised size tuple can be shared by every tensor: without a bound, a file of a million
  // dimensions made both this walk and LibTorch's quadratic.
  if (sizes.size() > kMaxDimensions) {
    return "a tensor of " + std::to_string(sizes.size()) + " dimensions, more than " +
           std::to_string(kMaxDimensions);
  }
  if (offset < 0) return "a tensor with a negative storage offset";
  bool empty = false;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d].number < 0 || strides[d].number < 0)
      return "a tensor with a negative size or stride";
    empty = empty || sizes[d].number == 0;
  }
  if (empty) return "";
  // The last element addressed: offset + sum((size - 1) * stride), each step bounded by numel
  // so nothing overflows.
  uint64_t last = static_cast<uint64_t>(offset);
  bool inside = last < numel;
  for (size_t d = 0; d < sizes.size() && inside; ++d) {
    const auto steps = static_cast<uint64_t>(sizes[d].number - 1);
    const auto stride = static_cast<uint64_t>(strides[d].number);
    if (steps == 0 || stride == 0) continue;
    inside = stride < numel && steps < numel / stride && last + steps * stride < numel;
    if (inside) last += steps * stride;
  }
  if (!inside) {
    return "a tensor whose sizes and strides reach past the " + std::to_string(numel) +
           " elements of its storage";
  }
  return "";
}

std::string type_tag_problem(const Value& args) {
  const bool shaped = args.kind == Value::Kind::kTuple && args.items->size() == 2 &&
                      (*args.items)[1].kind == Value::Kind::kString;
  if (!shaped) return "a type tag that is not (value, \"type\")";
  const std::string& type = *(*args.items)[1].text;
  if (type.size() > kMaxTypeLength) {
    return "a type tag of " + std::to_string(type.size()) +
           " characters, longer than any attribute type";
  }
  if (!is_archive_type(type)) {
    return "the type tag \"" + printable(type) +
           "\", which is none of the attribute types weights archives declare";
  }
  return "";
}

}  // namespace skingan::io::pickle
