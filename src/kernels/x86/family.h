// The x86-64 families: avx2 (AVX2 + FMA versions of every f32 kernel, the
// int8 matvec and quantizer and ggml's row kernels, same contracts as ref),
// avx512 (the same with an AVX-512 matvec) and avx512vnni (avx512 with an
// AVX-512 VNNI int8 matvec). Their sources are compiled with -mavx2 -mfma
// -mf16c (-mavx512f; -mavx512bw -mavx512vnni), so include this only where
// those instructions may run.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../reference.h"

namespace llmcu::kernels::x86 {

// matvec in two widths with bit-identical results: AVX-512 holds up to 384
// floats of x in registers, so a row costs one load per 64 bytes of weights
// instead of four, which lets one core stream weights from DRAM about a
// quarter faster (bench/kernels_bench.cpp). LLMCU_KERNELS=avx512 uses it.
void matvec_f32_avx2(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                     int32_t row_end);
void matvec_f32_avx512(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                       int32_t row_end);
// The same rows for n tokens (ReferenceKernels::matmul_f32), each weight
// vector loaded once for several tokens, the same bits: AVX2 four rows by
// three tokens, AVX-512 eight rows by three (four by four past 1024 columns).
void matmul_f32_avx2(float* out, size_t out_stride, const float* w, const float* x, size_t x_stride,
                     int32_t n, int32_t cols, int32_t row_begin, int32_t row_end);
void matmul_f32_avx512(float* out, size_t out_stride, const float* w, const float* x,
                       size_t x_stride, int32_t n, int32_t cols, int32_t row_begin,
                       int32_t row_end);
float dot_f32(const float* a, const float* b, int32_t n);
void axpy_f32(float* y, float a, const float* x, int32_t n);
void rmsnorm(float* out, const float* x, const float* weight, int32_t n, float eps);
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
// The keys this family's transformer keeps (kTiledKeys): eight positions per
// tile, one vector; scores for a tile are head_size FMAs.
void attention_scores_tiled(float* att, const float* q, const float* tiles, int32_t n_pos,
                            int32_t head_size, float divisor);
// attention_heads over tiled keys: per head, scores and their maximum in one
// pass, exp in a second, the weighted sum of values normalised at the end;
// heads of size 8 go in pairs.
void attention_heads(float* out, float* att, int32_t att_stride, const float* q, int32_t n_heads,
                     const float* tiles, const float* values, int32_t kv_stride, int32_t n_pos,
                     int32_t head_size, float divisor);

// int8 (kernels_q8_avx2.cpp). Same contract and bit-identical results as
// ref::matvec_q8 (runq.c's order of the per-group float sums), 8 rows at once.
void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end);
// ReferenceKernels::matmul_q8 with the same bits: blocks of 8 rows laid out
// so that lanes are rows, four tokens per load of weights.
void matmul_q8(float* out, size_t out_stride, const int8_t* w, const uint8_t* w_scales,
               const int8_t* xq, size_t xq_stride, const float* x_scales, size_t x_scales_stride,
               int32_t n, int32_t cols, int32_t group_size, int32_t row_begin, int32_t row_end);
// Same contract and bit-identical results as ref::quantize_q8.
void quantize_q8(int8_t* q, float* scales, const float* x, int32_t n, int32_t group_size);
// Bit-identical with ref (kernels_q8_path_avx2.cpp), for int8 models.
void rmsnorm_exact(float* out, const float* x, const float* weight, int32_t n, float eps);
void attention_scores_tiled_exact(float* att, const float* q, const float* tiles, int32_t n_pos,
                                  int32_t head_size, float divisor);
void attention_values_exact(float* out, const float* att, const float* values, int32_t kv_stride,
                            int32_t n_pos, int32_t head_size);

// AVX-512 VNNI (kernels_q8_vnni.cpp): same contract and bit-identical results
// as ref::matvec_q8, 16 rows at once with vpdpbusd for groups of 32 and of
// multiples of 64 (other sizes: matvec_q8).
void matvec_q8_vnni(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
                    const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
                    int32_t row_end);
// ReferenceKernels::matmul_q8 with the same bits: blocks of 16 rows laid out
// so that lanes are rows, one vpdpbusd per 4 columns of 16 rows, eight tokens
// per load of weights.
void matmul_q8_vnni(float* out, size_t out_stride, const int8_t* w, const uint8_t* w_scales,
                    const int8_t* xq, size_t xq_stride, const float* x_scales,
                    size_t x_scales_stride, int32_t n, int32_t cols, int32_t group_size,
                    int32_t row_begin, int32_t row_end);

struct Avx2Q8;

// ggml's rows (kernels_ggml_avx2.cpp). Same contracts as ref's; the Q8_0
// and Q4_0 matvecs, the dequantizers and the activation quantizer give ref's
// bits, matvec_f16 sums in eight lanes with FMA.
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
// The same bits for n tokens (batched prefill): eight rows by four tokens,
// each block of weights decoded once for the four.
void matmul_q8_0(float* out, size_t out_stride, const uint8_t* w, const uint8_t* xq,
                 size_t xq_stride, int32_t n, int32_t cols, int32_t row_begin, int32_t row_end);
void matmul_q4_0(float* out, size_t out_stride, const uint8_t* w, const uint8_t* xq,
                 size_t xq_stride, int32_t n, int32_t cols, int32_t row_begin, int32_t row_end);

// AVX-512 VNNI Q8_0 and Q4_0 (kernels_ggml_vnni.cpp): ref's bits, 16 rows at
// once with vpdpbusd. The matmuls give each token the matvec's bits: blocks
// of 16 rows transposed in registers (lanes are rows), each decoded once for
// all the tokens.
void matvec_q8_0_vnni(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols,
                      int32_t row_begin, int32_t row_end);
void matvec_q4_0_vnni(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols,
                      int32_t row_begin, int32_t row_end);
void matmul_q8_0_vnni(float* out, size_t out_stride, const uint8_t* w, const uint8_t* xq,
                      size_t xq_stride, int32_t n, int32_t cols, int32_t row_begin,
                      int32_t row_end);
void matmul_q4_0_vnni(float* out, size_t out_stride, const uint8_t* w, const uint8_t* xq,
                      size_t xq_stride, int32_t n, int32_t cols, int32_t row_begin,
                      int32_t row_end);

struct Avx2 : ReferenceKernels<Avx2> {
  static constexpr const char kName[] = "avx2";
  // Other orders of summation, FMA, a polynomial exp.
  static constexpr KernelSet kApproximate = {Kernel::kMatvecF32,       Kernel::kDotF32,
                                             Kernel::kAxpyF32,         Kernel::kRmsnorm,
                                             Kernel::kSoftmax,         Kernel::kSwiglu,
                                             Kernel::kAttentionScores, Kernel::kAttentionValues,
                                             Kernel::kAttentionHeads,  Kernel::kMatvecF16};
  // Tiled keys make stories260K's head-size-8 attention scores several times
  // cheaper: no horizontal sums.
  static constexpr bool kTiledKeys = true;

  static constexpr auto matvec_f32 = x86::matvec_f32_avx2;
  static constexpr auto matmul_f32 = x86::matmul_f32_avx2;
  static constexpr auto dot_f32 = x86::dot_f32;
  static constexpr auto axpy_f32 = x86::axpy_f32;
  static constexpr auto rmsnorm = x86::rmsnorm;
  static constexpr auto softmax = x86::softmax;
  static constexpr auto rope = x86::rope;
  static constexpr auto swiglu = x86::swiglu;
  static constexpr auto argmax = x86::argmax;
  static constexpr auto attention_scores = x86::attention_scores;
  static constexpr auto attention_values = x86::attention_values;
  static constexpr auto attention_scores_tiled = x86::attention_scores_tiled;
  static constexpr auto attention_heads = x86::attention_heads;
  static constexpr auto matvec_q8 = x86::matvec_q8;
  static constexpr auto matmul_q8 = x86::matmul_q8;
  static constexpr auto quantize_q8 = x86::quantize_q8;
  static constexpr auto dequantize_row_f16 = x86::dequantize_row_f16;
  static constexpr auto dequantize_row_q8_0 = x86::dequantize_row_q8_0;
  static constexpr auto dequantize_row_q4_0 = x86::dequantize_row_q4_0;
  static constexpr auto quantize_row_q8_0 = x86::quantize_row_q8_0;
  static constexpr auto matvec_f16 = x86::matvec_f16;
  static constexpr auto matvec_q8_0 = x86::matvec_q8_0;
  static constexpr auto matvec_q4_0 = x86::matvec_q4_0;
  static constexpr auto matmul_q8_0 = x86::matmul_q8_0;
  static constexpr auto matmul_q4_0 = x86::matmul_q4_0;
  using Q8Path = Avx2Q8;
};

// The kernels of int8 models: every kernel gives ref's bits (runq.c's order
// and libm's expf), so the text is runq.c's. The matvec, the quantizer, RoPE
// and argmax are the family's own; rmsnorm, attention scores over tiles and
// attention values are vectorised across independent sums; softmax and SiLU
// call expf once per value, as ref does. On 110M the cost is within noise; on
// stories260K, where attention is most of a token, int8 runs at about half the
// speed the family's own kernels give (docs/int8.md).
struct Avx2Q8 : ReferenceKernels<Avx2Q8> {
  static constexpr const char kName[] = "avx2_q8path";
  static constexpr KernelSet kApproximate = {};
  static constexpr bool kTiledKeys = Avx2::kTiledKeys;

  static constexpr auto rmsnorm = x86::rmsnorm_exact;
  static constexpr auto rope = x86::rope;
  static constexpr auto argmax = x86::argmax;
  static constexpr auto attention_values = x86::attention_values_exact;
  static constexpr auto attention_scores_tiled = x86::attention_scores_tiled_exact;
  static constexpr auto matvec_q8 = x86::matvec_q8;
  static constexpr auto matmul_q8 = x86::matmul_q8;
  static constexpr auto quantize_q8 = x86::quantize_q8;
};

// Bit-identical with avx2 (the matvec too).
struct Avx512 : Avx2 {
  static constexpr const char kName[] = "avx512";
  static constexpr auto matvec_f32 = x86::matvec_f32_avx512;
  static constexpr auto matmul_f32 = x86::matmul_f32_avx512;
};

// avx512's kernels of int8 models with the VNNI matvec.
struct Avx512VnniQ8 : Avx2Q8 {
  static constexpr const char kName[] = "avx512vnni_q8path";
  static constexpr auto matvec_q8 = x86::matvec_q8_vnni;
  static constexpr auto matmul_q8 = x86::matmul_q8_vnni;
};

// avx512 with VNNI int8 kernels (llama2.c's int8, ggml's Q8_0 and Q4_0), for
// CPUs with AVX-512 VNNI (and BW): one vpdpbusd per 64 bytes of weights where
// AVX2 needs ten instructions (docs/int8.md, bench/kernels_q8_bench.cpp,
// bench/kernels_ggml_bench.cpp). Bit-identical with avx512.
struct Avx512Vnni : Avx512 {
  static constexpr const char kName[] = "avx512vnni";
  static constexpr auto matvec_q8 = x86::matvec_q8_vnni;
  static constexpr auto matmul_q8 = x86::matmul_q8_vnni;
  // ggml's Q8_0 and Q4_0 with vpdpbusd (kernels_ggml_vnni.cpp), the same
  // bits as avx512's; batched prefill shares each decoded block of weights
  // across up to 8 tokens.
  static constexpr auto matvec_q8_0 = x86::matvec_q8_0_vnni;
  static constexpr auto matvec_q4_0 = x86::matvec_q4_0_vnni;
  static constexpr auto matmul_q8_0 = x86::matmul_q8_0_vnni;
  static constexpr auto matmul_q4_0 = x86::matmul_q4_0_vnni;
  using Q8Path = Avx512VnniQ8;
};

}  // namespace llmcu::kernels::x86
