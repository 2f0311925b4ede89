// Armv7E-M kernels for cores with a single-precision FPU (Cortex-M4F, -M7).
// Included by kernels/kernels.h when LLMCU_KERNELS_CORTEX_M is set; do not
// include directly. Names not declared here come from ref through the
// using-directive (a name declared here hides ref's for kernels::active::).
//
// Exactness: matvec, dot, axpy and the two attention kernels keep ref's order
// of operations (one running sum in index order) and use VMLA, which, unlike
// VFMA, rounds the product before adding it, exactly like ref's separate
// multiply and add; they are bit-exact with ref. softmax and swiglu use
// fast_exp (fast_exp.h), within ~1 ulp of exp but not bit-exact with any libm.
#pragma once

#include <cstdint>

namespace llmcu::kernels::cortex_m {

using namespace ref;  // NOLINT: see above

void matvec_f32(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end);
float dot_f32(const float* a, const float* b, int32_t n);
void axpy_f32(float* y, float a, const float* x, int32_t n);
void softmax(float* x, int32_t n);
void swiglu(float* hb, const float* hb2, int32_t n);
void attention_scores(float* att, const float* q, const float* keys, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size, float divisor);
void attention_values(float* out, const float* att, const float* values, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size);

}  // namespace llmcu::kernels::cortex_m
