// A checkpoint viewed in place: the config and pointers into the caller's
// read-only bytes (an mmap on the host, mapped flash on an MCU). Loading
// validates everything the transformer will later trust, and copies nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "llmcu/status.h"

namespace llmcu {

enum class ModelFormat : uint8_t {
  kLlama2cV0,  // legacy: 28-byte header, fp32 tensors
  kLlama2cV1,  // "ak42" version 1: 256-byte header, fp32 tensors
  kLlama2cV2,  // "ak42" version 2: 256-byte header, Q8_0 groups
};
const char* model_format_name(ModelFormat format);

enum class WeightType : uint8_t { kF32, kQ8 };

struct ModelConfig {
  int32_t dim = 0;         // transformer width
  int32_t hidden_dim = 0;  // FFN width
  int32_t n_layers = 0;
  int32_t n_heads = 0;     // query heads
  int32_t n_kv_heads = 0;  // key/value heads (fewer than n_heads: grouped-query attention)
  int32_t vocab_size = 0;
  int32_t seq_len = 0;            // the longest context the model was trained for
  bool shared_classifier = true;  // classifier == token embedding table
  // kQ8 weights: values per fp32 scale in every matrix (divides dim and
  // hidden_dim); 0 for fp32 models. Sizes the int8 activation buffers.
  int32_t group_size = 0;

  int32_t head_size() const { return dim / n_heads; }
  int32_t kv_dim() const { return head_size() * n_kv_heads; }
  int32_t kv_mul() const { return n_heads / n_kv_heads; }  // query heads per kv head
};

// One matrix per layer (or a single one), each (rows, cols) row-major, so that
// out = W x has `rows` outputs and `cols` inputs.
struct Matrix {
  WeightType type = WeightType::kF32;
  const uint8_t* base = nullptr;
  size_t layer_stride = 0;  // bytes from one layer's matrix to the next
  int32_t rows = 0;
  int32_t cols = 0;
  int32_t group_size = 0;  // kQ8: consecutive values that share one scale

  const uint8_t* layer(int32_t l) const { return base + static_cast<size_t>(l) * layer_stride; }
  const float* f32(int32_t l) const { return reinterpret_cast<const float*>(layer(l)); }
  const int8_t* q8(int32_t l) const { return reinterpret_cast<const int8_t*>(layer(l)); }
  // kQ8: the fp32 scales stored right after the layer's int8 values, one per
  // group, row by row. In llama2.c version-2 files they are only as aligned as
  // rows * cols makes them (Cortex-M faults on unaligned float loads): the
  // kernels read them through scale_bytes() with memcpy.
  const float* scales(int32_t l) const {
    return reinterpret_cast<const float*>(layer(l) + static_cast<size_t>(rows) * cols);
  }
  const uint8_t* scale_bytes(int32_t l) const {
    return layer(l) + static_cast<size_t>(rows) * cols;
  }
  size_t bytes_per_layer() const;
};

struct Weights {
  Matrix token_embedding;            // (vocab_size, dim)
  const float* rms_att = nullptr;    // (n_layers, dim)
  const float* rms_ffn = nullptr;    // (n_layers, dim)
  const float* rms_final = nullptr;  // (dim)
  Matrix wq;                         // (n_layers, dim, dim)
  Matrix wk;                         // (n_layers, kv_dim, dim)
  Matrix wv;                         // (n_layers, kv_dim, dim)
  Matrix wo;                         // (n_layers, dim, dim)
  Matrix w1;                         // (n_layers, hidden_dim, dim)
  Matrix w2;                         // (n_layers, dim, hidden_dim)
  Matrix w3;                         // (n_layers, hidden_dim, dim)
  Matrix classifier;                 // (vocab_size, dim)
};

struct Model {
  ModelFormat format = ModelFormat::kLlama2cV0;
  WeightType weight_type = WeightType::kF32;
  ModelConfig config;
  Weights weights;
  size_t file_bytes = 0;
  uint64_t parameter_count = 0;  // excluding the unused RoPE tables
};

// Parses and validates `bytes`, which must stay alive and unchanged while the
// Model is used. `name` (e.g. the file name) prefixes every error message.
Result<Model> load_model(std::span<const uint8_t> bytes, const char* name);

// Checks a config on its own: positive dims, divisible heads, even head size.
Status validate_config(const ModelConfig& config);

}  // namespace llmcu
