// GGUF (versions 2 and 3), read in place from the caller's bytes.
//
// gguf_open walks the whole file once and checks everything a later reader
// would trust: every count, string length, array length, type, dimension
// product, offset and alignment, against the file's size. It then keeps an
// index of the metadata and the tensors in caller-provided arena memory
// (gguf_index_bytes says how much), so that lookups are binary searches and
// nothing is allocated. The file's bytes must outlive the GgufFile: keys,
// strings and tensor data are views into them.
//
// Layout (little-endian): "GGUF", uint32 version, uint64 tensor count,
// uint64 metadata count; the metadata as (string key, uint32 type, value);
// the tensor infos as (string name, uint32 n_dims, uint64 dims[n_dims],
// uint32 ggml type, uint64 offset); padding to `general.alignment` (default
// 32); the tensor data, each tensor at its offset from there. A string is a
// uint64 length and that many bytes (no terminator); an array is a uint32
// element type, a uint64 count and the elements. docs/gguf.md has more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "llmcu/arena.h"
#include "llmcu/status.h"

namespace llmcu {

// Metadata value types, numbered as in the file.
enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};
// "uint32", "string", "array", ...; "type N" for a number outside the enum.
const char* gguf_type_name(GgufType type);

// Tensor types, numbered as in ggml. The reader knows the block layout of
// every type a GGUF file may hold, so it can bound any tensor; which of them
// can be computed with is the model's business (F32, F16, Q8_0 and Q4_0).
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
};

struct GgmlTypeInfo {
  const char* name;       // "Q8_0"
  uint32_t block_values;  // values per block (1 for plain types)
  uint32_t block_bytes;   // bytes per block
};
// nullptr for a number that is not (or no longer) a ggml type.
const GgmlTypeInfo* ggml_type_info(uint32_t type);
const char* ggml_type_name(GgmlType type);  // "type N" for an unknown one

// One metadata value in place. Numbers and bools: `data` is the value
// (unaligned: memcpy it), count 1. Strings: the `bytes` characters at `data`.
// Arrays: count elements of element_type from `data`; strings in them are
// length-prefixed, so read those through GgufArray::strings().
struct GgufValue {
  GgufType type = GgufType::kUint8;
  GgufType element_type = GgufType::kUint8;  // arrays only
  uint64_t count = 0;
  const uint8_t* data = nullptr;
  size_t bytes = 0;  // a string's length; an array's bytes in the file
};

struct GgufKeyValue {
  std::string_view key;
  GgufValue value;
};

// An array value. Numeric elements are read by index (the element type must
// match: u32() of a uint32 array, ...); strings are walked in order, which
// is cheap since their lengths were all checked when the file was opened.
class GgufArray {
 public:
  class StringIterator {
   public:
    StringIterator(const uint8_t* at, uint64_t remaining) : at_(at), remaining_(remaining) {}
    std::string_view operator*() const;
    StringIterator& operator++();
    bool operator!=(const StringIterator& other) const { return remaining_ != other.remaining_; }

   private:
    const uint8_t* at_;
    uint64_t remaining_;
  };
  struct Strings {
    StringIterator first;
    StringIterator last;
    StringIterator begin() const { return first; }
    StringIterator end() const { return last; }
  };

  GgufArray() = default;
  explicit GgufArray(const GgufValue& value) : value_(value) {}

  GgufType element_type() const { return value_.element_type; }
  uint64_t size() const { return value_.count; }

  uint8_t u8(uint64_t i) const { return load<uint8_t>(i); }
  int8_t i8(uint64_t i) const { return load<int8_t>(i); }
  uint16_t u16(uint64_t i) const { return load<uint16_t>(i); }
  int16_t i16(uint64_t i) const { return load<int16_t>(i); }
  uint32_t u32(uint64_t i) const { return load<uint32_t>(i); }
  int32_t i32(uint64_t i) const { return load<int32_t>(i); }
  uint64_t u64(uint64_t i) const { return load<uint64_t>(i); }
  int64_t i64(uint64_t i) const { return load<int64_t>(i); }
  float f32(uint64_t i) const { return load<float>(i); }
  double f64(uint64_t i) const { return load<double>(i); }
  bool boolean(uint64_t i) const { return load<uint8_t>(i) != 0; }
  // Every element of a string array, in order.
  Strings strings() const;

 private:
  template <typename T>
  T load(uint64_t i) const {
    T v;
    memcpy(&v, value_.data + i * sizeof(T), sizeof(T));
    return v;
  }
  GgufValue value_;
};

inline constexpr uint32_t kGgufMaxDims = 4;

struct GgufTensor {
  std::string_view name;
  GgmlType type = GgmlType::kF32;
  uint32_t n_dims = 0;
  // ggml order: dims[0] is the row length (contiguous), dims[1] the row
  // count of a matrix; unused dims are 1.
  uint64_t dims[kGgufMaxDims] = {1, 1, 1, 1};
  uint64_t elements = 0;
  uint64_t offset = 0;  // from the start of the data section
  uint64_t bytes = 0;
  const uint8_t* data = nullptr;  // in the file's bytes

  uint64_t rows() const { return dims[0] == 0 ? 0 : elements / dims[0]; }
};

class GgufFile {
 public:
  GgufFile() = default;

  const char* name() const { return name_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // start of the tensor data
  size_t file_bytes() const { return bytes_.size(); }

  std::span<const GgufKeyValue> metadata() const { return metadata_; }  // file order
  std::span<const GgufTensor> tensors() const { return tensors_; }      // file order

  const GgufKeyValue* find(std::string_view key) const;  // nullptr when absent
  const GgufTensor* find_tensor(std::string_view name) const;

  // Typed lookups. A missing key or a value of another type is an error that
  // names the file, the key and both types. The forms with a fallback return
  // it when the key is absent (a present key of the wrong type is still an
  // error). No conversions: a uint32 key is not an int32 one.
  Result<uint32_t> get_u32(std::string_view key) const;
  Result<uint32_t> get_u32(std::string_view key, uint32_t fallback) const;
  Result<int32_t> get_i32(std::string_view key) const;
  Result<int32_t> get_i32(std::string_view key, int32_t fallback) const;
  Result<uint64_t> get_u64(std::string_view key) const;
  Result<float> get_f32(std::string_view key) const;
  Result<float> get_f32(std::string_view key, float fallback) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<bool> get_bool(std::string_view key, bool fallback) const;
  Result<std::string_view> get_string(std::string_view key) const;
  Result<std::string_view> get_string(std::string_view key, std::string_view fallback) const;
  // An array whose elements are `element_type`.
  Result<GgufArray> get_array(std::string_view key, GgufType element_type) const;

 private:
  friend Result<GgufFile> gguf_open(std::span<const uint8_t>, const char*, Arena&);
  Status lookup(std::string_view key, GgufType type, const GgufValue** out) const;
  template <typename T>
  Result<T> get_scalar(std::string_view key, GgufType type) const;

  const char* name_ = "";
  std::span<const uint8_t> bytes_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::span<const GgufKeyValue> metadata_;
  std::span<const GgufTensor> tensors_;
  std::span<const uint32_t> metadata_by_key_;  // indices into metadata_, sorted by key
  std::span<const uint32_t> tensors_by_name_;  // indices into tensors_, sorted by name
};

// Arena bytes gguf_open needs for these bytes, from the header's counts
// (checked against the file size first, so a hostile count cannot ask for
// more than a few times the file's size).
Result<size_t> gguf_index_bytes(std::span<const uint8_t> bytes, const char* name);

// Parses and checks `bytes`; `name` (e.g. the file name) prefixes every error
// message and must outlive the result, like the bytes. The index is
// allocated from `arena`.
Result<GgufFile> gguf_open(std::span<const uint8_t> bytes, const char* name, Arena& arena);

// True when the bytes start with GGUF's magic.
bool is_gguf(std::span<const uint8_t> bytes);

}  // namespace llmcu
