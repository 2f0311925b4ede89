// A Llama-family model described by a GGUF file's metadata and tensors:
// architectures `llama` (Llama 1/2, TinyLlama, SmolLM, llama2.c conversions)
// and `qwen2` (the same block with q/k/v biases and the other rotary layout).
//
// gguf_model_info reads the hyperparameters, finds every tensor the forward
// pass needs and checks its shape and type, and refuses anything it would
// compute wrongly (rope scaling, mixture of experts, partial rotary, unknown
// tensors), naming the key or tensor. It allocates nothing: tensors stay
// views into the GgufFile's index.
#pragma once

#include <cstdint>

#include "llmcu/gguf.h"
#include "llmcu/model.h"  // RopeStyle
#include "llmcu/status.h"

namespace llmcu {

enum class GgufArch : uint8_t { kLlama, kQwen2 };
const char* gguf_arch_name(GgufArch arch);

// The tensors of one transformer block. Matrices are ggml-shaped (dims[0] =
// inputs, dims[1] = outputs), so row r of W is output r.
struct GgufLayer {
  const GgufTensor* attn_norm = nullptr;  // (dim) F32
  const GgufTensor* wq = nullptr;         // (n_heads * head_size, dim)
  const GgufTensor* wk = nullptr;         // (kv_dim, dim)
  const GgufTensor* wv = nullptr;         // (kv_dim, dim)
  const GgufTensor* wo = nullptr;         // (dim, n_heads * head_size)
  const GgufTensor* bq = nullptr;         // (n_heads * head_size) F32; nullptr without biases
  const GgufTensor* bk = nullptr;         // (kv_dim) F32
  const GgufTensor* bv = nullptr;         // (kv_dim) F32
  const GgufTensor* ffn_norm = nullptr;   // (dim) F32
  const GgufTensor* ffn_gate = nullptr;   // (hidden_dim, dim): llama2.c's w1
  const GgufTensor* ffn_up = nullptr;     // (hidden_dim, dim): w3
  const GgufTensor* ffn_down = nullptr;   // (dim, hidden_dim): w2
};

struct GgufModelInfo {
  GgufArch arch = GgufArch::kLlama;
  RopeStyle rope_style = RopeStyle::kAdjacentPairs;
  int32_t dim = 0;                          // {arch}.embedding_length
  int32_t hidden_dim = 0;                   // {arch}.feed_forward_length
  int32_t n_layers = 0;                     // {arch}.block_count
  int32_t n_heads = 0;                      // {arch}.attention.head_count
  int32_t n_kv_heads = 0;                   // {arch}.attention.head_count_kv (default n_heads)
  int32_t head_size = 0;                    // dim / n_heads
  int32_t vocab_size = 0;                   // tokenizer.ggml.tokens' length
  int32_t context_length = 0;               // {arch}.context_length
  int32_t rope_dims = 0;                    // {arch}.rope.dimension_count (must be head_size)
  float rope_theta = 10000.0f;              // {arch}.rope.freq_base
  float rms_eps = 0.0f;                     // {arch}.attention.layer_norm_rms_epsilon
  bool tied_embeddings = false;             // no output.weight: the classifier is token_embd
  bool qkv_bias = false;                    // every layer has q/k/v biases (qwen2 always)
  const GgufTensor* token_embd = nullptr;   // (vocab_size, dim)
  const GgufTensor* output_norm = nullptr;  // (dim) F32
  const GgufTensor* output = nullptr;       // (vocab_size, dim); token_embd when tied

  int32_t kv_dim() const { return head_size * n_kv_heads; }
};

// Tensor types the kernels compute with.
bool gguf_matrix_type_supported(GgmlType type);

Result<GgufModelInfo> gguf_model_info(const GgufFile& file);

// The tensors of `layer` (0 <= layer < n_layers) of a file that
// gguf_model_info accepted; all present (biases only when qkv_bias).
GgufLayer gguf_layer(const GgufFile& file, const GgufModelInfo& info, int32_t layer);

}  // namespace llmcu
