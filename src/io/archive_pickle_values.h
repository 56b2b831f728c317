// What the values in a weights archive's pickle must look like, for io/archive_pickle.cpp's walk:
// the globals torch::serialize writes, and the shapes of a storage's persistent id, a tensor's
// rebuild arguments and a type tag. Each check returns "" when the value is fine, or what is
// wrong with it; the walk adds where it was found.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace skingan::io::pickle {

inline constexpr const char* kRebuildTensor = "torch._utils _rebuild_tensor_v2";
inline constexpr const char* kRestoreTypeTag = "torch.jit._pickle restore_type_tag";

// What the walk remembers of a value: only what a later check reads.
struct Value {
  enum class Kind { kOther, kInt, kString, kGlobal, kTuple, kList, kDict, kStorage, kTensor };
  Kind kind = Kind::kOther;
  int64_t number = 0;                               // kInt; kStorage: its element count
  std::shared_ptr<const std::string> text;          // kString, kGlobal ("module name")
  std::shared_ptr<const std::vector<Value>> items;  // kTuple
  int depth = 0;                                    // container nesting, 0 for scalars
  // Memoised or stored in a container: LibTorch shares it by reference from then on, so changing
  // it (APPENDS, SETITEMS) would change values whose depth was already counted. torch's Pickler
  // memoises a container only once it is complete, so such a change is refused.
  bool shared = false;
};

// Bytes per element of the storages torch::serialize writes ("torch FloatStorage" and kin).
std::optional<int64_t> storage_item_size(const std::string& global);

// Whether GLOBAL "module name" is one skingan's archives hold (see the definition for the list).
bool is_allowed_global(const std::string& global);

// BINPERSID's ("storage", torch.<T>Storage, key, device, numel), read into `key`, `item_size`
// and `numel` when its shape is right.
struct StorageId {
  std::string key;
  int64_t item_size = 0, numel = 0;
};
std::string storage_id_problem(const Value& id, StorageId& storage);

// _rebuild_tensor_v2(storage, offset, sizes, strides, requires_grad, hooks[, metadata]): every
// element the sizes and strides address must lie inside the storage.
std::string tensor_problem(const Value& args);

// restore_type_tag((value, "TYPE")): TYPE must be one of the attribute types of the code
// records (io/archive_code.h), since LibTorch parses it the same way.
std::string type_tag_problem(const Value& args);

}  // namespace skingan::io::pickle
