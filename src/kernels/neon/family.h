// The neon family: AArch64 NEON versions of the f32 kernels, the int8 matvec
// and ggml's row kernels, same contracts as ref.
#pragma once

#include <cstdint>

#include "../reference.h"

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
void attention_scores(float* att, const float* q, const float* keys, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size, float divisor);
void attention_values(float* out, const float* att, const float* values, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size);
// Same contract as ref::matvec_q8; sums the groups in a different order
// (kernels_q8_neon.cpp).
void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end);

// ggml's rows (kernels_ggml_neon.cpp). Same contracts as ref's; the Q8_0
// and Q4_0 matvecs, the dequantizers and the activation quantizer give ref's
// bits, matvec_f16 sums in four lanes with FMA.
void dequantize_row_f16(float* out, const uint8_t* row, int32_t cols);
void dequantize_row_q8_0(float* out, const uint8_t* row, int32_t cols);
void dequantize_row_q4_0(float* out, const uint8_t* row, int32_t cols);
void quantize_row_q8_0(uint8_t* out, const float* x, int32_t cols);
void matvec_f16(float* out, const uint8_t* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end);
void matvec_q8_0(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                 int32_t row_end);
void matvec_q4_0(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                 int32_t row_end);

// argmax stays the reference (not worth vectorising at one call per token),
// and keys stay in rows, which these dot products read.
struct Neon : ReferenceKernels<Neon> {
  static constexpr const char kName[] = "neon";
  // Other orders of summation, FMA, a polynomial exp.
  static constexpr KernelSet kApproximate = {
      Kernel::kMatvecF32,       Kernel::kDotF32,          Kernel::kAxpyF32,
      Kernel::kRmsnorm,         Kernel::kSoftmax,         Kernel::kSwiglu,
      Kernel::kAttentionScores, Kernel::kAttentionValues, Kernel::kAttentionHeads,
      Kernel::kMatvecQ8,        Kernel::kMatvecF16};

  static constexpr auto matvec_f32 = neon::matvec_f32;
  static constexpr auto dot_f32 = neon::dot_f32;
  static constexpr auto axpy_f32 = neon::axpy_f32;
  static constexpr auto rmsnorm = neon::rmsnorm;
  static constexpr auto softmax = neon::softmax;
  static constexpr auto rope = neon::rope;
  static constexpr auto swiglu = neon::swiglu;
  static constexpr auto attention_scores = neon::attention_scores;
  static constexpr auto attention_values = neon::attention_values;
  static constexpr auto matvec_q8 = neon::matvec_q8;
  static constexpr auto dequantize_row_f16 = neon::dequantize_row_f16;
  static constexpr auto dequantize_row_q8_0 = neon::dequantize_row_q8_0;
  static constexpr auto dequantize_row_q4_0 = neon::dequantize_row_q4_0;
  static constexpr auto quantize_row_q8_0 = neon::quantize_row_q8_0;
  static constexpr auto matvec_f16 = neon::matvec_f16;
  static constexpr auto matvec_q8_0 = neon::matvec_q8_0;
  static constexpr auto matvec_q4_0 = neon::matvec_q4_0;
};

}  // namespace llmcu::kernels::neon
