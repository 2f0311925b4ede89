// AArch64 NEON versions of the f32 kernels, same contracts as ref
// (kernels.h). Included by kernels.h only when LLMCU_KERNELS_NEON is set.
#pragma once

#include <cstdint>

namespace llmcu::kernels::neon {

void matvec_f32(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end);
float dot_f32(const float* a, const float* b, int32_t n);
void axpy_f32(float* y, float a, const float* x, int32_t n);
void rmsnorm(float* out, const float* x, const float* weight, int32_t n);
// Uses a polynomial exp (relative error < 2e-7).
void softmax(float* x, int32_t n);
// Bit-exact with ref.
void rope(float* v, const float* cos_sin, int32_t n, int32_t head_size);
void swiglu(float* hb, const float* hb2, int32_t n);
// Not worth vectorising at one call per token: the reference.
using ref::argmax;
void attention_scores(float* att, const float* q, const float* keys, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size, float divisor);
void attention_values(float* out, const float* att, const float* values, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size);
// This family reads keys in rows (kernels::kTiledKeys).
using ref::attention_scores_tiled;
using ref::store_key_tiled;

}  // namespace llmcu::kernels::neon
