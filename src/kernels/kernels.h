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
}  // namespace ref

namespace active = ref;

}  // namespace llmcu::kernels
