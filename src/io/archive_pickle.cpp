#include "io/archive_pickle.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "io/archive_pickle_values.h"

namespace skingan::io {
namespace {

using pickle::Value;

// The protocol-2 opcodes LibTorch's Unpickler executes (torch/csrc/jit/serialization/pickler.h);
// any other byte is refused, as LibTorch would refuse it.
enum Op : unsigned char {
  kMark = '(',
  kStop = '.',
  kBinInt = 'J',
  kBinInt1 = 'K',
  kBinInt2 = 'M',
  kNone = 'N',
  kBinPersId = 'Q',
  kReduce = 'R',
  kBinUnicode = 'X',
  kAppends = 'e',
  kBuild = 'b',
  kGlobal = 'c',
  kDict = 'd',
  kEmptyDict = '}',
  kBinGet = 'h',
  kLongBinGet = 'j',
  kList = 'l',
  kEmptyList = ']',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kSetItem = 's',
  kTuple = 't',
  kEmptyTuple = ')',
  kSetItems = 'u',
  kBinFloat = 'G',
  kProto = 0x80,
  kNewObj = 0x81,
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kLong1 = 0x8a,
};

struct Refusal {
  std::string message;
};

class Walk {
 public:
  Walk(std::string_view pickle, std::string storage_prefix, const RecordSize& record_size)
      : pickle_(pickle), storage_prefix_(std::move(storage_prefix)), record_size_(record_size) {}

  void run() {
    if (byte() != kProto || byte() != 2)
      refuse("the record does not start with PROTO 2, the pickle protocol torch writes");
    while (true) {
      at_ = pos_;
      const unsigned char op = byte();
      if (op == kStop) return;
      step(op);
    }
  }

  size_t at() const { return at_; }

 private:
  [[noreturn]] void refuse(const std::string& message) const { throw Refusal{message}; }

  void need(uint64_t n) const {
    if (n > pickle_.size() - pos_) {
      refuse("the opcode needs " + std::to_string(n) + " more bytes, but the record has only " +
             std::to_string(pickle_.size() - pos_) + " left");
    }
  }
  unsigned char byte() {
    need(1);
    return static_cast<unsigned char>(pickle_[pos_++]);
  }
  uint64_t little_endian(int bytes) {
    need(bytes);
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i)
      value |= uint64_t{static_cast<unsigned char>(pickle_[pos_ + i])} << (8 * i);
    pos_ += bytes;
    return value;
  }
  // GLOBAL's "module\n" and "name\n": Python identifiers with dots, as LibTorch requires.
  std::string line() {
    std::string text;
    while (true) {
      const unsigned char c = byte();
      if (c == '\n') break;
      const bool id = c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                      (c >= 'A' && c <= 'Z');
      if (!id)
        refuse("GLOBAL names hold only letters, digits, '_' and '.', found byte " +
               std::to_string(c));
      text += static_cast<char>(c);
    }
    if (text.empty()) refuse("GLOBAL with an empty name");
    return text;
  }

  [[noreturn]] void refuse_nesting() const {
    refuse("containers nested more than " + std::to_string(kMaxPickleNesting) +
           " deep, deeper than any weights archive");
  }
  void push(Value value) {
    if (value.depth > kMaxPickleNesting) refuse_nesting();
    stack_.push_back(std::move(value));
  }
  Value pop() {
    if (stack_.empty()) refuse("the opcode needs a value, but the stack is empty");
    Value value = std::move(stack_.back());
    stack_.pop_back();
    return value;
  }
  // The values above the last MARK, which is removed.
  std::vector<Value> pop_marked() {
    if (marks_.empty()) refuse("the opcode needs a MARK, but there is none");
    const size_t start = marks_.back();
    marks_.pop_back();
    if (start > stack_.size()) refuse("the values after the last MARK were already taken");
    std::vector<Value> items(std::make_move_iterator(stack_.begin() + start),
                             std::make_move_iterator(stack_.end()));
    stack_.resize(start);
    return items;
  }
  static int depth_of(const std::vector<Value>& items) {
    int depth = 0;
    for (const Value& item : items) depth = std::max(depth, item.depth);
    return depth + 1;
  }
  void push_tuple(std::vector<Value> items) {
    for (Value& item : items) item.shared = true;
    Value tuple;
    tuple.kind = Value::Kind::kTuple;
    tuple.depth = depth_of(items);
    tuple.items = std::make_shared<const std::vector<Value>>(std::move(items));
    push(std::move(tuple));
  }
  void push_tuple_of_last(size_t n) {
    if (stack_.size() < n)
      refuse("TUPLE" + std::to_string(n) + " needs " + std::to_string(n) + " values on the stack");
    std::vector<Value> items(n);
    for (size_t i = n; i-- > 0;) items[i] = pop();
    push_tuple(std::move(items));
  }
  // APPENDS, SETITEMS and SETITEM add `items` to the container below them.
  void add_to(Value::Kind kind, const std::vector<Value>& items) {
    if (stack_.empty() || stack_.back().kind != kind)
      refuse(kind == Value::Kind::kList ? "APPENDS without a list below its MARK"
                                        : "SETITEMS without a dict below its MARK");
    Value& container = stack_.back();
    if (container.shared)
      refuse("a container is changed after it was stored, which torch's writer never does");
    container.depth = std::max(container.depth, depth_of(items));
    if (container.depth > kMaxPickleNesting) refuse_nesting();
  }
  void put(uint64_t id) {
    if (stack_.empty()) refuse("a memo PUT with an empty stack");
    // torch numbers its memo entries 0, 1, 2...; LibTorch sizes its memo table by the id.
    if (id > pickle_.size()) {
      refuse("memo id " + std::to_string(id) + ", more than the " + std::to_string(pickle_.size()) +
             " bytes of the record could number");
    }
    stack_.back().shared = true;
    memo_[id] = stack_.back();
  }
  void get(uint64_t id) {
    const auto it = memo_.find(id);
    if (it == memo_.end()) refuse("memo id " + std::to_string(id) + " was never stored");
    push(it->second);
  }
  std::optional<uint64_t> record_size(const std::string& record) {
    const auto cached = record_sizes_.find(record);
    if (cached != record_sizes_.end()) return cached->second;
    return record_sizes_[record] = record_size_(record);
  }

  // BINPERSID's ("storage", torch.<T>Storage, key, device, numel): the storage must fit its record.
  Value storage(const Value& id) {
    pickle::StorageId storage;
    refuse_if(pickle::storage_id_problem(id, storage));
    if (storage_prefix_.empty()) refuse("a tensor storage in a record that holds none");
    const std::string record = storage_prefix_ + storage.key;
    const int64_t numel = storage.numel;
    if (numel < 0) refuse("storage " + record + " claims " + std::to_string(numel) + " elements");
    if (numel > 0) {
      const std::optional<uint64_t> size = record_size(record);
      if (!size) refuse("storage " + record + " has no record in the archive");
      if (static_cast<uint64_t>(numel) > *size / static_cast<uint64_t>(storage.item_size)) {
        refuse("storage " + record + " claims " + std::to_string(numel) + " elements of " +
               std::to_string(storage.item_size) + " bytes, but its record holds " +
               std::to_string(*size) + " bytes");
      }
    }
    Value value;
    value.kind = Value::Kind::kStorage;
    value.number = numel;
    return value;
  }
  void refuse_if(const std::string& problem) const {
    if (!problem.empty()) refuse(problem);
  }

  void step(unsigned char op) {
    switch (op) {
      case kMark:
        marks_.push_back(stack_.size());
        break;
      case kNone:
      case kNewTrue:
      case kNewFalse:
        push(Value{});
        break;
      case kBinFloat:
        little_endian(8);
        push(Value{});
        break;
      case kBinInt1:
      case kBinInt2:
      case kBinInt: {
        const int bytes = op == kBinInt1 ? 1 : op == kBinInt2 ? 2 : 4;
        uint64_t raw = little_endian(bytes);
        Value value;
        value.kind = Value::Kind::kInt;
        value.number = op == kBinInt ? static_cast<int32_t>(raw) : static_cast<int64_t>(raw);
        push(std::move(value));
        break;
      }
      case kLong1: {
        if (byte() != 8) refuse("LONG1 with a length other than 8, which LibTorch reads");
        Value value;
        value.kind = Value::Kind::kInt;
        value.number = static_cast<int64_t>(little_endian(8));
        push(std::move(value));
        break;
      }
      case kBinUnicode: {
        const uint64_t length = little_endian(4);
        need(length);
        Value value;
        value.kind = Value::Kind::kString;
        value.text = std::make_shared<const std::string>(pickle_.substr(pos_, length));
        pos_ += length;
        push(std::move(value));
        break;
      }
      case kGlobal: {
        std::string global = line();
        global += ' ';
        global += line();
        if (!pickle::is_allowed_global(global)) {
          refuse("GLOBAL " + global +
                 ", which is none of the module classes, tensors, storages and lists that "
                 "weights archives hold");
        }
        Value value;
        value.kind = Value::Kind::kGlobal;
        value.text = std::make_shared<const std::string>(std::move(global));
        push(std::move(value));
        break;
      }
      case kEmptyTuple:
        push_tuple({});
        break;
      case kTuple:
        push_tuple(pop_marked());
        break;
      case kTuple1:
      case kTuple2:
      case kTuple3:
        push_tuple_of_last(op - kTuple1 + 1);
        break;
      case kEmptyList:
      case kEmptyDict: {
        Value value;
        value.kind = op == kEmptyList ? Value::Kind::kList : Value::Kind::kDict;
        value.depth = 1;
        push(std::move(value));
        break;
      }
      case kList:
      case kDict: {
        const std::vector<Value> items = pop_marked();
        if (op == kDict && items.size() % 2 != 0) refuse("DICT with a key but no value");
        Value value;
        value.kind = op == kList ? Value::Kind::kList : Value::Kind::kDict;
        value.depth = depth_of(items);
        push(std::move(value));
        break;
      }
      case kAppends:
        add_to(Value::Kind::kList, pop_marked());
        break;
      case kSetItems: {
        const std::vector<Value> items = pop_marked();
        if (items.size() % 2 != 0) refuse("SETITEMS with a key but no value");
        add_to(Value::Kind::kDict, items);
        break;
      }
      case kSetItem: {
        if (stack_.size() < 3) refuse("SETITEM needs a dict, a key and a value on the stack");
        std::vector<Value> items(2);
        items[1] = pop();
        items[0] = pop();
        add_to(Value::Kind::kDict, items);
        break;
      }
      case kBinPut:
        put(little_endian(1));
        break;
      case kLongBinPut:
        put(little_endian(4));
        break;
      case kBinGet:
        get(little_endian(1));
        break;
      case kLongBinGet:
        get(little_endian(4));
        break;
      case kNewObj:
        pop();  // the empty argument tuple; the class stays on the stack for BUILD
        break;
      case kReduce:
      case kBuild: {
        if (stack_.size() < 2) refuse("REDUCE or BUILD needs a callable and its argument");
        const Value argument = pop();
        const Value callable = pop();
        if (callable.kind != Value::Kind::kGlobal || pickle::storage_item_size(*callable.text))
          refuse("REDUCE or BUILD of something that is not a class or function GLOBAL");
        Value result;
        if (*callable.text == pickle::kRebuildTensor) {
          refuse_if(pickle::tensor_problem(argument));
          result.kind = Value::Kind::kTensor;
        } else if (*callable.text == pickle::kRestoreTypeTag) {
          refuse_if(pickle::type_tag_problem(argument));
          result = (*argument.items)[0];
        } else {
          result.depth = argument.depth + 1;
        }
        push(std::move(result));
        break;
      }
      case kBinPersId:
        push(storage(pop()));
        break;
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        refuse(std::string("opcode ") + hex + ", which torch's weights archives do not use");
      }
    }
  }

  std::string_view pickle_;
  std::string storage_prefix_;
  const RecordSize& record_size_;
  size_t pos_ = 0;
  size_t at_ = 0;
  std::vector<Value> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Value> memo_;
  std::map<std::string, std::optional<uint64_t>> record_sizes_;
};

}  // namespace

std::string archive_pickle_problem(std::string_view pickle, const std::string& storage_prefix,
                                   const RecordSize& record_size) {
  Walk walk(pickle, storage_prefix, record_size);
  try {
    walk.run();
  } catch (const Refusal& refusal) {
    return "byte " + std::to_string(walk.at()) + ": " + refusal.message;
  }
  return "";
}

}  // namespace skingan::io
