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
  kLlmcu,      // our own: tensor table, 64-byte aligned tensors, CRC-32 (docs/llmcu-format.md)
};
const char* model_format_name(ModelFormat format);

enum class WeightType : uint8_t { kF32, kQ8 };

// Largest int8 group size any loader accepts.
inline constexpr int32_t kMaxGroupSize = 4096;

struct ModelConfig {
  int32_t dim = 0;         // transformer width
  int32_t hidden_dim = 0;  // FFN width
  int32_t n_layers = 0;
  int32_t n_heads = 0;     // query heads
  int32_t n_kv_heads = 0;  // key/value heads (fewer than n_heads: grouped-query attention)
  int32_t vocab_size = 0;
  int32_t seq_len = 0;            // the longest context the model was trained for
  bool shared_classifier = true;  // classifier == token embedding table
  // kQ8 weights: values per fp32 scale in every matrix; 0 for fp32 models.
  // Sizes the int8 activation buffers. llama2.c version-2 files need it to
  // divide dim and hidden_dim; llmcu files pad each row to whole groups.
  int32_t group_size = 0;

  // Row length `n` padded to whole groups (n itself for fp32 models).
  int32_t padded(int32_t n) const {
    return group_size > 0 ? (n + group_size - 1) / group_size * group_size : n;
  }

  int32_t head_size() const { return dim / n_heads; }
  int32_t kv_dim() const { return head_size() * n_kv_heads; }
  int32_t kv_mul() const { return n_heads / n_kv_heads; }  // query heads per kv head
};

// One matrix per layer (or a single one), each (rows, cols) row-major, so that
// out = W x has `rows` outputs and `cols` inputs.
//
// kQ8 rows hold whole groups: row_stride (a multiple of group_size) values
// from one row to the next, the last group of each row zero-padded when
// group_size does not divide cols (llmcu files), and (rows, row_stride /
// group_size) fp32 scales at scale_offset bytes from the layer's start.
// llama2.c version-2 files are the case row_stride == cols, scales right after
// the values. fp32 rows are always contiguous (row_stride == cols).
struct Matrix {
  WeightType type = WeightType::kF32;
  const uint8_t* base = nullptr;
  size_t layer_stride = 0;  // bytes from one layer's matrix to the next
  int32_t rows = 0;
  int32_t cols = 0;
  int32_t group_size = 0;   // kQ8: consecutive values that share one scale
  int32_t row_stride = 0;   // values from one row to the next (>= cols)
  size_t scale_offset = 0;  // kQ8: bytes from a layer's start to its scales

  int32_t groups_per_row() const { return row_stride / group_size; }  // kQ8

  const uint8_t* layer(int32_t l) const { return base + static_cast<size_t>(l) * layer_stride; }
  const float* f32(int32_t l) const { return reinterpret_cast<const float*>(layer(l)); }
  const int8_t* q8(int32_t l) const { return reinterpret_cast<const int8_t*>(layer(l)); }
  // kQ8: the layer's fp32 scales, one per group, row by row. In llama2.c
  // version-2 files they are only as aligned as rows * cols makes them
  // (Cortex-M faults on unaligned float loads): the kernels read them through
  // scale_bytes() with memcpy. In llmcu files they are 64-byte aligned.
  const float* scales(int32_t l) const {
    return reinterpret_cast<const float*>(layer(l) + scale_offset);
  }
  const uint8_t* scale_bytes(int32_t l) const { return layer(l) + scale_offset; }
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
