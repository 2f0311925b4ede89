// A checkpoint viewed in place: the config and pointers into the caller's
// read-only bytes (an mmap on the host, mapped flash on an MCU). Loading
// validates everything the transformer will later trust, and copies nothing.
//
// llama2.c and llmcu files stack each matrix's layers in one tensor (layer l
// at base + l * layer_stride) and need no memory besides their bytes. A GGUF
// file holds every layer's matrices and norms as tensors of their own, with
// a type per tensor: its loader keeps the file's index and one pointer per
// layer and tensor in memory the caller provides (model_memory_bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "llmcu/status.h"
#include "llmcu/tokenizer_spec.h"

namespace llmcu {

class GgufFile;

enum class ModelFormat : uint8_t {
  kLlama2cV0,  // legacy: 28-byte header, fp32 tensors
  kLlama2cV1,  // "ak42" version 1: 256-byte header, fp32 tensors
  kLlama2cV2,  // "ak42" version 2: 256-byte header, Q8_0 groups
  kLlmcu,      // our own: tensor table, 64-byte aligned tensors, CRC-32 (docs/llmcu-format.md)
  kGguf,       // llama.cpp's GGUF, versions 2 and 3 (docs/gguf.md)
};
const char* model_format_name(ModelFormat format);

// How a matrix's values are stored.
enum class WeightType : uint8_t {
  kF32,
  kQ8,    // llama2.c's int8 groups with fp32 scales (version-2 and llmcu files)
  kF16,   // GGUF: IEEE binary16
  kQ8_0,  // GGUF: ggml's blocks of 32 int8 with an fp16 scale
  kQ4_0,  // GGUF: ggml's blocks of 32 4-bit values with an fp16 scale
};
const char* weight_type_name(WeightType type);  // "f32", "q8", "f16", "q8_0", "q4_0"
// Q8_0 and Q4_0 matrices multiply an input quantized to Q8_0 blocks.
inline bool takes_q8_0_input(WeightType type) {
  return type == WeightType::kQ8_0 || type == WeightType::kQ4_0;
}

// Which elements of a head RoPE rotates together.
enum class RopeStyle : uint8_t {
  kAdjacentPairs,  // (v[2i], v[2i+1]): llama2.c, GGUF llama (llama.cpp's "normal" rope)
  kHalves,         // (v[i], v[i + head_size/2]): GGUF qwen2 (llama.cpp's "neox" rope)
};

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
  // GGUF files set these; llama2.c and llmcu files keep llama2.c's constants.
  float rms_eps = 1e-5f;        // added to the mean square in every RMS norm
  float rope_theta = 10000.0f;  // RoPE base frequency
  RopeStyle rope_style = RopeStyle::kAdjacentPairs;
  // Some matrix is Q8_0 or Q4_0: matvec inputs are also quantized to ggml's
  // Q8_0 blocks, into a buffer of max(dim, hidden_dim) values in whole blocks.
  bool q8_0_input = false;
  // Some matrix is F16: its input is rounded to fp16 first, as llama.cpp's
  // F16 dot products take it, into a buffer of max(dim, hidden_dim) floats.
  bool f16_input = false;

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
// Where layer l starts: base + l * layer_stride, or layer_table[l] when the
// layers are tensors of their own (GGUF). F16, Q8_0 and Q4_0 rows are
// ggml's encodings (kernels/ref/ggml_blocks.h), row_stride == cols, cols a
// multiple of 32 for the block types.
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
  size_t layer_stride = 0;                      // bytes from one layer's matrix to the next
  const uint8_t* const* layer_table = nullptr;  // (n_layers) GGUF: each layer's tensor
  int32_t rows = 0;
  int32_t cols = 0;
  int32_t group_size = 0;   // kQ8: consecutive values that share one scale
  int32_t row_stride = 0;   // values from one row to the next (>= cols)
  size_t scale_offset = 0;  // kQ8: bytes from a layer's start to its scales

  int32_t groups_per_row() const { return row_stride / group_size; }  // kQ8

  const uint8_t* layer(int32_t l) const {
    return layer_table != nullptr ? layer_table[l] : base + static_cast<size_t>(l) * layer_stride;
  }
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

// One fp32 vector per layer (norm weights, biases): (n_layers, stride) from
// base, or each layer's own tensor (GGUF). Absent (biases of most models):
// both null.
struct LayerVectors {
  const float* base = nullptr;
  const float* const* table = nullptr;  // (n_layers)
  size_t stride = 0;                    // floats from one layer's vector to the next

  bool present() const { return base != nullptr || table != nullptr; }
  const float* layer(int32_t l) const {
    return table != nullptr ? table[l] : base + static_cast<size_t>(l) * stride;
  }
};

struct Weights {
  Matrix token_embedding;            // (vocab_size, dim)
  LayerVectors rms_att;              // (n_layers, dim)
  LayerVectors rms_ffn;              // (n_layers, dim)
  const float* rms_final = nullptr;  // (dim)
  Matrix wq;                         // (n_layers, dim, dim)
  Matrix wk;                         // (n_layers, kv_dim, dim)
  Matrix wv;                         // (n_layers, kv_dim, dim)
  Matrix wo;                         // (n_layers, dim, dim)
  Matrix w1;                         // (n_layers, hidden_dim, dim)
  Matrix w2;                         // (n_layers, dim, hidden_dim)
  Matrix w3;                         // (n_layers, hidden_dim, dim)
  LayerVectors bq;                   // (n_layers, dim) GGUF qwen2: added to q; else absent
  LayerVectors bk;                   // (n_layers, kv_dim)
  LayerVectors bv;                   // (n_layers, kv_dim)
  Matrix classifier;                 // (vocab_size, dim)
};

struct Model {
  ModelFormat format = ModelFormat::kLlama2cV0;
  // The type of the layers' matrices (layer 0's wq for GGUF files, which may
  // mix types: every Matrix has its own).
  WeightType weight_type = WeightType::kF32;
  ModelConfig config;
  Weights weights;
  size_t file_bytes = 0;
  uint64_t parameter_count = 0;  // excluding the unused RoPE tables
  // The tokenizer a generation session plans for: llama2.c's (a file of its
  // own) for llama2.c and llmcu files, the file's own vocabulary for GGUF.
  TokenizerSpec tokenizer;
  // GGUF: the file's index, in the memory given to load_model (metadata such
  // as the vocabulary and the chat template are read through it).
  const GgufFile* gguf = nullptr;
  size_t memory_bytes = 0;  // of the memory given to load_model, what it holds
};

// Memory load_model needs besides the bytes, for these bytes: 0 for llama2.c
// and llmcu files; for GGUF, room for the file's index (gguf_index_bytes),
// its name and a pointer per layer and tensor, bounded from the header's
// counts before anything else is read.
Result<size_t> model_memory_bytes(std::span<const uint8_t> bytes, const char* name);

// Parses and validates `bytes`, which must stay alive and unchanged while the
// Model is used. `name` (e.g. the file name) prefixes every error message.
// `memory` (model_memory_bytes of it; any alignment) must stay alive with
// the Model too; llama2.c and llmcu files need none.
Result<Model> load_model(std::span<const uint8_t> bytes, const char* name,
                         std::span<uint8_t> memory = {});

// Checks a config on its own: positive dims, divisible heads, even head size.
Status validate_config(const ModelConfig& config);

}  // namespace llmcu
