// The Llama forward pass for one token at one position, over weights read in
// place and buffers carved from the session arena. forward() allocates nothing.
#pragma once

#include <cstdint>
#include <span>

#include "llmcu/arena.h"
#include "llmcu/executor.h"
#include "llmcu/memory_plan.h"
#include "llmcu/model.h"
#include "llmcu/status.h"

namespace llmcu {

struct RunBuffers {
  float* x = nullptr;          // (dim) the residual stream
  float* xb = nullptr;         // (dim) normalised input / projection output
  float* xb2 = nullptr;        // (dim) attention output
  float* q = nullptr;          // (dim) queries of all heads
  float* hb = nullptr;         // (hidden_dim) FFN gate
  float* hb2 = nullptr;        // (hidden_dim) FFN up
  float* att = nullptr;        // (n_heads, seq_len) attention scores
  float* k = nullptr;          // (kv_dim) this position's key before tiling (tiled keys only)
  float* rope = nullptr;       // (head_size / 2, 2) cos, sin at the current position
  float* rope_freq = nullptr;  // (head_size / 2) rotation frequency of each pair
  float* logits = nullptr;     // (vocab_size)
  // Keys: (n_layers, seq_len, kv_dim), or with tiled keys (x86 kernels)
  // (n_layers, n_kv_heads, seq_len rounded up to kKeyTile, head_size) in tiles.
  float* key_cache = nullptr;
  float* value_cache = nullptr;  // (n_layers, seq_len, kv_dim)
  // int8 models only (config.group_size > 0): the matvec input quantized per group.
  int8_t* xq = nullptr;        // (max(dim, hidden_dim))
  float* xq_scales = nullptr;  // (max(dim, hidden_dim) / group_size)
  // Q8_0/Q4_0 matrices (config.q8_0_input): the matvec input as ggml Q8_0
  // blocks, (max(dim, hidden_dim) / 32 rounded up, 34) bytes.
  uint8_t* xq_blocks = nullptr;
  // F16 matrices (config.f16_input): the matvec input rounded to fp16,
  // (max(dim, hidden_dim)) floats.
  float* xh = nullptr;

  // Carves every buffer for `seq_len` positions; with a counting arena, only
  // measures. kv and the rest are carved separately so the plan can say which is which.
  void carve_kv_cache(const ModelConfig& config, int32_t seq_len, Arena& arena);
  void carve_activations(const ModelConfig& config, int32_t seq_len, Arena& arena);
  void carve_logits(const ModelConfig& config, Arena& arena);
};

class Transformer {
 public:
  Transformer() = default;
  // `executor` may be null: everything then runs on the calling thread.
  Transformer(const Model* model, const RunBuffers& buffers, int32_t seq_len, Executor* executor);

  // The transformer of a session `plan` lays out for this model (usually
  // SessionPurpose::kForward: feeding known tokens), carved from `arena`,
  // which must hold plan.arena_bytes.
  static Result<Transformer> create(const Model& model, const MemoryPlan& plan,
                                    std::span<uint8_t> arena, Executor* executor);

  // Feeds `token` at position `pos` (which must follow the positions already
  // fed, from 0) and returns the logits, (vocab_size) floats, valid until the
  // next call. Returns nullptr if token or pos is out of range.
  float* forward(int32_t token, int32_t pos);

  const Model& model() const { return *model_; }
  int32_t seq_len() const { return seq_len_; }
  // After forward(): the final normalised hidden state, (dim) floats, the
  // classifier's input (fp32 even in an int8 model).
  const float* hidden_state() const { return b_.x; }

 private:
  // Runs fn(job, t) for t in [0, chunks), through the executor when chunks > 1.
  void run(int chunks, TaskFn fn, void* job);
  // The attention block from xb: q, this position's key and value (into the
  // cache), RoPE and attention into xb2, in one fork/join.
  void attention(int32_t layer, int32_t pos);
  // out = w[layer] . x (int8: the input last given to quantize_input), then
  // residual += out unless residual is null.
  void matvec(float* out, const Matrix& w, int32_t layer, const float* x, float* residual);
  // hb = silu(w1 . xb) * (w3 . xb), in one fork/join.
  void ffn_up(int32_t layer);
  // int8, Q8_0/Q4_0 and F16 models: quantizes the next matvecs' input x (n
  // values) once, into xq, xq_blocks or xh; q/k/v and gate/up share it.
  void quantize_input(const float* x, int32_t n);
  // The rotation of each pair of a head at `pos` into b_.rope.
  void rope_angles(int32_t pos);
  void embed(int32_t token);

  const Model* model_ = nullptr;
  RunBuffers b_;
  int32_t seq_len_ = 0;
  Executor* executor_ = nullptr;
  // GGUF models: angles as llama.cpp computes them (theta_i = pos *
  // theta_scale^i by repeated multiplication); others: llama2.c's.
  bool llama_cpp_angles_ = false;
};

}  // namespace llmcu
