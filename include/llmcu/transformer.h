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

// The per-token buffers hold `batch` rows, one per token of a batch
// (Transformer::forward_batch); forward() uses row 0.
struct RunBuffers {
  int32_t batch = 1;
  float* x = nullptr;          // (batch, dim) the residual stream
  float* xb = nullptr;         // (batch, dim) normalised input / projection output
  float* xb2 = nullptr;        // (batch, dim) attention output
  float* q = nullptr;          // (batch, dim) queries of all heads
  float* hb = nullptr;         // (batch, hidden_dim) FFN gate
  float* hb2 = nullptr;        // (batch, hidden_dim) FFN up
  float* att = nullptr;        // (n_heads, seq_len) attention scores
  float* k = nullptr;          // (batch, kv_dim) keys before tiling (tiled keys only)
  float* rope = nullptr;       // (batch, head_size / 2, 2) cos, sin at each token's position
  float* rope_freq = nullptr;  // (head_size / 2) rotation frequency of each pair
  float* logits = nullptr;     // (vocab_size)
  // Keys: (n_layers, seq_len, kv_dim), or with tiled keys (x86 kernels)
  // (n_layers, n_kv_heads, seq_len rounded up to kKeyTile, head_size) in tiles.
  float* key_cache = nullptr;
  float* value_cache = nullptr;  // (n_layers, seq_len, kv_dim)
  // The matvec inputs of each token, quantized once for the matrices that
  // read them: widest = max(dim, hidden_dim).
  // int8 models only (config.group_size > 0), rows padded to whole groups:
  int8_t* xq = nullptr;        // (batch, xq_stride)
  float* xq_scales = nullptr;  // (batch, xq_stride / group_size)
  // Q8_0/Q4_0 matrices (config.q8_0_input): ggml Q8_0 blocks,
  uint8_t* xq_blocks = nullptr;  // (batch, widest / 32 rounded up, 34) bytes
  // F16 matrices (config.f16_input): the input rounded to fp16,
  float* xh = nullptr;  // (batch, widest)
  size_t xq_stride = 0;
  size_t xq_blocks_stride = 0;  // bytes
  size_t xh_stride = 0;

  // Carves every buffer for `seq_len` positions; with a counting arena, only
  // measures. kv and the rest are carved separately so the plan can say which is which.
  void carve_kv_cache(const ModelConfig& config, int32_t seq_len, Arena& arena);
  void carve_activations(const ModelConfig& config, int32_t seq_len, int32_t batch, Arena& arena);
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

  // Feeds tokens[0, n) at positions pos .. pos + n - 1 together, n <= batch():
  // every matrix is read once for the whole batch, and each token's numbers
  // are exactly those forward() would give it. Returns the logits of the last
  // token only (the others' are never computed), or nullptr if a token, pos
  // or n is out of range.
  float* forward_batch(const int32_t* tokens, int32_t n, int32_t pos);

  const Model& model() const { return *model_; }
  int32_t seq_len() const { return seq_len_; }
  int32_t batch() const { return b_.batch; }
  // After forward() or forward_batch(): the final normalised hidden state of
  // the last token, (dim) floats, the classifier's input (fp32 even in an
  // int8 model); hidden_state(i) is token i's of the last batch.
  const float* hidden_state() const { return hidden_state(last_); }
  const float* hidden_state(int32_t i) const {
    return b_.x + static_cast<size_t>(i) * static_cast<size_t>(model_->config.dim);
  }

 private:
  // Runs fn(job, t) for t in [0, chunks), through the executor when chunks > 1.
  void run(int chunks, TaskFn fn, void* job);
  // The attention block of n tokens from xb: q, their keys and values (into
  // the cache), RoPE and attention into xb2, in one fork/join.
  void attention(int32_t layer, int32_t pos, int32_t n);
  // For tokens t < n: out_t = w[layer] . x_t, then residual_t += out_t
  // unless residual is null; out and residual rows are w.rows floats apart, x
  // rows x_stride. Quantized matrices read the inputs quantize_inputs left in
  // batch rows first + t instead of x.
  void matmul(float* out, const Matrix& w, int32_t layer, const float* x, int32_t x_stride,
              float* residual, int32_t first, int32_t n);
  // hb = silu(w1 . xb) * (w3 . xb) for n tokens, in one fork/join.
  void ffn_up(int32_t layer, int32_t n);
  // int8, Q8_0/Q4_0 and F16 models: quantizes rows [first, first + n) of x
  // (rows of `width` values) once, into the same rows of xq, xq_blocks or xh,
  // for the matvecs that read them next: q/k/v and gate/up share them.
  void quantize_inputs(const float* x, int32_t width, int32_t first, int32_t n);
  // The rotation of each pair of a head at `pos` into `cos_sin`.
  void rope_angles(int32_t pos, float* cos_sin);
  void embed(int32_t token, float* x);

  const Model* model_ = nullptr;
  RunBuffers b_;
  int32_t seq_len_ = 0;
  Executor* executor_ = nullptr;
  int32_t last_ = 0;  // row of the last token of the last batch
  // GGUF models: angles as llama.cpp computes them (theta_i = pos *
  // theta_scale^i by repeated multiplication); others: llama2.c's.
  bool llama_cpp_angles_ = false;
};

}  // namespace llmcu
