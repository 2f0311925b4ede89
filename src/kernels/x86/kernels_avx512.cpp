// x86-64 AVX-512F matvec (LLMCU_KERNELS=avx512, or auto on a host that has
// it). Compiled with -mavx512f -mavx2 -mfma; every other kernel of the family
// is the AVX2 one.
//
// Why: a decode step streams every weight once, and one core's share of the
// DRAM bandwidth is bounded by how many loads it keeps in flight. The AVX2
// matvec loads x beside every weight vector (four loads per 64 bytes of
// weights); here x stays in up to 24 zmm registers and each 64 bytes of
// weights is one load, the x load folded away.
//
// Results are bit-identical to matvec_f32_avx2: one zmm accumulator holds in
// lanes 0-7 the AVX2 kernel's even 8-float blocks and in lanes 8-15 its odd
// ones, updated by the same FMAs in the same order, and reduced by the same
// additions (reduce_avx2.h).
#include <immintrin.h>

#include <array>
#include <utility>

#include "kernels/x86/family.h"
#include "kernels/x86/reduce_avx2.h"

namespace llmcu::kernels::x86 {
namespace {

// 24 blocks of x (384 floats) + the accumulators and the masked tail fit in
// the 32 zmm registers without spills.
constexpr int kMaxRegisterBlocks = 24;

// Half 0 or 1 of v. The masked extract with every lane selected: GCC 12
// warns about the undefined pass-through operand of the unmasked forms
// (_mm512_castps512_ps256 included).
template <int kHalf>
inline __m256 half(__m512 v) {
  return _mm256_castpd_ps(
      _mm512_mask_extractf64x4_pd(_mm256_setzero_pd(), 0xFF, _mm512_castps_pd(v), kHalf));
}

inline float reduce(__m512 acc) {
  const __m256 s = _mm256_add_ps(half<0>(acc), half<1>(acc));  // even + odd blocks
  return _mm_cvtss_f32(hsum4(s, s, s, s));
}

// Rows [row_begin, row_end) with x[0, 16 * kBlocks) held in registers; whole
// 16-float blocks past those are loaded per row, the tail (cols % 16) masked.
template <int kBlocks>
void matvec_rows(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                 int32_t row_end) {
  __m512 xr[kBlocks > 0 ? kBlocks : 1];
  for (int b = 0; b < kBlocks; ++b) xr[b] = _mm512_loadu_ps(x + 16 * b);
  const int32_t full = cols & ~15;
  const auto tail = static_cast<__mmask16>((1u << (cols - full)) - 1u);
  const __m512 x_tail = _mm512_maskz_loadu_ps(tail, x + full);
  const auto stride = static_cast<size_t>(cols);
  int32_t r = row_begin;
  // Short rows (at most 256 floats, all of x in registers): four at a time,
  // for four independent FMA chains. Longer rows go one at a time, front to
  // back: the single stream the prefetchers follow at full bandwidth.
  if (kBlocks <= 16) {
    for (; r + 4 <= row_end; r += 4) {
      const float* row0 = w + static_cast<size_t>(r) * stride;
      const float* row1 = row0 + stride;
      const float* row2 = row1 + stride;
      const float* row3 = row2 + stride;
      __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
      __m512 a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
#pragma GCC unroll 16
      for (int b = 0; b < kBlocks; ++b) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(row0 + 16 * b), xr[b], a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(row1 + 16 * b), xr[b], a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(row2 + 16 * b), xr[b], a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(row3 + 16 * b), xr[b], a3);
      }
      if (tail != 0) {
        a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, row0 + full), x_tail, a0);
        a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, row1 + full), x_tail, a1);
        a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, row2 + full), x_tail, a2);
        a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, row3 + full), x_tail, a3);
      }
      const __m256 s0 = _mm256_add_ps(half<0>(a0), half<1>(a0));
      const __m256 s1 = _mm256_add_ps(half<0>(a1), half<1>(a1));
      const __m256 s2 = _mm256_add_ps(half<0>(a2), half<1>(a2));
      const __m256 s3 = _mm256_add_ps(half<0>(a3), half<1>(a3));
      _mm_storeu_ps(out + r, hsum4(s0, s1, s2, s3));
    }
  }
  for (; r < row_end; ++r) {
    const float* row = w + static_cast<size_t>(r) * stride;
    __m512 acc = _mm512_setzero_ps();
#pragma GCC unroll 24
    for (int b = 0; b < kBlocks; ++b) {
      acc = _mm512_fmadd_ps(_mm512_loadu_ps(row + 16 * b), xr[b], acc);
    }
    for (int32_t c = 16 * kBlocks; c < full; c += 16) {
      acc = _mm512_fmadd_ps(_mm512_loadu_ps(row + c), _mm512_loadu_ps(x + c), acc);
    }
    if (tail != 0) acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, row + full), x_tail, acc);
    out[r] = reduce(acc);
  }
}

using MatvecRows = void (*)(float*, const float*, const float*, int32_t, int32_t, int32_t);

template <int... kBlocks>
constexpr auto make_table(std::integer_sequence<int, kBlocks...>) {
  return std::array<MatvecRows, sizeof...(kBlocks)>{&matvec_rows<kBlocks>...};
}

// One instance per count of whole blocks held in registers.
constexpr auto kByBlocks = make_table(std::make_integer_sequence<int, kMaxRegisterBlocks + 1>{});

// Rows row..row+kRows-1 against tokens t..t+kTokens-1: one accumulator per
// row and token, updated block by block in the order matvec_rows updates a
// row's, so each sum has the same bits; a token's sums reduce four rows at a
// time as matvec_rows's do. The tokens' x streams from L2 once per tile while
// the tile's rows stay in L1, so taller tiles read x fewer times.
template <int kRows, int kTokens>
void matmul_tile(float* out, size_t out_stride, const float* w, const float* x, size_t x_stride,
                 int32_t cols, int32_t row) {
  static_assert(kRows % 4 == 0 && kRows * kTokens + kTokens < 32, "accumulators in registers");
  const int32_t full = cols & ~15;
  const auto tail = static_cast<__mmask16>((1u << (cols - full)) - 1u);
  const auto stride = static_cast<size_t>(cols);
  const float* rows[kRows];
  for (int i = 0; i < kRows; ++i) rows[i] = w + (static_cast<size_t>(row) + i) * stride;
  __m512 acc[kRows][kTokens];
  for (auto& per_row : acc) {
    for (__m512& a : per_row) a = _mm512_setzero_ps();
  }
  for (int32_t c = 0; c < full; c += 16) {
    __m512 xs[kTokens];
#pragma GCC unroll 8
    for (int t = 0; t < kTokens; ++t) xs[t] = _mm512_loadu_ps(x + t * x_stride + c);
#pragma GCC unroll 8
    for (int i = 0; i < kRows; ++i) {
      __m512 wv = _mm512_loadu_ps(rows[i] + c);
      __asm__("" : "+v"(wv));  // one load per row, not one folded into each FMA
#pragma GCC unroll 8
      for (int t = 0; t < kTokens; ++t) acc[i][t] = _mm512_fmadd_ps(wv, xs[t], acc[i][t]);
    }
  }
  if (tail != 0) {
    __m512 xs[kTokens];
#pragma GCC unroll 8
    for (int t = 0; t < kTokens; ++t) xs[t] = _mm512_maskz_loadu_ps(tail, x + t * x_stride + full);
#pragma GCC unroll 8
    for (int i = 0; i < kRows; ++i) {
      const __m512 wv = _mm512_maskz_loadu_ps(tail, rows[i] + full);
#pragma GCC unroll 8
      for (int t = 0; t < kTokens; ++t) acc[i][t] = _mm512_fmadd_ps(wv, xs[t], acc[i][t]);
    }
  }
  for (int t = 0; t < kTokens; ++t) {
    for (int i = 0; i < kRows; i += 4) {
      __m256 s[4];
      for (int j = 0; j < 4; ++j) {
        s[j] = _mm256_add_ps(half<0>(acc[i + j][t]), half<1>(acc[i + j][t]));
      }
      _mm_storeu_ps(out + t * out_stride + row + i, hsum4(s[0], s[1], s[2], s[3]));
    }
  }
}

// Rows row..row+kRows-1 against all n tokens: kTokens at a time, then what is
// left in twos and ones.
template <int kRows, int kTokens>
void matmul_rows(float* out, size_t out_stride, const float* w, const float* x, size_t x_stride,
                 int32_t n, int32_t cols, int32_t row) {
  int32_t t = 0;
  for (; t + kTokens <= n; t += kTokens) {
    matmul_tile<kRows, kTokens>(out + t * out_stride, out_stride, w, x + t * x_stride, x_stride,
                                cols, row);
  }
  if constexpr (kTokens > 2) {
    if (t + 2 <= n) {
      matmul_tile<kRows, 2>(out + t * out_stride, out_stride, w, x + t * x_stride, x_stride, cols,
                            row);
      t += 2;
    }
  }
  if (t < n) {
    matmul_tile<kRows, 1>(out + t * out_stride, out_stride, w, x + t * x_stride, x_stride, cols,
                          row);
  }
}

}  // namespace

void matmul_f32_avx512(float* out, size_t out_stride, const float* w, const float* x,
                       size_t x_stride, int32_t n, int32_t cols, int32_t row_begin,
                       int32_t row_end) {
  int32_t r = row_begin;
  // Eight rows of up to 1024 floats (32 KiB) stay in L1 beside three tokens'
  // x; longer rows go four at a time.
  if (cols <= 1024) {
    for (; r + 8 <= row_end; r += 8) matmul_rows<8, 3>(out, out_stride, w, x, x_stride, n, cols, r);
  }
  for (; r + 4 <= row_end; r += 4) matmul_rows<4, 4>(out, out_stride, w, x, x_stride, n, cols, r);
  if (r < row_end) {
    for (int32_t t = 0; t < n; ++t) {
      matvec_f32_avx512(out + t * out_stride, w, x + t * x_stride, cols, r, row_end);
    }
  }
}

void matvec_f32_avx512(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                       int32_t row_end) {
  const int32_t blocks = cols / 16;
  kByBlocks[blocks < kMaxRegisterBlocks ? blocks : kMaxRegisterBlocks](out, w, x, cols, row_begin,
                                                                       row_end);
}

}  // namespace llmcu::kernels::x86
