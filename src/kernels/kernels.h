// The kernels the transformer calls, with one portable reference version
// (namespace ref) and per-architecture versions beside it. `kernels::active`
// is the single dispatch point, fixed at compile time.
#pragma once

#include <cstddef>
#include <cstdint>

namespace llmcu::kernels {

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

// Int8 (Q8_0, llama2.c runq.c's scheme). n and cols are multiples of group_size.
// q, scales = x quantized per group: scale = max|x| / 127, q = round(x / scale).
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

#if defined(__AVX2__)
namespace x86 {
// Same contract as ref::matvec_q8; sums the groups in a different order.
void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end);
}  // namespace x86
#endif

// The int8 kernels' dispatch point, fixed at compile time like `active`.
namespace active_q8 {
using ref::dequantize_q8;
using ref::quantize_q8;
#if defined(__AVX2__)
using x86::matvec_q8;
#else
using ref::matvec_q8;
#endif
}  // namespace active_q8

namespace active = ref;

}  // namespace llmcu::kernels
