#include "gguf_writer.h"

#include <cerrno>
#include <cstring>

#include "llmcu/ggml_rows.h"

namespace llmcu::cli {
namespace {

constexpr uint32_t kVersion = 3;
constexpr uint64_t kAlignment = 32;  // GGUF's default: no general.alignment key written

template <typename T>
void append(std::vector<uint8_t>& out, T value) {
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  memcpy(out.data() + at, &value, sizeof(T));
}

void append_string(std::vector<uint8_t>& out, std::string_view s) {
  append<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

std::vector<uint8_t> typed(GgufType type) {
  std::vector<uint8_t> v;
  append<uint32_t>(v, static_cast<uint32_t>(type));
  return v;
}

Status write_bytes(FILE* f, const void* data, size_t bytes) {
  if (bytes != 0 && fwrite(data, 1, bytes, f) != bytes) {
    return Status::error(StatusCode::kIoError, "write failed: %s", strerror(errno));
  }
  return Status::ok();
}

Status write_zeros(FILE* f, uint64_t bytes) {
  static const uint8_t kZeros[64] = {};
  while (bytes > 0) {
    const size_t n = bytes < sizeof(kZeros) ? static_cast<size_t>(bytes) : sizeof(kZeros);
    LLMCU_TRY(write_bytes(f, kZeros, n));
    bytes -= n;
  }
  return Status::ok();
}

uint64_t pad_to(uint64_t n, uint64_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

// The block number of "blk.N.*", -1 for other names.
int64_t block_of(std::string_view name) {
  if (name.substr(0, 4) != "blk.") return -1;
  int64_t n = 0;
  size_t i = 4;
  for (; i < name.size() && name[i] >= '0' && name[i] <= '9'; ++i) n = n * 10 + (name[i] - '0');
  return i > 4 ? n : -1;
}

}  // namespace

Status TensorOut::put(const void* data, size_t bytes) {
  LLMCU_TRY(write_bytes(f_, data, bytes));
  written_ += bytes;
  return Status::ok();
}

bool llama_cpp_tensor_order(std::string_view a, std::string_view b) {
  const int64_t la = block_of(a), lb = block_of(b);
  if (la != lb) return la < lb;
  return a < b;
}

void GgufWriter::set(std::string_view key, std::vector<uint8_t> value) {
  for (Entry& e : metadata_) {
    if (e.key == key) {
      e.value = std::move(value);
      return;
    }
  }
  metadata_.push_back({std::string(key), std::move(value)});
}

bool GgufWriter::has(std::string_view key) const {
  for (const Entry& e : metadata_) {
    if (e.key == key) return true;
  }
  return false;
}

void GgufWriter::set_u32(std::string_view key, uint32_t value) {
  std::vector<uint8_t> v = typed(GgufType::kUint32);
  append(v, value);
  set(key, std::move(v));
}

void GgufWriter::set_i32(std::string_view key, int32_t value) {
  std::vector<uint8_t> v = typed(GgufType::kInt32);
  append(v, value);
  set(key, std::move(v));
}

void GgufWriter::set_f32(std::string_view key, float value) {
  std::vector<uint8_t> v = typed(GgufType::kFloat32);
  append(v, value);
  set(key, std::move(v));
}

void GgufWriter::set_bool(std::string_view key, bool value) {
  std::vector<uint8_t> v = typed(GgufType::kBool);
  append<uint8_t>(v, value ? 1 : 0);
  set(key, std::move(v));
}

void GgufWriter::set_string(std::string_view key, std::string_view value) {
  std::vector<uint8_t> v = typed(GgufType::kString);
  append_string(v, value);
  set(key, std::move(v));
}

void GgufWriter::set_strings(std::string_view key, const std::vector<std::string>& values) {
  std::vector<uint8_t> v = typed(GgufType::kArray);
  append<uint32_t>(v, static_cast<uint32_t>(GgufType::kString));
  append<uint64_t>(v, values.size());
  for (const std::string& s : values) append_string(v, s);
  set(key, std::move(v));
}

void GgufWriter::set_f32s(std::string_view key, const std::vector<float>& values) {
  std::vector<uint8_t> v = typed(GgufType::kArray);
  append<uint32_t>(v, static_cast<uint32_t>(GgufType::kFloat32));
  append<uint64_t>(v, values.size());
  for (float x : values) append(v, x);
  set(key, std::move(v));
}

void GgufWriter::set_i32s(std::string_view key, const std::vector<int32_t>& values) {
  std::vector<uint8_t> v = typed(GgufType::kArray);
  append<uint32_t>(v, static_cast<uint32_t>(GgufType::kInt32));
  append<uint64_t>(v, values.size());
  for (int32_t x : values) append(v, x);
  set(key, std::move(v));
}

void GgufWriter::copy(const GgufKeyValue& kv) {
  std::vector<uint8_t> v = typed(kv.value.type);
  if (kv.value.type == GgufType::kString) {
    append<uint64_t>(v, kv.value.bytes);
  } else if (kv.value.type == GgufType::kArray) {
    append<uint32_t>(v, static_cast<uint32_t>(kv.value.element_type));
    append<uint64_t>(v, kv.value.count);
  }
  // Scalars: data holds the value, bytes its size; strings and arrays: their bytes.
  v.insert(v.end(), kv.value.data, kv.value.data + kv.value.bytes);
  set(kv.key, std::move(v));
}

void GgufWriter::add_tensor(std::string name, std::vector<uint64_t> dims, GgmlType type,
                            Fill fill) {
  uint64_t rows = 1;
  for (size_t d = 1; d < dims.size(); ++d) rows *= dims[d];
  const uint64_t bytes = rows * ggml_row_bytes(type, static_cast<int64_t>(dims[0]));
  tensors_.push_back({std::move(name), std::move(dims), type, bytes, std::move(fill)});
}

Result<uint64_t> GgufWriter::write(FILE* f) const {
  std::vector<uint8_t> head;
  append<uint32_t>(head, 0x46554747u);  // "GGUF"
  append<uint32_t>(head, kVersion);
  append<uint64_t>(head, tensors_.size());
  append<uint64_t>(head, metadata_.size());
  for (const Entry& e : metadata_) {
    append_string(head, e.key);
    head.insert(head.end(), e.value.begin(), e.value.end());
  }
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    append_string(head, t.name);
    append<uint32_t>(head, static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) append(head, d);
    append<uint32_t>(head, static_cast<uint32_t>(t.type));
    append(head, offset);
    offset = pad_to(offset + t.bytes, kAlignment);
  }
  LLMCU_TRY(write_bytes(f, head.data(), head.size()));
  uint64_t total = pad_to(head.size(), kAlignment);
  LLMCU_TRY(write_zeros(f, total - head.size()));
  for (const Tensor& t : tensors_) {
    TensorOut out(f);
    Status s = t.fill(out);
    if (s.is_ok() && out.written() != t.bytes) {
      s = Status::error(StatusCode::kInvalidArgument, "wrote %llu bytes of %llu",
                        static_cast<unsigned long long>(out.written()),
                        static_cast<unsigned long long>(t.bytes));
    }
    if (!s.is_ok()) return s.with_context(t.name.c_str());
    total += t.bytes;
    // Every tensor is padded to the alignment, the last one too (as llama.cpp writes).
    const uint64_t padded = pad_to(total, kAlignment);
    LLMCU_TRY(write_zeros(f, padded - total));
    total = padded;
  }
  return total;
}

}  // namespace llmcu::cli
