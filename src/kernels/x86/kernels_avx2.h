// x86-64 AVX2 + FMA versions of every f32 kernel, same contracts as ref
// (kernels.h). Included by kernels.h only when LLMCU_KERNELS_AVX2 is set
// (also by the avx512 family, which adds LLMCU_KERNELS_AVX512).
#pragma once

#include <cstdint>

namespace llmcu::kernels::x86 {

// matvec in two widths with bit-identical results: AVX-512 holds up to 384
// floats of x in registers, so a row costs one load per 64 bytes of weights
// instead of four, which lets one core stream weights from DRAM about a
// quarter faster (bench/kernels_bench.cpp). LLMCU_KERNELS=avx512 uses it.
void matvec_f32_avx2(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                     int32_t row_end);
#if defined(LLMCU_KERNELS_AVX512)
void matvec_f32_avx512(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                       int32_t row_end);
#endif
inline void matvec_f32(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                       int32_t row_end) {
#if defined(LLMCU_KERNELS_AVX512)
  matvec_f32_avx512(out, w, x, cols, row_begin, row_end);
#else
  matvec_f32_avx2(out, w, x, cols, row_begin, row_end);
#endif
}
float dot_f32(const float* a, const float* b, int32_t n);
void axpy_f32(float* y, float a, const float* x, int32_t n);
void rmsnorm(float* out, const float* x, const float* weight, int32_t n);
// Uses a polynomial exp (relative error < 2e-7).
void softmax(float* x, int32_t n);
// Bit-exact with ref when head_size is a multiple of 8 (else it is ref).
void rope(float* v, const float* cos_sin, int32_t n, int32_t head_size);
void swiglu(float* hb, const float* hb2, int32_t n);
// Bit-exact with ref: the first index of the maximum.
int32_t argmax(const float* x, int32_t n);
void attention_scores(float* att, const float* q, const float* keys, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size, float divisor);
void attention_values(float* out, const float* att, const float* values, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size);
// The keys this family's transformer keeps (kernels::kTiledKeys): eight
// positions per tile, one vector; scores for a tile are head_size FMAs.
void attention_scores_tiled(float* att, const float* q, const float* tiles, int32_t n_pos,
                            int32_t head_size, float divisor);
using ref::store_key_tiled;
// kernels::attention_heads over tiled keys: per head, scores and their
// maximum in one pass, exp in a second, the weighted sum of values normalised
// at the end; heads of size 8 go in pairs.
void attention_heads(float* out, float* att, int32_t att_stride, const float* q, int32_t n_heads,
                     const float* tiles, const float* values, int32_t kv_stride, int32_t n_pos,
                     int32_t head_size, float divisor);

}  // namespace llmcu::kernels::x86
