// GGUF's type tables and the lookups over an opened file's index: names
// for messages, typed getters with errors that name the file, the key and
// both types, and string arrays walked in place.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "llmcu/gguf.h"

namespace llmcu {
namespace {

constexpr GgmlTypeInfo kGgmlTypes[] = {
    {"F32", 1, 4},        {"F16", 1, 2},       {"Q4_0", 32, 18},     {"Q4_1", 32, 20},
    {nullptr, 0, 0},      {nullptr, 0, 0},     {"Q5_0", 32, 22},     {"Q5_1", 32, 24},
    {"Q8_0", 32, 34},     {"Q8_1", 32, 36},    {"Q2_K", 256, 84},    {"Q3_K", 256, 110},
    {"Q4_K", 256, 144},   {"Q5_K", 256, 176},  {"Q6_K", 256, 210},   {"Q8_K", 256, 292},
    {"IQ2_XXS", 256, 66}, {"IQ2_XS", 256, 74}, {"IQ3_XXS", 256, 98}, {"IQ1_S", 256, 50},
    {"IQ4_NL", 32, 18},   {"IQ3_S", 256, 110}, {"IQ2_S", 256, 82},   {"IQ4_XS", 256, 136},
    {"I8", 1, 1},         {"I16", 1, 2},       {"I32", 1, 4},        {"I64", 1, 8},
    {"F64", 1, 8},        {"IQ1_M", 256, 56},  {"BF16", 1, 2},       {nullptr, 0, 0},
    {nullptr, 0, 0},      {nullptr, 0, 0},     {"TQ1_0", 256, 54},   {"TQ2_0", 256, 66},
};

constexpr const char* kGgufTypeNames[] = {"uint8",  "int8",    "uint16", "int16",  "uint32",
                                          "int32",  "float32", "bool",   "string", "array",
                                          "uint64", "int64",   "float64"};
constexpr uint32_t kGgufTypeCount = sizeof(kGgufTypeNames) / sizeof(kGgufTypeNames[0]);

int clip(std::string_view s) {
  return static_cast<int>(s.size() < 80 ? s.size() : 80);
}

// Type names for messages: "uint32", "array of string".
void describe(const GgufValue& v, char* out, size_t size) {
  if (v.type == GgufType::kArray) {
    snprintf(out, size, "array of %s", gguf_type_name(v.element_type));
  } else {
    snprintf(out, size, "%s", gguf_type_name(v.type));
  }
}

}  // namespace

const char* gguf_type_name(GgufType type) {
  const auto raw = static_cast<uint32_t>(type);
  return raw < kGgufTypeCount ? kGgufTypeNames[raw] : "unknown type";
}

const GgmlTypeInfo* ggml_type_info(uint32_t type) {
  if (type >= sizeof(kGgmlTypes) / sizeof(kGgmlTypes[0])) return nullptr;
  return kGgmlTypes[type].name != nullptr ? &kGgmlTypes[type] : nullptr;
}

const char* ggml_type_name(GgmlType type) {
  const GgmlTypeInfo* info = ggml_type_info(static_cast<uint32_t>(type));
  return info != nullptr ? info->name : "unknown type";
}

std::string_view GgufArray::StringIterator::operator*() const {
  uint64_t length = 0;
  memcpy(&length, at_, sizeof(length));
  return std::string_view(reinterpret_cast<const char*>(at_ + sizeof(length)),
                          static_cast<size_t>(length));
}

GgufArray::StringIterator& GgufArray::StringIterator::operator++() {
  uint64_t length = 0;
  memcpy(&length, at_, sizeof(length));
  at_ += sizeof(length) + static_cast<size_t>(length);
  --remaining_;
  return *this;
}

GgufArray::Strings GgufArray::strings() const {
  const uint64_t n = value_.element_type == GgufType::kString ? value_.count : 0;
  return Strings{StringIterator(value_.data, n), StringIterator(nullptr, 0)};
}

const GgufKeyValue* GgufFile::find(std::string_view key) const {
  const auto it =
      std::lower_bound(metadata_by_key_.begin(), metadata_by_key_.end(), key,
                       [&](uint32_t i, std::string_view k) { return metadata_[i].key < k; });
  if (it == metadata_by_key_.end() || metadata_[*it].key != key) return nullptr;
  return &metadata_[*it];
}

const GgufTensor* GgufFile::find_tensor(std::string_view name) const {
  const auto it =
      std::lower_bound(tensors_by_name_.begin(), tensors_by_name_.end(), name,
                       [&](uint32_t i, std::string_view n) { return tensors_[i].name < n; });
  if (it == tensors_by_name_.end() || tensors_[*it].name != name) return nullptr;
  return &tensors_[*it];
}

Status GgufFile::lookup(std::string_view key, GgufType type, const GgufValue** out) const {
  const GgufKeyValue* kv = find(key);
  if (kv == nullptr) {
    return Status::error(StatusCode::kInvalidFormat, "%.*s: not in the file's metadata", clip(key),
                         key.data())
        .with_context(name_);
  }
  if (kv->value.type != type) {
    char found[32];
    describe(kv->value, found, sizeof(found));
    return Status::error(StatusCode::kInvalidFormat, "%.*s: expected %s, found %s", clip(key),
                         key.data(), gguf_type_name(type), found)
        .with_context(name_);
  }
  *out = &kv->value;
  return Status::ok();
}

template <typename T>
Result<T> GgufFile::get_scalar(std::string_view key, GgufType type) const {
  const GgufValue* v = nullptr;
  LLMCU_TRY(lookup(key, type, &v));
  T out;
  memcpy(&out, v->data, sizeof(T));
  return out;
}

Result<uint32_t> GgufFile::get_u32(std::string_view key) const {
  return get_scalar<uint32_t>(key, GgufType::kUint32);
}
Result<int32_t> GgufFile::get_i32(std::string_view key) const {
  return get_scalar<int32_t>(key, GgufType::kInt32);
}
Result<uint64_t> GgufFile::get_u64(std::string_view key) const {
  return get_scalar<uint64_t>(key, GgufType::kUint64);
}
Result<float> GgufFile::get_f32(std::string_view key) const {
  return get_scalar<float>(key, GgufType::kFloat32);
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  const GgufValue* v = nullptr;
  LLMCU_TRY(lookup(key, GgufType::kBool, &v));
  return v->data[0] != 0;
}

Result<std::string_view> GgufFile::get_string(std::string_view key) const {
  const GgufValue* v = nullptr;
  LLMCU_TRY(lookup(key, GgufType::kString, &v));
  return std::string_view(reinterpret_cast<const char*>(v->data), v->bytes);
}

Result<uint32_t> GgufFile::get_u32(std::string_view key, uint32_t fallback) const {
  return find(key) == nullptr ? Result<uint32_t>(fallback) : get_u32(key);
}
Result<int32_t> GgufFile::get_i32(std::string_view key, int32_t fallback) const {
  return find(key) == nullptr ? Result<int32_t>(fallback) : get_i32(key);
}
Result<float> GgufFile::get_f32(std::string_view key, float fallback) const {
  return find(key) == nullptr ? Result<float>(fallback) : get_f32(key);
}
Result<bool> GgufFile::get_bool(std::string_view key, bool fallback) const {
  return find(key) == nullptr ? Result<bool>(fallback) : get_bool(key);
}
Result<std::string_view> GgufFile::get_string(std::string_view key,
                                              std::string_view fallback) const {
  return find(key) == nullptr ? Result<std::string_view>(fallback) : get_string(key);
}

Result<GgufArray> GgufFile::get_array(std::string_view key, GgufType element_type) const {
  const GgufValue* v = nullptr;
  LLMCU_TRY(lookup(key, GgufType::kArray, &v));
  if (v->element_type != element_type) {
    return Status::error(StatusCode::kInvalidFormat,
                         "%.*s: expected array of %s, found array of %s", clip(key), key.data(),
                         gguf_type_name(element_type), gguf_type_name(v->element_type))
        .with_context(name_);
  }
  return GgufArray(*v);
}

}  // namespace llmcu
