// GGUF parsing: one checked walk over the file, then an index in the arena
// (the lookups over the index are in gguf_metadata.cpp).
//
// Every length and count from the file is compared with the bytes that are
// left before anything is read or skipped, in 64-bit arithmetic with
// overflow checks, so a hostile file can make the walk fail but never read
// outside the span. Cross-entry checks (duplicate keys and names, overlapping
// tensors) sort index permutations, O(n log n) with no allocation.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "checked_math.h"
#include "llmcu/gguf.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the GGUF reader reads little-endian files in place"
#endif

namespace llmcu {
namespace {

constexpr uint8_t kMagic[4] = {'G', 'G', 'U', 'F'};
constexpr size_t kHeaderBytes = 4 + 4 + 8 + 8;
constexpr uint64_t kDefaultAlignment = 32;
// Smallest possible entries, which bound the counts a file of a given size
// can honestly claim: a 1-byte key, its type and a 1-byte value; a 1-byte
// name, n_dims 0, the type and the offset.
constexpr uint64_t kMinKeyValueBytes = 8 + 1 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 4 + 8;
constexpr uint64_t kMaxTensorName = 63;       // ggml's limit (64 with its terminator)
constexpr int kClip = 80;                     // characters of a key or name quoted in a message
constexpr uint64_t kMaxElements = INT64_MAX;  // ggml counts elements in int64

// Bytes of one scalar of `type`; 0 for strings and arrays.
uint64_t scalar_bytes(GgufType type) {
  switch (type) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kBool: return 1;
    case GgufType::kUint16:
    case GgufType::kInt16: return 2;
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kFloat32: return 4;
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kFloat64: return 8;
    case GgufType::kString:
    case GgufType::kArray: return 0;
  }
  return 0;
}

int clip(std::string_view s) {
  return static_cast<int>(s.size() < kClip ? s.size() : kClip);
}

// printf arguments: uint32_t is unsigned long on some targets (arm-none-eabi).
unsigned long long ull(uint64_t v) {
  return static_cast<unsigned long long>(v);
}
unsigned as_unsigned(uint32_t v) {
  return static_cast<unsigned>(v);
}

// A bounds-checked walk over the file.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> bytes, size_t pos) : bytes_(bytes), pos_(pos) {}

  size_t pos() const { return pos_; }
  uint64_t remaining() const { return bytes_.size() - pos_; }
  const uint8_t* here() const { return bytes_.data() + pos_; }

  bool u32(uint32_t* v) { return fixed(v, sizeof(*v)); }
  bool u64(uint64_t* v) { return fixed(v, sizeof(*v)); }
  bool skip(uint64_t n) {
    if (n > remaining()) return false;
    pos_ += static_cast<size_t>(n);
    return true;
  }
  // A uint64 length and that many bytes.
  bool string(std::string_view* s) {
    uint64_t length = 0;
    if (!u64(&length) || length > remaining()) return false;
    *s = std::string_view(reinterpret_cast<const char*>(here()), static_cast<size_t>(length));
    pos_ += static_cast<size_t>(length);
    return true;
  }

 private:
  bool fixed(void* v, size_t n) {
    if (n > remaining()) return false;
    memcpy(v, here(), n);
    pos_ += n;
    return true;
  }

  std::span<const uint8_t> bytes_;
  size_t pos_;
};

struct HeaderCounts {
  uint32_t version = 0;
  uint64_t tensors = 0;
  uint64_t metadata = 0;
};

Status read_header(std::span<const uint8_t> bytes, HeaderCounts* out) {
  if (bytes.size() < 4 || memcmp(bytes.data(), kMagic, 4) != 0) {
    if (bytes.size() < 4) {
      return Status::error(StatusCode::kInvalidFormat, "%zu bytes: too short to be a GGUF file",
                           bytes.size());
    }
    return Status::error(StatusCode::kInvalidFormat,
                         "not a GGUF file (starts with %02x %02x %02x %02x, not \"GGUF\")",
                         bytes[0], bytes[1], bytes[2], bytes[3]);
  }
  Cursor c(bytes, 4);
  uint32_t version = 0;
  if (!c.u32(&version)) {
    return Status::error(StatusCode::kInvalidFormat, "truncated in the header (%zu bytes)",
                         bytes.size());
  }
  if (version == 1) {
    return Status::error(StatusCode::kUnsupported,
                         "GGUF version 1 is not supported (versions 2 and 3 are; version 1 "
                         "files come from 2023 tools: convert the model again)");
  }
  if (version == 0x02000000 || version == 0x03000000) {
    return Status::error(StatusCode::kUnsupported,
                         "big-endian GGUF (version %u byte-swapped) is not supported",
                         as_unsigned(version >> 24));
  }
  if (version != 2 && version != 3) {
    return Status::error(StatusCode::kUnsupported,
                         "GGUF version %u: only versions 2 and 3 are read", as_unsigned(version));
  }
  HeaderCounts h;
  h.version = version;
  if (!c.u64(&h.tensors) || !c.u64(&h.metadata)) {
    return Status::error(StatusCode::kInvalidFormat, "truncated in the header (%zu bytes of %zu)",
                         bytes.size(), kHeaderBytes);
  }
  const uint64_t rest = bytes.size() - kHeaderBytes;
  if (h.metadata > rest / kMinKeyValueBytes || h.metadata > UINT32_MAX) {
    return Status::error(StatusCode::kInvalidFormat,
                         "header claims %llu metadata entries, more than the %llu bytes after it "
                         "can hold",
                         ull(h.metadata), ull(rest));
  }
  if (h.tensors > rest / kMinTensorInfoBytes || h.tensors > UINT32_MAX) {
    return Status::error(StatusCode::kInvalidFormat,
                         "header claims %llu tensors, more than the %llu bytes after it can hold",
                         ull(h.tensors), ull(rest));
  }
  *out = h;
  return Status::ok();
}

uint64_t padded(uint64_t bytes) {
  return (bytes + Arena::kAlignment - 1) / Arena::kAlignment * Arena::kAlignment;
}

// The index: both entry arrays and both permutations, each arena-aligned,
// plus the lead an unaligned arena block may need.
uint64_t index_bytes(const HeaderCounts& h) {
  return padded(h.metadata * sizeof(GgufKeyValue)) + padded(h.tensors * sizeof(GgufTensor)) +
         padded(h.metadata * sizeof(uint32_t)) + padded(h.tensors * sizeof(uint32_t)) +
         Arena::kAlignment;
}

Status truncated(const Cursor& c, size_t file_bytes, const char* what, std::string_view name) {
  return Status::error(StatusCode::kInvalidFormat,
                       "%s '%.*s' runs past the end of the file (at byte %zu of %zu)", what,
                       clip(name), name.data(), c.pos(), file_bytes);
}

Status check_bools(const uint8_t* p, uint64_t n, std::string_view key) {
  for (uint64_t i = 0; i < n; ++i) {
    if (p[i] > 1) {
      return Status::error(StatusCode::kInvalidFormat,
                           "metadata '%.*s': bool value %u is neither 0 nor 1", clip(key),
                           key.data(), p[i]);
    }
  }
  return Status::ok();
}

Status read_type(Cursor& c, size_t file_bytes, std::string_view key, GgufType* type) {
  uint32_t raw = 0;
  if (!c.u32(&raw)) return truncated(c, file_bytes, "type of metadata", key);
  if (raw > static_cast<uint32_t>(GgufType::kFloat64)) {
    return Status::error(StatusCode::kInvalidFormat, "metadata '%.*s': unknown value type %u",
                         clip(key), key.data(), as_unsigned(raw));
  }
  *type = static_cast<GgufType>(raw);
  return Status::ok();
}

// Reads one value of metadata entry `key`, checking every length in it.
Status read_value(Cursor& c, size_t file_bytes, std::string_view key, GgufValue* v) {
  LLMCU_TRY(read_type(c, file_bytes, key, &v->type));
  if (v->type == GgufType::kString) {
    std::string_view s;
    if (!c.string(&s)) return truncated(c, file_bytes, "string value of metadata", key);
    v->count = 1;
    v->data = reinterpret_cast<const uint8_t*>(s.data());
    v->bytes = s.size();
    return Status::ok();
  }
  if (v->type != GgufType::kArray) {
    v->count = 1;
    v->data = c.here();
    v->bytes = static_cast<size_t>(scalar_bytes(v->type));
    if (!c.skip(v->bytes)) return truncated(c, file_bytes, "value of metadata", key);
    if (v->type == GgufType::kBool) return check_bools(v->data, 1, key);
    return Status::ok();
  }
  LLMCU_TRY(read_type(c, file_bytes, key, &v->element_type));
  if (v->element_type == GgufType::kArray) {
    return Status::error(StatusCode::kUnsupported,
                         "metadata '%.*s': arrays of arrays are not supported", clip(key),
                         key.data());
  }
  if (!c.u64(&v->count)) return truncated(c, file_bytes, "array length of metadata", key);
  v->data = c.here();
  if (v->element_type == GgufType::kString) {
    if (v->count > c.remaining() / 8) {
      return Status::error(StatusCode::kInvalidFormat,
                           "metadata '%.*s': %llu strings cannot fit in the %llu bytes left",
                           clip(key), key.data(), ull(v->count), ull(c.remaining()));
    }
    for (uint64_t i = 0; i < v->count; ++i) {
      std::string_view s;
      if (!c.string(&s)) {
        return Status::error(StatusCode::kInvalidFormat,
                             "metadata '%.*s': string %llu of %llu runs past the end of the file "
                             "(at byte %zu of %zu)",
                             clip(key), key.data(), ull(i), ull(v->count), c.pos(), file_bytes);
      }
    }
  } else {
    uint64_t total = 0;
    if (!checked_product(&total, {v->count, scalar_bytes(v->element_type)}) ||
        total > c.remaining()) {
      return Status::error(StatusCode::kInvalidFormat,
                           "metadata '%.*s': %llu values of type %s run past the end of the file "
                           "(%llu bytes left)",
                           clip(key), key.data(), ull(v->count), gguf_type_name(v->element_type),
                           ull(c.remaining()));
    }
    c.skip(total);
    if (v->element_type == GgufType::kBool) LLMCU_TRY(check_bools(v->data, v->count, key));
  }
  v->bytes = static_cast<size_t>(c.here() - v->data);
  return Status::ok();
}

Status read_metadata(Cursor& c, size_t file_bytes, std::span<GgufKeyValue> entries) {
  for (size_t i = 0; i < entries.size(); ++i) {
    GgufKeyValue& kv = entries[i];
    if (!c.string(&kv.key)) {
      return Status::error(StatusCode::kInvalidFormat,
                           "metadata entry %zu of %zu: key runs past the end of the file (at byte "
                           "%zu of %zu)",
                           i, entries.size(), c.pos(), file_bytes);
    }
    if (kv.key.empty()) {
      return Status::error(StatusCode::kInvalidFormat, "metadata entry %zu has an empty key", i);
    }
    LLMCU_TRY(read_value(c, file_bytes, kv.key, &kv.value));
  }
  return Status::ok();
}

// general.alignment if present: a uint32 power of two.
Status find_alignment(std::span<const GgufKeyValue> entries, uint64_t* alignment) {
  *alignment = kDefaultAlignment;
  for (const GgufKeyValue& kv : entries) {
    if (kv.key != "general.alignment") continue;
    if (kv.value.type != GgufType::kUint32) {
      return Status::error(StatusCode::kInvalidFormat,
                           "general.alignment: expected uint32, found %s",
                           gguf_type_name(kv.value.type));
    }
    uint32_t a = 0;
    memcpy(&a, kv.value.data, sizeof(a));
    if (a == 0 || (a & (a - 1)) != 0) {
      return Status::error(StatusCode::kInvalidFormat, "general.alignment %u is not a power of two",
                           as_unsigned(a));
    }
    *alignment = a;
  }
  return Status::ok();
}

Status read_tensor_info(Cursor& c, size_t file_bytes, size_t index, size_t count,
                        uint64_t alignment, GgufTensor* t) {
  if (!c.string(&t->name)) {
    return Status::error(StatusCode::kInvalidFormat,
                         "tensor %zu of %zu: name runs past the end of the file (at byte %zu of "
                         "%zu)",
                         index, count, c.pos(), file_bytes);
  }
  const std::string_view name = t->name;
  if (name.empty()) {
    return Status::error(StatusCode::kInvalidFormat, "tensor %zu of %zu has an empty name", index,
                         count);
  }
  if (name.size() > kMaxTensorName) {
    return Status::error(StatusCode::kInvalidFormat,
                         "tensor '%.*s': name of %zu bytes is longer than ggml's %llu", clip(name),
                         name.data(), name.size(), ull(kMaxTensorName));
  }
  if (!c.u32(&t->n_dims)) return truncated(c, file_bytes, "shape of tensor", name);
  if (t->n_dims > kGgufMaxDims) {
    return Status::error(StatusCode::kInvalidFormat, "tensor '%.*s': %u dimensions (at most %u)",
                         clip(name), name.data(), as_unsigned(t->n_dims),
                         as_unsigned(kGgufMaxDims));
  }
  uint64_t elements = 1;
  for (uint32_t d = 0; d < t->n_dims; ++d) {
    if (!c.u64(&t->dims[d])) return truncated(c, file_bytes, "shape of tensor", name);
    if (!checked_product(&elements, {elements, t->dims[d]}) || elements > kMaxElements) {
      return Status::error(StatusCode::kInvalidFormat,
                           "tensor '%.*s': dimensions overflow 63 bits at dimension %u (%llu)",
                           clip(name), name.data(), as_unsigned(d), ull(t->dims[d]));
    }
  }
  t->elements = elements;
  uint32_t raw_type = 0;
  if (!c.u32(&raw_type)) return truncated(c, file_bytes, "type of tensor", name);
  const GgmlTypeInfo* info = ggml_type_info(raw_type);
  if (info == nullptr) {
    return Status::error(StatusCode::kInvalidFormat, "tensor '%.*s': unknown ggml type %u",
                         clip(name), name.data(), as_unsigned(raw_type));
  }
  t->type = static_cast<GgmlType>(raw_type);
  if (t->dims[0] % info->block_values != 0) {
    return Status::error(StatusCode::kInvalidFormat,
                         "tensor '%.*s': rows of %llu values are not a multiple of %s's %u-value "
                         "block",
                         clip(name), name.data(), ull(t->dims[0]), info->name,
                         as_unsigned(info->block_values));
  }
  // dims[0] is a multiple of the block, so elements is too.
  if (!checked_product(&t->bytes, {elements / info->block_values, info->block_bytes})) {
    return Status::error(StatusCode::kInvalidFormat, "tensor '%.*s': size overflows 64 bits",
                         clip(name), name.data());
  }
  if (!c.u64(&t->offset)) return truncated(c, file_bytes, "offset of tensor", name);
  if (t->offset % alignment != 0) {
    return Status::error(StatusCode::kInvalidFormat,
                         "tensor '%.*s': offset %llu is not a multiple of the alignment %llu",
                         clip(name), name.data(), ull(t->offset), ull(alignment));
  }
  return Status::ok();
}

Status place_tensor(std::span<const uint8_t> bytes, uint64_t data_offset, GgufTensor* t) {
  uint64_t start = data_offset;
  const bool start_ok = checked_add(&start, t->offset);
  uint64_t end = start;
  if (!start_ok || !checked_add(&end, t->bytes) || end > bytes.size()) {
    return Status::error(StatusCode::kInvalidFormat,
                         "tensor '%.*s': data at %llu+%llu bytes runs past the end of the file "
                         "(%zu bytes)",
                         clip(t->name), t->name.data(), ull(data_offset + t->offset), ull(t->bytes),
                         bytes.size());
  }
  t->data = bytes.data() + start;
  return Status::ok();
}

// `order` sorted by offset: no tensor may start before the previous ones end.
Status check_overlaps(std::span<const GgufTensor> tensors, std::span<uint32_t> order) {
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return tensors[a].offset < tensors[b].offset ||
           (tensors[a].offset == tensors[b].offset && a < b);
  });
  const GgufTensor* furthest = nullptr;  // the tensor that reaches furthest so far
  for (uint32_t i : order) {
    const GgufTensor& t = tensors[i];
    if (t.bytes == 0) continue;
    if (furthest != nullptr && t.offset < furthest->offset + furthest->bytes) {
      return Status::error(StatusCode::kInvalidFormat,
                           "tensors '%.*s' (data at %llu+%llu) and '%.*s' (at %llu+%llu) overlap",
                           clip(furthest->name), furthest->name.data(), ull(furthest->offset),
                           ull(furthest->bytes), clip(t.name), t.name.data(), ull(t.offset),
                           ull(t.bytes));
    }
    if (furthest == nullptr || t.offset + t.bytes > furthest->offset + furthest->bytes) {
      furthest = &t;
    }
  }
  return Status::ok();
}

// Sorts `order` by the names `name_of` gives and refuses a name seen twice.
template <typename NameOf>
Status sort_unique(std::span<uint32_t> order, NameOf name_of, const char* what) {
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return name_of(a) < name_of(b); });
  for (size_t i = 1; i < order.size(); ++i) {
    const std::string_view name = name_of(order[i]);
    if (name == name_of(order[i - 1])) {
      return Status::error(StatusCode::kInvalidFormat, "%s '%.*s' appears twice", what, clip(name),
                           name.data());
    }
  }
  return Status::ok();
}

template <typename T>
T* allocate(Arena& arena, uint64_t count) {
  return arena.allocate<T>(static_cast<size_t>(count));
}

Status parse(std::span<const uint8_t> bytes, const HeaderCounts& h, Arena& arena,
             std::span<const GgufKeyValue>* metadata, std::span<const GgufTensor>* tensors,
             std::span<const uint32_t>* metadata_by_key, std::span<const uint32_t>* tensors_by_name,
             uint64_t* alignment, uint64_t* data_offset) {
  auto* kvs = allocate<GgufKeyValue>(arena, h.metadata);
  auto* infos = allocate<GgufTensor>(arena, h.tensors);
  auto* key_order = allocate<uint32_t>(arena, h.metadata);
  auto* name_order = allocate<uint32_t>(arena, h.tensors);
  if (kvs == nullptr || infos == nullptr || key_order == nullptr || name_order == nullptr) {
    return Status::error(StatusCode::kResourceExhausted,
                         "the arena is too small for the file's index (%llu bytes)",
                         ull(index_bytes(h)));
  }
  const std::span<GgufKeyValue> kv_span(kvs, static_cast<size_t>(h.metadata));
  const std::span<GgufTensor> tensor_span(infos, static_cast<size_t>(h.tensors));
  for (GgufKeyValue& kv : kv_span) kv = GgufKeyValue{};
  for (GgufTensor& t : tensor_span) t = GgufTensor{};

  Cursor c(bytes, kHeaderBytes);
  LLMCU_TRY(read_metadata(c, bytes.size(), kv_span));
  LLMCU_TRY(find_alignment(kv_span, alignment));
  for (size_t i = 0; i < tensor_span.size(); ++i) {
    LLMCU_TRY(
        read_tensor_info(c, bytes.size(), i, tensor_span.size(), *alignment, &tensor_span[i]));
  }
  // The data section starts at the next multiple of the alignment.
  *data_offset = (static_cast<uint64_t>(c.pos()) + *alignment - 1) / *alignment * *alignment;
  for (GgufTensor& t : tensor_span) LLMCU_TRY(place_tensor(bytes, *data_offset, &t));

  const std::span<uint32_t> names(name_order, tensor_span.size());
  for (size_t i = 0; i < names.size(); ++i) names[i] = static_cast<uint32_t>(i);
  LLMCU_TRY(check_overlaps(tensor_span, names));
  LLMCU_TRY(sort_unique(
      names, [&](uint32_t i) { return tensor_span[i].name; }, "tensor name"));
  const std::span<uint32_t> keys(key_order, kv_span.size());
  for (size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<uint32_t>(i);
  LLMCU_TRY(sort_unique(
      keys, [&](uint32_t i) { return kv_span[i].key; }, "metadata key"));

  *metadata = kv_span;
  *tensors = tensor_span;
  *metadata_by_key = keys;
  *tensors_by_name = names;
  return Status::ok();
}

}  // namespace

bool is_gguf(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && memcmp(bytes.data(), kMagic, 4) == 0;
}

Result<size_t> gguf_index_bytes(std::span<const uint8_t> bytes, const char* name) {
  HeaderCounts h;
  Status s = read_header(bytes, &h);
  if (!s.is_ok()) return s.with_context(name);
  const uint64_t needed = index_bytes(h);
  if (needed > SIZE_MAX) {
    return Status::error(StatusCode::kOutOfRange, "index of %llu bytes exceeds the address space",
                         ull(needed))
        .with_context(name);
  }
  return static_cast<size_t>(needed);
}

Result<GgufFile> gguf_open(std::span<const uint8_t> bytes, const char* name, Arena& arena) {
  HeaderCounts h;
  Status s = read_header(bytes, &h);
  if (s.is_ok() && index_bytes(h) > SIZE_MAX) {
    s = Status::error(StatusCode::kOutOfRange, "index exceeds the address space");
  }
  GgufFile file;
  if (s.is_ok()) {
    s = parse(bytes, h, arena, &file.metadata_, &file.tensors_, &file.metadata_by_key_,
              &file.tensors_by_name_, &file.alignment_, &file.data_offset_);
  }
  if (!s.is_ok()) return s.with_context(name);
  file.name_ = name != nullptr ? name : "";
  file.bytes_ = bytes;
  file.version_ = h.version;
  return file;
}

}  // namespace llmcu
