// The kernels the transformer calls, with one portable reference version
// (namespace ref) and per-architecture versions beside it. `kernels::active`
// is the single dispatch point, fixed at compile time.
#pragma once

#include <cstddef>
#include <cstdint>

// Which family `active` names. CMake's LLMCU_KERNELS option defines one of
// LLMCU_KERNELS_REF / _AVX2 / _NEON for every target that includes this
// header, so all translation units agree even though only the kernel files
// get -mavx2 -mfma. Without it (other build systems), the compiler's target
// macros decide.
#if !defined(LLMCU_KERNELS_REF) && !defined(LLMCU_KERNELS_AVX2) && !defined(LLMCU_KERNELS_NEON) && \
    !defined(LLMCU_KERNELS_ESP32S3) && !defined(LLMCU_KERNELS_CORTEX_M)
#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#define LLMCU_KERNELS_AVX2 1
#elif defined(__aarch64__) && defined(__ARM_NEON)
#define LLMCU_KERNELS_NEON 1
#elif defined(__ARM_ARCH_7EM__) && defined(__ARM_FP) && (__ARM_FP & 4)  // Cortex-M4F, M7
#define LLMCU_KERNELS_CORTEX_M 1
#endif
#endif

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
// out = weight * x / rms(x); out may alias x.
void rmsnorm(float* out, const float* x, const float* weight, int32_t n);
// x = exp(x - max) / sum, in place.
void softmax(float* x, int32_t n);
// Rotates pairs (v[2i], v[2i+1]) of each head by the angle whose cos/sin are
// cos_sin[2i], cos_sin[2i+1] (i < head_size / 2); n is a multiple of head_size.
void rope(float* v, const float* cos_sin, int32_t n, int32_t head_size);
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

#if defined(LLMCU_KERNELS_AVX2)
namespace x86 {
// Same contract as ref::matvec_q8; sums the groups in a different order.
void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end);
// Same contract and bit-identical results as ref::quantize_q8.
void quantize_q8(int8_t* q, float* scales, const float* x, int32_t n, int32_t group_size);
}  // namespace x86
#elif defined(LLMCU_KERNELS_NEON)
namespace neon {
// Same contract as ref::matvec_q8; sums the groups in a different order.
void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end);
}  // namespace neon
#elif defined(LLMCU_KERNELS_CORTEX_M)
namespace cortex_m {
// Same contract and bit-identical results as ref::matvec_q8 (SMLAD dot products).
void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end);
}  // namespace cortex_m
#elif defined(LLMCU_KERNELS_ESP32S3)
namespace esp32s3 {
// Same contract and results as ref::matvec_q8; esp-dsp's int8 dot product per
// group when the layout allows (kernels/esp32s3/kernels_esp32s3.h).
void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end);
}  // namespace esp32s3
#endif

// The int8 kernels' dispatch point, fixed at compile time like `active`.
namespace active_q8 {
using ref::dequantize_q8;
#if defined(LLMCU_KERNELS_AVX2)
using x86::matvec_q8;
using x86::quantize_q8;
#elif defined(LLMCU_KERNELS_NEON)
using neon::matvec_q8;
using ref::quantize_q8;
#elif defined(LLMCU_KERNELS_CORTEX_M)
using cortex_m::matvec_q8;
using ref::quantize_q8;
#elif defined(LLMCU_KERNELS_ESP32S3)
using esp32s3::matvec_q8;
using ref::quantize_q8;
#else
using ref::matvec_q8;
using ref::quantize_q8;
#endif
}  // namespace active_q8

}  // namespace llmcu::kernels

#if defined(LLMCU_KERNELS_AVX2)
#include "kernels/x86/kernels_avx2.h"
#elif defined(LLMCU_KERNELS_NEON)
#include "kernels/neon/kernels_neon.h"
#elif defined(LLMCU_KERNELS_ESP32S3)
#include "kernels/esp32s3/kernels_esp32s3.h"
#elif defined(LLMCU_KERNELS_CORTEX_M)
#include "kernels/cortex_m/kernels_cortex_m.h"
#endif

namespace llmcu::kernels {

#if defined(LLMCU_KERNELS_AVX2)
namespace active = x86;
#elif defined(LLMCU_KERNELS_NEON)
namespace active = neon;
#elif defined(LLMCU_KERNELS_ESP32S3)
namespace active = esp32s3;
#elif defined(LLMCU_KERNELS_CORTEX_M)
namespace active = cortex_m;
#else
namespace active = ref;
#endif

// The key cache layout the active family reads: tiles (store_key_tiled) on
// x86, where they make stories260K's head-size-8 attention scores several
// times cheaper; rows (n_layers, seq_len, kv_dim) elsewhere, which the
// ESP32-S3 and Cortex-M dot products read directly.
#if defined(LLMCU_KERNELS_AVX2)
inline constexpr bool kTiledKeys = true;
#else
inline constexpr bool kTiledKeys = false;
#endif

// Attention at one position of n_heads query heads that share one kv head
// (grouped-query attention): for head h, out + h * head_size = sum over t of
// softmax(q_h . key_t / divisor)_t * value_t, with q_h = q + h * head_size,
// keys in the active family's layout (tiles, or rows kv_stride apart) and
// values in rows kv_stride apart; att + h * att_stride (n_pos floats) is
// scratch.
#if defined(LLMCU_KERNELS_AVX2)
using x86::attention_heads;
#else
inline void attention_heads(float* out, float* att, int32_t att_stride, const float* q,
                            int32_t n_heads, const float* keys, const float* values,
                            int32_t kv_stride, int32_t n_pos, int32_t head_size, float divisor) {
  for (int32_t h = 0; h < n_heads; ++h) {
    float* scores = att + static_cast<size_t>(h) * static_cast<size_t>(att_stride);
    const size_t offset = static_cast<size_t>(h) * static_cast<size_t>(head_size);
    active::attention_scores(scores, q + offset, keys, kv_stride, n_pos, head_size, divisor);
    active::softmax(scores, n_pos);
    active::attention_values(out + offset, scores, values, kv_stride, n_pos, head_size);
  }
}
#endif

}  // namespace llmcu::kernels
