// A small GGUF writer for tests: well-formed files by default, and every
// field reachable so that tests can build hostile ones (wrong lengths, types,
// offsets) without hand-assembling bytes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace llmcu::test {

class GgufBuilder {
 public:
  enum Type : uint32_t {
    kU8 = 0,
    kI8 = 1,
    kU16 = 2,
    kI16 = 3,
    kU32 = 4,
    kI32 = 5,
    kF32 = 6,
    kBool = 7,
    kString = 8,
    kArray = 9,
    kU64 = 10,
    kI64 = 11,
    kF64 = 12,
  };

  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;  // ggml order: dims[0] is the row length
    uint32_t type = 0;           // ggml type number
    std::vector<uint8_t> data;
    std::optional<uint64_t> offset;  // default: next aligned position
  };

  uint32_t version = 3;
  uint64_t alignment = 32;  // how build() lays out data; add general.alignment yourself
  std::optional<uint64_t> tensor_count_override;
  std::optional<uint64_t> metadata_count_override;

  // Metadata: the key, then any value bytes (type included).
  void raw(const std::string& key, uint32_t type, const std::vector<uint8_t>& value) {
    std::vector<uint8_t> entry;
    put_string(entry, key);
    put(entry, type);
    entry.insert(entry.end(), value.begin(), value.end());
    metadata_.push_back(entry);
  }
  template <typename T>
  void scalar(const std::string& key, uint32_t type, T value) {
    std::vector<uint8_t> v;
    put(v, value);
    raw(key, type, v);
  }
  void u32(const std::string& key, uint32_t v) { scalar(key, kU32, v); }
  void i32(const std::string& key, int32_t v) { scalar(key, kI32, v); }
  void f32(const std::string& key, float v) { scalar(key, kF32, v); }
  void u64(const std::string& key, uint64_t v) { scalar(key, kU64, v); }
  void boolean(const std::string& key, bool v) { scalar(key, kBool, static_cast<uint8_t>(v)); }
  void string(const std::string& key, const std::string& v) {
    std::vector<uint8_t> bytes;
    put_string(bytes, v);
    raw(key, kString, bytes);
  }
  template <typename T>
  void array(const std::string& key, uint32_t element_type, const std::vector<T>& values) {
    std::vector<uint8_t> v;
    put(v, element_type);
    put(v, static_cast<uint64_t>(values.size()));
    for (const T& x : values) put(v, x);
    raw(key, kArray, v);
  }
  void strings(const std::string& key, const std::vector<std::string>& values) {
    std::vector<uint8_t> v;
    put(v, static_cast<uint32_t>(kString));
    put(v, static_cast<uint64_t>(values.size()));
    for (const std::string& s : values) put_string(v, s);
    raw(key, kArray, v);
  }

  Tensor& tensor(const std::string& name, std::vector<uint64_t> dims, uint32_t type,
                 std::vector<uint8_t> data) {
    tensors_.push_back(Tensor{name, std::move(dims), type, std::move(data), std::nullopt});
    return tensors_.back();
  }
  // An F32 tensor of the given shape filled with `fill`.
  Tensor& f32_tensor(const std::string& name, std::vector<uint64_t> dims, float fill = 0.5f) {
    uint64_t n = 1;
    for (uint64_t d : dims) n *= d;
    std::vector<uint8_t> data(n * 4);
    for (uint64_t i = 0; i < n; ++i) memcpy(data.data() + i * 4, &fill, 4);
    return tensor(name, std::move(dims), 0, std::move(data));
  }
  std::vector<Tensor>& tensors() { return tensors_; }

  // Where the tensor data section starts in the built file.
  size_t data_offset() const { return data_offset_; }
  // Where tensor i's info record starts in the built file.
  size_t tensor_info_offset(size_t i) const { return tensor_info_offsets_.at(i); }

  std::vector<uint8_t> build() {
    std::vector<uint8_t> out = {'G', 'G', 'U', 'F'};
    put(out, version);
    put(out, tensor_count_override.value_or(tensors_.size()));
    put(out, metadata_count_override.value_or(metadata_.size()));
    for (const auto& entry : metadata_) out.insert(out.end(), entry.begin(), entry.end());
    std::vector<uint64_t> offsets;
    uint64_t next = 0;
    for (const Tensor& t : tensors_) {
      const uint64_t at = t.offset.value_or(next);
      offsets.push_back(at);
      if (at <= (1ull << 32)) next = std::max(next, align(at + t.data.size()));
    }
    tensor_info_offsets_.clear();
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const Tensor& t = tensors_[i];
      tensor_info_offsets_.push_back(out.size());
      put_string(out, t.name);
      put(out, static_cast<uint32_t>(t.dims.size()));
      for (uint64_t d : t.dims) put(out, d);
      put(out, t.type);
      put(out, offsets[i]);
    }
    out.resize(align(out.size()), 0);
    data_offset_ = out.size();
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const Tensor& t = tensors_[i];
      if (offsets[i] > (1ull << 32)) continue;  // hostile offsets: no data to place
      const size_t at = data_offset_ + static_cast<size_t>(offsets[i]);
      if (out.size() < at + t.data.size()) out.resize(at + t.data.size(), 0);
      if (!t.data.empty()) memcpy(out.data() + at, t.data.data(), t.data.size());
    }
    return out;
  }

  template <typename T>
  static void put(std::vector<uint8_t>& out, T value) {
    uint8_t b[sizeof(T)];
    memcpy(b, &value, sizeof(T));
    out.insert(out.end(), b, b + sizeof(T));
  }
  static void put_string(std::vector<uint8_t>& out, const std::string& s) {
    put(out, static_cast<uint64_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  }

 private:
  uint64_t align(uint64_t n) const { return (n + alignment - 1) / alignment * alignment; }

  std::vector<std::vector<uint8_t>> metadata_;
  std::vector<Tensor> tensors_;
  std::vector<size_t> tensor_info_offsets_;
  size_t data_offset_ = 0;
};

}  // namespace llmcu::test
