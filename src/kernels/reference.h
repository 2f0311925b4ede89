// The reference kernels (namespace ref) and what every kernel family is
// built from. A family is a struct of static kernels deriving from
// ReferenceKernels<Family>: each kernel it names replaces the reference one,
// every other kernel is the reference. Families live one per folder
// (src/kernels/<folder>/family.h); kernels.h picks the build's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "ref/ggml_blocks.h"  // ggml's F16, Q8_0 and Q4_0 rows (GGUF files)

namespace llmcu::kernels {

// Positions per tile of the tiled key layout.
inline constexpr int32_t kKeyTile = 8;

namespace ref {
// out[r] = dot(w[r, :], x) for r in [row_begin, row_end); w is (rows, cols)
// row-major and may be only 4-byte aligned.
void matvec_f32(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end);
float dot_f32(const float* a, const float* b, int32_t n);
// y += a * x
void axpy_f32(float* y, float a, const float* x, int32_t n);
// out = weight * x / sqrt(mean(x^2) + eps); out may alias x. llama2.c's eps
// is 1e-5; GGUF files give theirs.
void rmsnorm(float* out, const float* x, const float* weight, int32_t n, float eps);
// x = exp(x - max) / sum, in place.
void softmax(float* x, int32_t n);
// Rotates pairs (v[2i], v[2i+1]) of each head by the angle whose cos/sin are
// cos_sin[2i], cos_sin[2i+1] (i < head_size / 2); n is a multiple of head_size.
void rope(float* v, const float* cos_sin, int32_t n, int32_t head_size);
// The other rotary layout (llama.cpp's "neox", qwen2's): rotates the pairs
// (v[i], v[i + head_size/2]) of each head, i < head_size / 2, by angle i.
void rope_halves(float* v, const float* cos_sin, int32_t n, int32_t head_size);
// hb = silu(hb) * hb2
void swiglu(float* hb, const float* hb2, int32_t n);
int32_t argmax(const float* x, int32_t n);
// Attention of one head over positions [0, n_pos): keys and values of
// position t start at keys + t * kv_stride (values likewise).
// att[t] = dot(q, key[t]) / divisor
void attention_scores(float* att, const float* q, const float* keys, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size, float divisor);
// out = sum over t of att[t] * value[t], added in order of t from zero.
void attention_values(float* out, const float* att, const float* values, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size);
// The tiled key layout (kTiledKeys below): one kv head's keys in tiles of
// kKeyTile positions, element i of position t at
//   tiles[(t / kKeyTile) * head_size * kKeyTile + i * kKeyTile + t % kKeyTile].
// Scores of a tile's positions are then head_size vector FMAs with no
// horizontal sums, which dominate attention at small head sizes.
void store_key_tiled(float* tiles, int32_t pos, const float* key, int32_t head_size);
// As attention_scores, over tiled keys; the same sums in the same order.
void attention_scores_tiled(float* att, const float* q, const float* tiles, int32_t n_pos,
                            int32_t head_size, float divisor);

// Int8 (Q8_0, llama2.c runq.c's scheme). cols is a multiple of group_size.
// q, scales = x quantized per group: scale = max|x| / 127, q = round(x / scale)
// (half away from zero). If group_size does not divide n, the last group
// holds the n % group_size remaining values and q is zero up to the group's
// end: q needs n rounded up to whole groups, scales one per group.
void quantize_q8(int8_t* q, float* scales, const float* x, int32_t n, int32_t group_size);
// out = q * scale; `scales` (n / group_size floats) may be unaligned.
void dequantize_q8(float* out, const int8_t* q, const uint8_t* scales, int32_t n,
                   int32_t group_size);
// out[r] = sum over groups g of (int32 dot of w[r, g] and xq[g]) * w_scale[r, g] * x_scale[g]
// for r in [row_begin, row_end); w is (rows, cols) int8 row-major, w_scales
// (rows, cols / group_size) floats that may be unaligned.
void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end);
}  // namespace ref

// The kernels of a family, for what it promises about them.
enum class Kernel : uint8_t {
  kMatvecF32,
  kDotF32,
  kAxpyF32,
  kRmsnorm,
  kSoftmax,
  kRope,
  kRopeHalves,
  kSwiglu,
  kArgmax,
  kAttentionScores,
  kAttentionValues,
  kAttentionHeads,
  kQuantizeQ8,
  kDequantizeQ8,
  kMatvecQ8,
  kDequantizeRow,  // F16, Q8_0, Q4_0
  kQuantizeRowQ8_0,
  kMatvecF16,
  kMatvecQ8_0,
  kMatvecQ4_0,
  kCount,
};

class KernelSet {
 public:
  constexpr KernelSet(std::initializer_list<Kernel> kernels) {
    for (Kernel k : kernels) bits_ |= bit(k);
  }
  constexpr bool has(Kernel k) const { return (bits_ & bit(k)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }

 private:
  static constexpr uint32_t bit(Kernel k) { return 1u << static_cast<unsigned>(k); }
  uint32_t bits_ = 0;
};

// Every kernel as the reference computes it. `Family` (the struct deriving
// from this) must also define:
//   static constexpr const char kName[];      // as LLMCU_KERNELS spells it
//   static constexpr KernelSet kApproximate;  // kernels that round otherwise than ref
// Every other kernel, whether the family replaces it or not, must give ref's bits.
template <class Family>
struct ReferenceKernels {
  // The key cache layout this family's attention reads: rows
  // (n_layers, seq_len, kv_dim), or tiles (ref::store_key_tiled).
  static constexpr bool kTiledKeys = false;
  // The kernels int8 models run (where the transformer's calls differ:
  // rmsnorm, swiglu, attention_heads). By default the family itself; a family
  // that rounds otherwise than ref names here one whose kApproximate is empty,
  // so that int8 text is llama2.c runq.c's for the same file and seed. It
  // must keep the family's key layout, matvec_q8, quantize_q8 and rope.
  using Q8Path = Family;

  static constexpr auto matvec_f32 = ref::matvec_f32;
  static constexpr auto dot_f32 = ref::dot_f32;
  static constexpr auto axpy_f32 = ref::axpy_f32;
  static constexpr auto rmsnorm = ref::rmsnorm;
  static constexpr auto softmax = ref::softmax;
  static constexpr auto rope = ref::rope;
  static constexpr auto rope_halves = ref::rope_halves;
  static constexpr auto swiglu = ref::swiglu;
  static constexpr auto argmax = ref::argmax;
  static constexpr auto attention_scores = ref::attention_scores;
  static constexpr auto attention_values = ref::attention_values;
  static constexpr auto store_key_tiled = ref::store_key_tiled;
  static constexpr auto attention_scores_tiled = ref::attention_scores_tiled;
  static constexpr auto quantize_q8 = ref::quantize_q8;
  static constexpr auto dequantize_q8 = ref::dequantize_q8;
  static constexpr auto matvec_q8 = ref::matvec_q8;
  // ggml's row encodings (ref/ggml_blocks.h).
  static constexpr auto dequantize_row_f16 = ref::dequantize_row_f16;
  static constexpr auto dequantize_row_q8_0 = ref::dequantize_row_q8_0;
  static constexpr auto dequantize_row_q4_0 = ref::dequantize_row_q4_0;
  static constexpr auto quantize_row_q8_0 = ref::quantize_row_q8_0;
  static constexpr auto matvec_f16 = ref::matvec_f16;
  static constexpr auto matvec_q8_0 = ref::matvec_q8_0;
  static constexpr auto matvec_q4_0 = ref::matvec_q4_0;

  // The matvec of n tokens: out + t * out_stride = w . (x + t * x_stride)
  // over rows [row_begin, row_end) for t < n, each row with exactly the bits
  // Family::matvec_f32 gives it (batched prefill). A family may replace it
  // with a kernel that shares weight loads across tokens.
  static void matmul_f32(float* out, size_t out_stride, const float* w, const float* x,
                         size_t x_stride, int32_t n, int32_t cols, int32_t row_begin,
                         int32_t row_end) {
    for (int32_t t = 0; t < n; ++t) {
      Family::matvec_f32(out + static_cast<size_t>(t) * out_stride, w,
                         x + static_cast<size_t>(t) * x_stride, cols, row_begin, row_end);
    }
  }

  // The same for the quantized types, each token's input quantized
  // beforehand: int8 (llama2.c) token t reads xq + t * xq_stride and
  // x_scales + t * x_scales_stride; Q8_0/Q4_0 token t reads the Q8_0 blocks
  // at xq + t * xq_stride (bytes). Each row of each token has exactly the
  // bits the family's matvec gives it.
  static void matmul_q8(float* out, size_t out_stride, const int8_t* w, const uint8_t* w_scales,
                        const int8_t* xq, size_t xq_stride, const float* x_scales,
                        size_t x_scales_stride, int32_t n, int32_t cols, int32_t group_size,
                        int32_t row_begin, int32_t row_end) {
    for (int32_t t = 0; t < n; ++t) {
      const auto i = static_cast<size_t>(t);
      Family::matvec_q8(out + i * out_stride, w, w_scales, xq + i * xq_stride,
                        x_scales + i * x_scales_stride, cols, group_size, row_begin, row_end);
    }
  }
  static void matmul_q8_0(float* out, size_t out_stride, const uint8_t* w, const uint8_t* xq,
                          size_t xq_stride, int32_t n, int32_t cols, int32_t row_begin,
                          int32_t row_end) {
    for (int32_t t = 0; t < n; ++t) {
      const auto i = static_cast<size_t>(t);
      Family::matvec_q8_0(out + i * out_stride, w, xq + i * xq_stride, cols, row_begin, row_end);
    }
  }
  static void matmul_q4_0(float* out, size_t out_stride, const uint8_t* w, const uint8_t* xq,
                          size_t xq_stride, int32_t n, int32_t cols, int32_t row_begin,
                          int32_t row_end) {
    for (int32_t t = 0; t < n; ++t) {
      const auto i = static_cast<size_t>(t);
      Family::matvec_q4_0(out + i * out_stride, w, xq + i * xq_stride, cols, row_begin, row_end);
    }
  }

  // Attention at one position of n_heads query heads that share one kv head
  // (grouped-query attention): for head h, out + h * head_size = sum over t
  // of softmax(q_h . key_t / divisor)_t * value_t, with q_h = q + h *
  // head_size, keys in the family's layout (tiles of this kv head, or rows
  // kv_stride apart) and values in rows kv_stride apart; att + h * att_stride
  // (n_pos floats) is scratch. Composed from the family's own kernels.
  static void attention_heads(float* out, float* att, int32_t att_stride, const float* q,
                              int32_t n_heads, const float* keys, const float* values,
                              int32_t kv_stride, int32_t n_pos, int32_t head_size, float divisor) {
    for (int32_t h = 0; h < n_heads; ++h) {
      float* scores = att + static_cast<size_t>(h) * static_cast<size_t>(att_stride);
      const size_t offset = static_cast<size_t>(h) * static_cast<size_t>(head_size);
      if constexpr (Family::kTiledKeys) {
        Family::attention_scores_tiled(scores, q + offset, keys, n_pos, head_size, divisor);
      } else {
        Family::attention_scores(scores, q + offset, keys, kv_stride, n_pos, head_size, divisor);
      }
      Family::softmax(scores, n_pos);
      Family::attention_values(out + offset, scores, values, kv_stride, n_pos, head_size);
    }
  }
};

}  // namespace llmcu::kernels
