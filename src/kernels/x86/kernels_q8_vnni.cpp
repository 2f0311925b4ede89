// AVX-512 VNNI int8 matvec (LLMCU_KERNELS=avx512vnni, or auto on a host with
// AVX-512F, AVX-512BW and AVX-512 VNNI). Compiled with -mavx512f -mavx512bw
// -mavx512vnni besides the AVX2 flags; every other kernel of the family is
// the avx512 one.
//
// It gives ref::matvec_q8's bits (runq.c's order): each row sums its groups
// in order, sum += ((float)isum * w_scale) * x_scale. Only the integer group
// sums are computed otherwise, and they are exact in any order:
//   - vpdpbusd multiplies unsigned by signed bytes, so the weights go in with
//     their sign bit flipped (w ^ 0x80 = w + 128, in [0, 255]) and the
//     activations as they are; a group's sum then exceeds the true one by
//     128 * (the sum of the group's activations), subtracted once per group
//     for all rows. Exact for every int8 weight and activation, -128 too.
//   - 16 rows at a time, read front to back, row after row: one stream, which
//     the hardware prefetchers follow as they follow a copy (reading the 16
//     rows side by side, 64 bytes of each in turn, streamed from DRAM at half
//     the speed). Each 64-byte unit (one group of 64, or two of 32) is one
//     vpdpbusd; 16 consecutive units reduce together into one vector of 16
//     group sums, stored in a small stack array.
//   - Then the float part group by group, lanes being the 16 rows: one
//     convert, two multiplies and one add per group for the 16 rows, in ref's
//     per-row order.
// Rows past the end of a block repeat its last row and are not stored; every
// lane is computed alone, so a row's bits do not depend on the row split.
// Group sizes other than 32 and multiples of 64 go to the AVX2 kernel (also
// exact).
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 takes the undefined pass-through operand of the unmasked AVX-512
// intrinsics (_mm512_undefined_*, `__Y = __Y`) for an uninitialised read.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "kernels/x86/family.h"

namespace llmcu::kernels::x86 {
namespace {

constexpr int kRows = 16;

inline __m512i load64(const int8_t* p) {
  return _mm512_loadu_si512(p);
}

// Lane i: the sum of the 16 lanes of v[i], for 64-byte groups (kPairs false:
// `lo` only); for pairs of 32-byte groups (kPairs true), lane i of lo sums
// lanes 0-7 of v[i] (the first group) and lane i of hi lanes 8-15.
template <bool kPairs>
inline void reduce16(const __m512i v[kRows], __m512i& lo, __m512i& hi) {
  // Pairs of rows: per 128-bit chunk (a0+a2, b0+b2, a1+a3, b1+b3).
  __m512i a[8];
  for (int k = 0; k < 8; ++k) {
    a[k] = _mm512_add_epi32(_mm512_unpacklo_epi32(v[2 * k], v[2 * k + 1]),
                            _mm512_unpackhi_epi32(v[2 * k], v[2 * k + 1]));
  }
  // Fours: chunk c of b[k] holds rows 4k..4k+3 summed over chunk c.
  __m512i b[4];
  for (int k = 0; k < 4; ++k) {
    b[k] = _mm512_add_epi32(_mm512_unpacklo_epi64(a[2 * k], a[2 * k + 1]),
                            _mm512_unpackhi_epi64(a[2 * k], a[2 * k + 1]));
  }
  // Chunks (rows 0-3 over chunks 0+1, rows 0-3 over 2+3, rows 4-7 over 0+1,
  // rows 4-7 over 2+3), and the same for rows 8-15.
  const __m512i c0 = _mm512_add_epi32(_mm512_shuffle_i32x4(b[0], b[1], 0x88),
                                      _mm512_shuffle_i32x4(b[0], b[1], 0xDD));
  const __m512i c1 = _mm512_add_epi32(_mm512_shuffle_i32x4(b[2], b[3], 0x88),
                                      _mm512_shuffle_i32x4(b[2], b[3], 0xDD));
  // Rows 0-15 over chunks 0+1 (the first 32 bytes), and over chunks 2+3.
  const __m512i first = _mm512_shuffle_i32x4(c0, c1, 0x88);
  const __m512i second = _mm512_shuffle_i32x4(c0, c1, 0xDD);
  if constexpr (kPairs) {
    lo = first;
    hi = second;
  } else {
    lo = _mm512_add_epi32(first, second);
    hi = lo;
  }
}

// Units per row and pass: the integer sums of a pass (16 rows x this many
// units) wait in two stack arrays of 4 KB.
constexpr int32_t kPassUnits = 64;

// Rows [r, r + n) (n <= 16). A unit is 64 bytes of a row: one group of 64
// values (gs = 64k: k vectors summed), or two groups of 32 (kPairs). A pass
// covers up to kPassUnits units of the 16 rows: first the integer phase,
// reading the rows one after the other, front to back (one stream the
// hardware prefetcher follows, as in a plain copy), 16 units at a time
// reduced to 16 sums; then the float phase, group by group in order, lanes
// being rows.
template <bool kPairs>
void rows16(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq, const float* xs,
            int32_t cols, int32_t gs, int32_t r, int32_t n) {
  const int32_t groups = cols / gs;
  const int32_t units = kPairs ? (groups + 1) / 2 : groups;
  const int32_t vectors = kPairs ? 1 : gs / 64;  // 64-byte vectors per unit
  const size_t unit_bytes = static_cast<size_t>(vectors) * 64;
  const auto stride = static_cast<size_t>(cols);
  // An odd count of 32-value groups: the last unit is half a vector.
  const int32_t half_unit = kPairs && groups % 2 != 0 ? units - 1 : -1;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  // Rows past n repeat row n - 1 (their lanes are not stored).
  const __m512i row_of_lane = _mm512_min_epi32(lane, _mm512_set1_epi32(n - 1));
  const int32_t scale_row_bytes = groups * 4;
  const __m512i scale_index = _mm512_mullo_epi32(row_of_lane, _mm512_set1_epi32(scale_row_bytes));
  const uint8_t* ws = w_scales + static_cast<size_t>(r) * static_cast<size_t>(scale_row_bytes);
  const int8_t* w0 = w + static_cast<size_t>(r) * stride;
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i ones = _mm512_set1_epi8(1);

  alignas(64) int32_t sums_a[kRows * kPassUnits];
  alignas(64) int32_t sums_b[kPairs ? kRows * kPassUnits : 1];
  __m512 acc = _mm512_setzero_ps();
  for (int32_t u0 = 0; u0 < units; u0 += kPassUnits) {
    const int32_t pass = units - u0 < kPassUnits ? units - u0 : kPassUnits;
    // Integer phase: unit u of row i goes to index i * pass + u, 16 at a time.
    int32_t row = 0, u = 0;
    const int8_t* wp = w0 + static_cast<size_t>(u0) * unit_bytes;
    const int8_t* xp = xq + static_cast<size_t>(u0) * unit_bytes;
    for (int32_t k = 0; k < kRows * pass; k += kRows) {
      __m512i v[kRows];
      for (int s = 0; s < kRows; ++s) {
        if constexpr (kPairs) {
          // The half unit: x's upper half zero, so the flipped zeros add 0.
          const __mmask64 m = u0 + u == half_unit ? __mmask64{0xFFFFFFFFu} : ~__mmask64{0};
          v[s] = _mm512_dpbusd_epi32(_mm512_setzero_si512(),
                                     _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, wp), flip),
                                     _mm512_maskz_loadu_epi8(m, xp));
        } else {
          v[s] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_xor_si512(load64(wp), flip),
                                     load64(xp));
          for (int32_t c = 1; c < vectors; ++c) {
            v[s] = _mm512_dpbusd_epi32(v[s], _mm512_xor_si512(load64(wp + 64 * c), flip),
                                       load64(xp + 64 * c));
          }
        }
        wp += unit_bytes, xp += unit_bytes;
        if (++u == pass) {
          u = 0;
          ++row;
          const int32_t next = row < n ? row : n - 1;
          wp = w0 + static_cast<size_t>(next) * stride + static_cast<size_t>(u0) * unit_bytes;
          xp = xq + static_cast<size_t>(u0) * unit_bytes;
        }
      }
      __m512i lo, hi;
      reduce16<kPairs>(v, lo, hi);
      _mm512_store_si512(sums_a + k, lo);
      if constexpr (kPairs) _mm512_store_si512(sums_b + k, hi);
    }
    // Float phase: group g's sums of the 16 rows, at i * pass + (g's unit).
    const __m512i sum_index = _mm512_mullo_epi32(lane, _mm512_set1_epi32(pass));
    const int32_t g_end = kPairs ? (u0 + pass) * 2 < groups ? (u0 + pass) * 2 : groups : u0 + pass;
    for (int32_t g = kPairs ? u0 * 2 : u0; g < g_end; ++g) {
      const int32_t unit = (kPairs ? g / 2 : g) - u0;
      const int32_t* sums = kPairs && g % 2 != 0 ? sums_b : sums_a;
      const __m512i isum = _mm512_i32gather_epi32(sum_index, sums + unit, 4);
      // 128 * (the group's activation sum): what the flipped weights added.
      __m512i xsum4 = _mm512_setzero_si512();
      const int8_t* xg = xq + static_cast<size_t>(g) * static_cast<size_t>(gs);
      if (kPairs) {
        xsum4 = _mm512_dpbusd_epi32(xsum4, ones, _mm512_maskz_loadu_epi8(0xFFFFFFFFu, xg));
      } else {
        for (int32_t c = 0; c < vectors; ++c)
          xsum4 = _mm512_dpbusd_epi32(xsum4, ones, load64(xg + 64 * c));
      }
      const int32_t correction = _mm512_reduce_add_epi32(xsum4) * 128;
      const __m512i exact = _mm512_sub_epi32(isum, _mm512_set1_epi32(correction));
      // ref's order: ((float)isum * w_scale) * x_scale, added to the row's sum.
      const __m512 scale = _mm512_i32gather_ps(scale_index, ws + static_cast<size_t>(g) * 4, 1);
      const __m512 p =
          _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(exact), scale), _mm512_set1_ps(xs[g]));
      acc = _mm512_add_ps(acc, p);
    }
  }
  _mm512_mask_storeu_ps(out + r, static_cast<__mmask16>((1u << n) - 1u), acc);
}

template <bool kPairs>
void matvec_rows(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
                 const float* xs, int32_t cols, int32_t gs, int32_t row_begin, int32_t row_end) {
  for (int32_t r = row_begin; r < row_end; r += kRows) {
    const int32_t n = row_end - r < kRows ? row_end - r : kRows;
    rows16<kPairs>(out, w, w_scales, xq, xs, cols, gs, r, n);
  }
}

}  // namespace

void matvec_q8_vnni(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
                    const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
                    int32_t row_end) {
  if (group_size % 64 == 0) {
    matvec_rows<false>(out, w, w_scales, xq, x_scales, cols, group_size, row_begin, row_end);
  } else if (group_size == 32) {
    matvec_rows<true>(out, w, w_scales, xq, x_scales, cols, group_size, row_begin, row_end);
  } else {
    matvec_q8(out, w, w_scales, xq, x_scales, cols, group_size, row_begin, row_end);
  }
}

}  // namespace llmcu::kernels::x86
