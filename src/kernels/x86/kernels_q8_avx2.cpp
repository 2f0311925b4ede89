// AVX2 int8 matvec. Compiled with -mavx2 -mfma (cmake/llmcu_kernels.cmake)
// when the kernel family is avx2.
//
// 32 int8 products at a time: |w| (unsigned) times x carrying w's sign goes
// through maddubs into int16 pairs (at most 2 * 128 * 127, no saturation,
// since activations are quantized to [-127, 127]) and madd into 8 int32
// lanes of 4 consecutive products each. Group sizes that are multiples of 32
// sum whole groups in int32 and scale once per group; group sizes 4, 8 and 16
// scale each lane by its own group's scale. Others use the reference. Rows go
// in blocks of 4 sharing each input load; a row's sum is reduced in the same
// order in or out of a block, so results do not depend on the row split.
//
// quantize_q8 gives the reference's bytes and scales exactly: the same IEEE
// max, division by 127 and division by the scale, and roundf's half-away-from-
// zero rounding rebuilt from truncation (v - trunc(v) is exact in float).
#include <immintrin.h>

#include "kernels/x86/family.h"

namespace llmcu::kernels::x86 {
namespace {

// Lane i: w[4i..4i+3] . x[4i..4i+3] in int32: |w| (unsigned, so -128 is
// 128) times x carrying w's sign.
inline __m256i dot32(const int8_t* w, __m256i x) {
  const __m256i vw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
  const __m256i pairs = _mm256_maddubs_epi16(_mm256_abs_epi8(vw), _mm256_sign_epi8(x, vw));
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

inline __m256i load32(const int8_t* x) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
}

// The sums of the 8 lanes of a, b, c and d, in lanes 0-3, each added in the
// same order ((v0 + v1) + (v2 + v3)) + ((v4 + v5) + (v6 + v7)) whatever the
// other three hold: a row's result does not depend on the rows beside it.
inline __m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 abcd = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
  return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

// Stores the sums of acc[0..R) to out[0..R) plus each row's tail.
template <int R>
inline void store_rows(float* out, const __m256* acc, const float* tails) {
  const __m256 z = _mm256_setzero_ps();
  float sums[4];
  _mm_storeu_ps(sums, hsum4(acc[0], R > 1 ? acc[1] : z, R > 2 ? acc[2] : z, R > 3 ? acc[3] : z));
  for (int k = 0; k < R; ++k) out[k] = sums[k] + tails[k];
}

inline float load_scale(const uint8_t* p) {
  float s;
  __builtin_memcpy(&s, p, sizeof(s));
  return s;
}

// The groups of [j, cols) of one row, one at a time.
float tail_groups(const int8_t* w, const uint8_t* ws, const int8_t* x, const float* xs, int32_t j,
                  int32_t cols, int32_t gs) {
  float sum = 0.0f;
  for (; j < cols; j += gs) {
    int32_t acc = 0;
    for (int32_t k = 0; k < gs; ++k) acc += int32_t{w[j + k]} * int32_t{x[j + k]};
    const int32_t g = j / gs;
    sum += static_cast<float>(acc) * load_scale(ws + static_cast<size_t>(g) * 4) * xs[g];
  }
  return sum;
}

// Group size a multiple of 32, rows [r, r + R): int32 sums per group, one
// scale per group. The input is loaded once for the R rows.
template <int R>
void wide_rows(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* xs, int32_t cols, int32_t gs, int32_t r) {
  const int32_t groups = cols / gs;
  const int8_t* wr[R];
  const uint8_t* ws[R];
  __m256 acc[R];
  for (int k = 0; k < R; ++k) {
    wr[k] = w + static_cast<size_t>(r + k) * cols;
    ws[k] = w_scales + static_cast<size_t>(r + k) * groups * 4;
    acc[k] = _mm256_setzero_ps();
  }
  for (int32_t g = 0; g < groups; ++g) {
    const int32_t j0 = g * gs;
    __m256i isum[R];
    const __m256i x0 = load32(xq + j0);
    for (int k = 0; k < R; ++k) isum[k] = dot32(wr[k] + j0, x0);
    for (int32_t j = j0 + 32; j < j0 + gs; j += 32) {
      const __m256i x = load32(xq + j);
      for (int k = 0; k < R; ++k) isum[k] = _mm256_add_epi32(isum[k], dot32(wr[k] + j, x));
    }
    for (int k = 0; k < R; ++k) {
      const float scale = load_scale(ws[k] + static_cast<size_t>(g) * 4) * xs[g];
      acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[k]), _mm256_set1_ps(scale), acc[k]);
    }
  }
  const float tails[4] = {};
  store_rows<R>(out + r, acc, tails);
}

// Group size 4, 8 or 16, rows [r, r + R): each int32 lane (4 values) belongs
// to one group; lane i of a 32-value block takes the scale of group
// i * 4 / gs of the block. Groups past the last whole block: the row's last
// 32 values with the overlap masked out (or one at a time in rows under 32).
template <int kGroupSize, int R>
void narrow_rows(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
                 const float* xs, int32_t cols, int32_t r) {
  constexpr int kGroupsPerBlock = 32 / kGroupSize;
  const int32_t groups = cols / kGroupSize;
  const int32_t blocked = cols / 32 * 32;
  const __m256i spread = kGroupSize == 4   ? _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)
                         : kGroupSize == 8 ? _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3)
                                           : _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
  const int8_t* wr[R];
  const uint8_t* ws[R];
  __m256 acc[R];
  for (int k = 0; k < R; ++k) {
    wr[k] = w + static_cast<size_t>(r + k) * cols;
    ws[k] = w_scales + static_cast<size_t>(r + k) * groups * 4;
    acc[k] = _mm256_setzero_ps();
  }
  // One 32-value block at j (a multiple of kGroupSize) for the R rows.
  auto block = [&](int32_t j, __m256i x) {
    const int32_t g = j / kGroupSize;
    for (int k = 0; k < R; ++k) {
      __m256 scale;
      if constexpr (kGroupSize == 4) {
        scale = _mm256_mul_ps(_mm256_loadu_ps(reinterpret_cast<const float*>(ws[k] + g * 4)),
                              _mm256_loadu_ps(xs + g));
      } else {
        // Exactly kGroupsPerBlock scales: never read past the row's last one.
        __m128 s;
        if constexpr (kGroupsPerBlock == 4) {
          s = _mm_mul_ps(_mm_loadu_ps(reinterpret_cast<const float*>(ws[k] + g * 4)),
                         _mm_loadu_ps(xs + g));
        } else {
          s = _mm_mul_ps(_mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(ws[k] + g * 4))),
                         _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(xs + g))));
        }
        scale = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(s), spread);
      }
      acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot32(wr[k] + j, x)), scale, acc[k]);
    }
  };
  for (int32_t j = 0; j < blocked; j += 32) block(j, load32(xq + j));
  float tails[4] = {};
  if (blocked < cols && cols >= 32) {
    // The last 32 values of the row, overlapping the last whole block: the
    // input is zeroed where they overlap, so only the remaining groups count
    // (cols - 32 is a multiple of the group size, groups stay aligned).
    const int32_t keep = cols - blocked;
    const __m256i iota =
        _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                         21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
    const __m256i fresh = _mm256_cmpgt_epi8(iota, _mm256_set1_epi8(static_cast<char>(31 - keep)));
    block(cols - 32, _mm256_and_si256(load32(xq + cols - 32), fresh));
  } else if (blocked < cols) {
    for (int k = 0; k < R; ++k) {
      tails[k] = tail_groups(wr[k], ws[k], xq, xs, blocked, cols, kGroupSize);
    }
  }
  store_rows<R>(out + r, acc, tails);
}

// Rows in blocks of 4 (the input is loaded once per block), then one at a time.
template <typename Rows4, typename Rows1>
void by_rows(int32_t row_begin, int32_t row_end, Rows4 rows4, Rows1 rows1) {
  int32_t r = row_begin;
  for (; r + 4 <= row_end; r += 4) rows4(r);
  for (; r < row_end; ++r) rows1(r);
}

template <int kGroupSize>
void matvec_narrow_groups(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
                          const float* xs, int32_t cols, int32_t row_begin, int32_t row_end) {
  by_rows(
      row_begin, row_end,
      [&](int32_t r) { narrow_rows<kGroupSize, 4>(out, w, w_scales, xq, xs, cols, r); },
      [&](int32_t r) { narrow_rows<kGroupSize, 1>(out, w, w_scales, xq, xs, cols, r); });
}

void matvec_wide_groups(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
                        const float* xs, int32_t cols, int32_t gs, int32_t row_begin,
                        int32_t row_end) {
  by_rows(
      row_begin, row_end, [&](int32_t r) { wide_rows<4>(out, w, w_scales, xq, xs, cols, gs, r); },
      [&](int32_t r) { wide_rows<1>(out, w, w_scales, xq, xs, cols, gs, r); });
}

// roundf() on 8 lanes: trunc(v), plus +-1 where |v - trunc(v)| >= 0.5.
inline __m256 round_half_away(__m256 v) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 frac = _mm256_andnot_ps(sign_bit, _mm256_sub_ps(v, t));
  const __m256 up = _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  const __m256 one = _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_and_ps(v, sign_bit));
  return _mm256_add_ps(t, _mm256_and_ps(up, one));
}

// 8 values over their lanes' scales, rounded, stored as 8 int8. Lanes whose
// scale is zero (an all-zero group) give 0, as in the reference.
inline void quantize8(int8_t* q, __m256 x, __m256 scale) {
  const __m256 nonzero = _mm256_cmp_ps(scale, _mm256_setzero_ps(), _CMP_NEQ_OQ);
  const __m256 r = _mm256_and_ps(nonzero, round_half_away(_mm256_div_ps(x, scale)));
  const __m256i i32 = _mm256_cvttps_epi32(r);  // integral, within [-127, 127]
  const __m128i i16 =
      _mm_packs_epi32(_mm256_castsi256_si128(i32), _mm256_extracti128_si256(i32, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(q), _mm_packs_epi16(i16, i16));
}

inline __m256 abs8(__m256 v) {
  return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
}

}  // namespace

void quantize_q8(int8_t* q, float* scales, const float* x, int32_t n, int32_t group_size) {
  const __m256 k127 = _mm256_set1_ps(127.0f);
  int32_t j = 0;
  if (group_size == 4) {
    // Two groups per vector: each half's max spread over its 4 lanes.
    for (; j + 8 <= n; j += 8) {
      const __m256 v = _mm256_loadu_ps(x + j);
      __m256 m = abs8(v);
      m = _mm256_max_ps(m, _mm256_permute_ps(m, 0xB1));  // (1, 0, 3, 2)
      m = _mm256_max_ps(m, _mm256_permute_ps(m, 0x4E));  // (2, 3, 0, 1)
      const __m256 scale = _mm256_div_ps(m, k127);
      scales[j / 4] = _mm256_cvtss_f32(scale);
      scales[j / 4 + 1] = _mm_cvtss_f32(_mm256_extractf128_ps(scale, 1));
      quantize8(q + j, v, scale);
    }
  } else if (group_size % 8 == 0) {
    for (; j + group_size <= n; j += group_size) {
      __m256 m = _mm256_setzero_ps();
      for (int32_t i = 0; i < group_size; i += 8)
        m = _mm256_max_ps(m, abs8(_mm256_loadu_ps(x + j + i)));
      __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
      h = _mm_max_ps(h, _mm_movehl_ps(h, h));
      h = _mm_max_ss(h, _mm_movehdup_ps(h));
      const float scale = _mm_cvtss_f32(h) / 127.0f;
      scales[j / group_size] = scale;
      const __m256 vs = _mm256_set1_ps(scale);
      for (int32_t i = 0; i < group_size; i += 8)
        quantize8(q + j + i, _mm256_loadu_ps(x + j + i), vs);
    }
  }
  // Other group sizes, and the last (possibly partial) groups: the reference.
  if (j < n) ref::quantize_q8(q + j, scales + j / group_size, x + j, n - j, group_size);
}

void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end) {
  switch (group_size) {
    case 4:
      return matvec_narrow_groups<4>(out, w, w_scales, xq, x_scales, cols, row_begin, row_end);
    case 8:
      return matvec_narrow_groups<8>(out, w, w_scales, xq, x_scales, cols, row_begin, row_end);
    case 16:
      return matvec_narrow_groups<16>(out, w, w_scales, xq, x_scales, cols, row_begin, row_end);
    default: break;
  }
  if (group_size % 32 == 0) {
    return matvec_wide_groups(out, w, w_scales, xq, x_scales, cols, group_size, row_begin, row_end);
  }
  ref::matvec_q8(out, w, w_scales, xq, x_scales, cols, group_size, row_begin, row_end);
}

}  // namespace llmcu::kernels::x86
