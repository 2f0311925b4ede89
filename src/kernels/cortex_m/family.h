// The cortex_m family: Armv7E-M kernels for cores with a single-precision
// FPU (Cortex-M4F, -M7).
//
// Exactness: matvec, dot, axpy and the two attention kernels keep ref's order
// of operations (one running sum in index order) and use VMLA, which, unlike
// VFMA, rounds the product before adding it, exactly like ref's separate
// multiply and add; they are bit-exact with ref. swiglu uses fast_exp
// (fast_exp.h), within ~1 ulp of exp, and softmax softmax_exp (the same
// file), the nearest float for 99.85% of inputs; neither is bit-exact with any
// libm.
#pragma once

#include <cstdint>

#include "../reference.h"

namespace llmcu::kernels::cortex_m {

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
// ReferenceKernels::attention_heads with the heads in pairs at head_size 8:
// each key and value row loaded once for both (4 instructions fewer per
// position and head), each head's sums as attention_scores/_values make them.
void attention_heads(float* out, float* att, int32_t att_stride, const float* q, int32_t n_heads,
                     const float* keys, const float* values, int32_t kv_stride, int32_t n_pos,
                     int32_t head_size, float divisor);
// Same contracts and bit-identical results as ref::matvec_q8 (SMLAD dot
// products on an input sign-extended once, two rows at a time, word-aligned
// rows in an assembly loop: 19 instructions per 16 multiply-adds) and
// ref::quantize_q8 (max |x| on the bits, roundf from one truncation of 2v);
// kernels_q8_cortex_m.cpp.
void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end);
void quantize_q8(int8_t* q, float* scales, const float* x, int32_t n, int32_t group_size);

// ggml's rows (kernels_ggml_cortex_m.cpp), bit-exact with ref: SMLAD block
// dots with the activations sign-extended once per call, VCVTB for the fp16
// scales (half.h), ref's float steps in ref's order.
void matvec_f16(float* out, const uint8_t* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end);
void matvec_q8_0(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                 int32_t row_end);
void matvec_q4_0(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                 int32_t row_end);

struct CortexM : ReferenceKernels<CortexM> {
  static constexpr const char kName[] = "cortex_m";
  // fast_exp and softmax_exp (fast_exp.h) instead of expf.
  static constexpr KernelSet kApproximate = {Kernel::kSoftmax, Kernel::kSwiglu,
                                             Kernel::kAttentionHeads};

  static constexpr auto matvec_f32 = cortex_m::matvec_f32;
  static constexpr auto dot_f32 = cortex_m::dot_f32;
  static constexpr auto axpy_f32 = cortex_m::axpy_f32;
  static constexpr auto softmax = cortex_m::softmax;
  static constexpr auto swiglu = cortex_m::swiglu;
  static constexpr auto attention_scores = cortex_m::attention_scores;
  static constexpr auto attention_values = cortex_m::attention_values;
  static constexpr auto attention_heads = cortex_m::attention_heads;
  static constexpr auto matvec_q8 = cortex_m::matvec_q8;
  static constexpr auto quantize_q8 = cortex_m::quantize_q8;
  static constexpr auto matvec_f16 = cortex_m::matvec_f16;
  static constexpr auto matvec_q8_0 = cortex_m::matvec_q8_0;
  static constexpr auto matvec_q4_0 = cortex_m::matvec_q4_0;
};

}  // namespace llmcu::kernels::cortex_m
