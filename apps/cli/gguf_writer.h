// Writing GGUF files (version 3) on the host: metadata and tensor
// descriptions are collected first, then the file is streamed in one pass,
// each tensor's bytes produced by a callback when its turn comes (so a
// model is converted row by row, never held whole).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "llmcu/gguf.h"
#include "llmcu/status.h"

namespace llmcu::cli {

// Receives a tensor's bytes in order.
class TensorOut {
 public:
  explicit TensorOut(FILE* f) : f_(f) {}
  Status put(const void* data, size_t bytes);
  uint64_t written() const { return written_; }

 private:
  FILE* f_;
  uint64_t written_ = 0;
};

class GgufWriter {
 public:
  // Writes exactly the tensor's bytes (ggml_row_bytes per row).
  using Fill = std::function<Status(TensorOut&)>;

  // Metadata, in the order first set; setting a key again replaces its value in place.
  void set_u32(std::string_view key, uint32_t value);
  void set_i32(std::string_view key, int32_t value);
  void set_f32(std::string_view key, float value);
  void set_bool(std::string_view key, bool value);
  void set_string(std::string_view key, std::string_view value);
  void set_strings(std::string_view key, const std::vector<std::string>& values);
  void set_f32s(std::string_view key, const std::vector<float>& values);
  void set_i32s(std::string_view key, const std::vector<int32_t>& values);
  // A value of another file, as it is (the key included).
  void copy(const GgufKeyValue& kv);
  bool has(std::string_view key) const;

  // A tensor of ggml dims (dims[0] the row length) and type.
  void add_tensor(std::string name, std::vector<uint64_t> dims, GgmlType type, Fill fill);

  // The whole file to `f`; returns its size. Errors name the tensor.
  Result<uint64_t> write(FILE* f) const;

 private:
  struct Entry {
    std::string key;
    std::vector<uint8_t> value;  // u32 type, then the value as GGUF encodes it
  };
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;
    GgmlType type;
    uint64_t bytes;
    Fill fill;
  };
  void set(std::string_view key, std::vector<uint8_t> value);

  std::vector<Entry> metadata_;
  std::vector<Tensor> tensors_;
};

// The order llama.cpp's quantizer writes tensors in (and llmcu's writers
// too): tensors outside the blocks first, by name, then block by block in
// increasing block number, each block's tensors by name.
bool llama_cpp_tensor_order(std::string_view a, std::string_view b);

}  // namespace llmcu::cli
