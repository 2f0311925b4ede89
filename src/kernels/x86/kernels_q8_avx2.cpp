// AVX2 int8 kernels. Compiled with -mavx2 -mfma (cmake/llmcu_kernels.cmake)
// when the kernel family is avx2 or avx512.
//
// matvec_q8 gives ref::matvec_q8's bits, which are llama2.c runq.c's: each
// row sums its groups in order, sum += ((float)isum * w_scale) * x_scale,
// one rounding per operation. The integer group sums are exact in any order,
// so all the speed comes from them and from doing the float part for 8 rows
// at once:
//   - 32 int8 products at a time: |w| (unsigned) times x carrying w's sign
//     goes through maddubs into int16 pairs (at most 2 * 128 * 127: no
//     saturation, since activations are quantized to [-127, 127]) and madd
//     into 8 int32 lanes of 4 consecutive products each;
//   - for each of 8 rows, the sums of 8 consecutive groups in one vector
//     (lane g: group g; folded with hadd for groups of 8, 16 or 32k), turned
//     into the 8 products ((float)isum * w_scale) * x_scale with two vector
//     multiplies;
//   - the 8 x 8 products transposed, so that one vector add per group adds
//     that group to the running sums of the 8 rows, in ref's order.
// For groups of multiples of 32 (15M, 110M), each 64 bytes read is prefetched
// for the rows two blocks of 8 further on: the hardware prefetchers alone keep
// too few of the 8 row streams' lines in flight (a 110M decode step's weights
// from memory, one thread: BM_matvec_q8_110m_token<Avx2>, 14.0 GB/s without,
// 15.6-19.7 with).
// Rows past the end of a block of 8 repeat its last row; their lanes are not
// stored. Every lane is computed alone, so a row's bits do not depend on the
// rows beside it or on the row split.
//
// quantize_q8 gives the reference's bytes and scales exactly: the same IEEE
// max, division by 127 and division by the scale, and roundf's half-away-from-
// zero rounding rebuilt from truncation (v - trunc(v) is exact in float).
#include <immintrin.h>

#include "kernels/x86/family.h"
#include "kernels/x86/int8_avx2.h"

namespace llmcu::kernels::x86 {
namespace {

inline __m256i load32(const int8_t* x) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
}

// Lane i: w[4i..4i+3] . x[4i..4i+3] in int32: |w| (unsigned, so -128 is
// 128) times x carrying w's sign.
inline __m256i dot32(const int8_t* w, __m256i x) {
  const __m256i vw = load32(w);
  return dot_quads(_mm256_abs_epi8(vw), vw, x);
}

inline int32_t hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

// The int32 dot product of one group of any size.
int32_t group_sum(const int8_t* w, const int8_t* x, int32_t gs) {
  int32_t k = 0, sum = 0;
  if (gs >= 32) {
    __m256i acc = dot32(w, load32(x));
    for (k = 32; k + 32 <= gs; k += 32) acc = _mm256_add_epi32(acc, dot32(w + k, load32(x + k)));
    sum = hsum_epi32(acc);
  }
  for (; k < gs; ++k) sum += int32_t{w[k]} * int32_t{x[k]};
  return sum;
}

// Group sizes with a folded path; kAnyGroup: one group at a time.
constexpr int kWideGroups = 32;  // any multiple of 32
constexpr int kAnyGroup = 0;

// The int32 sums of `count` (<= 8) consecutive groups of one row that start
// at w (lane g: group g; lanes from count on are zero). Groups of 4, 8 and 16
// fold whole blocks of 8; other sizes, and the last groups, go one at a time.
template <int kGs>
inline __m256i group_sums8(const int8_t* w, const int8_t* x, int32_t gs, int32_t count) {
  if constexpr (kGs == 4 || kGs == 8 || kGs == 16) {
    if (count == 8) {
      if constexpr (kGs == 4) {
        return dot32(w, load32(x));
      } else if constexpr (kGs == 8) {
        // Lanes (0 0 1 1 | 2 2 3 3) and (4 4 5 5 | 6 6 7 7), paired: (0 1 4 5 | 2 3 6 7).
        const __m256i h = _mm256_hadd_epi32(dot32(w, load32(x)), dot32(w + 32, load32(x + 32)));
        return _mm256_permute4x64_epi64(h, 0xD8);
      } else {
        // Four vectors of two groups each, folded twice: (0 2 4 6 | 1 3 5 7).
        const __m256i h01 = _mm256_hadd_epi32(dot32(w, load32(x)), dot32(w + 32, load32(x + 32)));
        const __m256i h23 =
            _mm256_hadd_epi32(dot32(w + 64, load32(x + 64)), dot32(w + 96, load32(x + 96)));
        return _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(h01, h23),
                                           _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
      }
    }
  }
  alignas(32) int32_t sums[8] = {};
  for (int32_t g = 0; g < count; ++g) {
    sums[g] = group_sum(w + static_cast<size_t>(g) * gs, x + static_cast<size_t>(g) * gs, gs);
  }
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(sums));
}

// r[i][j] <- r[j][i]
inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// Lanes [0, n) set, for masked loads of the last groups' scales.
inline __m256i first_lanes(int32_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// out[0, n) = lanes [0, n) of v.
inline void store_rows(float* out, __m256 v, int32_t n) {
  if (n == 8) {
    _mm256_storeu_ps(out, v);
    return;
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, v);
  for (int32_t i = 0; i < n; ++i) out[i] = lanes[i];
}

// The row pointers and scale pointers of rows [r, r + n) (n <= 8), the last
// repeated to fill 8.
struct Rows8 {
  const int8_t* w[8];
  const float* scales[8];
  Rows8(const int8_t* w0, const uint8_t* w_scales, int32_t cols, int32_t groups, int32_t r,
        int32_t n) {
    for (int i = 0; i < 8; ++i) {
      const auto row = static_cast<size_t>(r + (i < n ? i : n - 1));
      w[i] = w0 + row * static_cast<size_t>(cols);
      scales[i] = reinterpret_cast<const float*>(w_scales + row * static_cast<size_t>(groups) * 4);
    }
  }
};

// Rows [r, r + n) (n <= 8) of the matvec: lanes of `acc` are rows.
template <int kGs>
void rows8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq, const float* xs,
           int32_t cols, int32_t gs, int32_t r, int32_t n) {
  const int32_t groups = cols / gs;
  const Rows8 rows(w, w_scales, cols, groups, r, n);
  __m256 acc = _mm256_setzero_ps();
  int32_t g = 0;
  for (; g + 8 <= groups; g += 8) {
    const size_t j = static_cast<size_t>(g) * static_cast<size_t>(gs);
    const __m256 x_scale = _mm256_loadu_ps(xs + g);
    __m256 p[8];
    for (int i = 0; i < 8; ++i) {
      const __m256 isum = _mm256_cvtepi32_ps(group_sums8<kGs>(rows.w[i] + j, xq + j, gs, 8));
      p[i] = _mm256_mul_ps(_mm256_mul_ps(isum, _mm256_loadu_ps(rows.scales[i] + g)), x_scale);
    }
    transpose8(p);
    for (int k = 0; k < 8; ++k) acc = _mm256_add_ps(acc, p[k]);
  }
  if (g < groups && groups >= 8 && (kGs == 4 || kGs == 8 || kGs == 16)) {
    // The last 1-7 groups: the row's last 8 groups, overlapping the last block, of
    // which only the new ones are added.
    const int32_t first = groups - 8;
    const size_t j = static_cast<size_t>(first) * static_cast<size_t>(gs);
    const __m256 x_scale = _mm256_loadu_ps(xs + first);
    __m256 p[8];
    for (int i = 0; i < 8; ++i) {
      const __m256 isum = _mm256_cvtepi32_ps(group_sums8<kGs>(rows.w[i] + j, xq + j, gs, 8));
      p[i] = _mm256_mul_ps(_mm256_mul_ps(isum, _mm256_loadu_ps(rows.scales[i] + first)), x_scale);
    }
    transpose8(p);
    for (int k = 8 - (groups - g); k < 8; ++k) acc = _mm256_add_ps(acc, p[k]);
  } else if (g < groups) {
    // The last 1-7 groups; masked loads read no scale past the row's last.
    const int32_t count = groups - g;
    const __m256i mask = first_lanes(count);
    const size_t j = static_cast<size_t>(g) * static_cast<size_t>(gs);
    const __m256 x_scale = _mm256_maskload_ps(xs + g, mask);
    __m256 p[8];
    for (int i = 0; i < 8; ++i) {
      const __m256 isum = _mm256_cvtepi32_ps(group_sums8<kGs>(rows.w[i] + j, xq + j, gs, count));
      p[i] =
          _mm256_mul_ps(_mm256_mul_ps(isum, _mm256_maskload_ps(rows.scales[i] + g, mask)), x_scale);
    }
    transpose8(p);
    for (int k = 0; k < count; ++k) acc = _mm256_add_ps(acc, p[k]);
  }
  store_rows(out + r, acc, n);
}

// Lane i: the sum of the 8 lanes of v[i]. A tree of hadds: after two
// levels, lanes (0 1 2 3 | 0 1 2 3) and (4 5 6 7 | 4 5 6 7) hold the halves.
inline __m256i reduce8(const __m256i v[8]) {
  const __m256i q0 =
      _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
  const __m256i q1 =
      _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]), _mm256_hadd_epi32(v[6], v[7]));
  return _mm256_add_epi32(_mm256_permute2x128_si256(q0, q1, 0x20),
                          _mm256_permute2x128_si256(q0, q1, 0x31));
}

// The same bytes of the rows two blocks of 8 further on, asked for now (past
// the matrix's end: lines never read; a prefetch never faults).
inline void prefetch_rows_ahead(const int8_t* p, int32_t cols) {
  _mm_prefetch(reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(p) +
                                             static_cast<uintptr_t>(cols) * 16),
               _MM_HINT_T0);
}

// block[k][i] = row i's scale of group g0 + k, for k < count (<= 8): an 8 x 8
// block of scales transposed once per 8 groups, so that lanes are rows.
inline void load_block_scales(float (&block)[8][8], const Rows8& rows, int32_t g0, int32_t count) {
  const __m256i mask = first_lanes(count);
  __m256 s[8];
  for (int i = 0; i < 8; ++i) s[i] = _mm256_maskload_ps(rows.scales[i] + g0, mask);
  transpose8(s);
  for (int k = 0; k < 8; ++k) _mm256_store_ps(block[k], s[k]);
}

// acc += ((float)isum * w_scale) * x_scale for one group of the 8 rows:
// ref's float steps, one lane per row. v[i]: row i's 8 partial int32 sums.
inline __m256 add_group(__m256 acc, const __m256i (&v)[8], const float* w_scales, float x_scale) {
  const __m256 isum = _mm256_cvtepi32_ps(reduce8(v));
  return _mm256_add_ps(
      acc, _mm256_mul_ps(_mm256_mul_ps(isum, _mm256_load_ps(w_scales)), _mm256_set1_ps(x_scale)));
}

// As rows8 for group sizes that are multiples of 32, with lanes that are
// rows throughout: per group, the 8 rows' partial sums (each 32-value block
// of the input loaded once for the 8 rows) reduce to one vector of 8 group
// sums; the rows' scales come from an 8 x 8 block transposed once per 8 groups.
void wide_rows8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
                const float* xs, int32_t cols, int32_t gs, int32_t r, int32_t n) {
  const int32_t groups = cols / gs;
  const Rows8 rows(w, w_scales, cols, groups, r, n);
  __m256 acc = _mm256_setzero_ps();
  alignas(32) float block_scales[8][8];  // (group in the block, row)
  for (int32_t g0 = 0; g0 < groups; g0 += 8) {
    const int32_t count = groups - g0 < 8 ? groups - g0 : 8;
    load_block_scales(block_scales, rows, g0, count);
    for (int32_t k = 0; k < count; ++k) {
      const size_t j = static_cast<size_t>(g0 + k) * static_cast<size_t>(gs);
      __m256i v[8];
      const __m256i x0 = load32(xq + j);
      for (int32_t c = 0; c < gs; c += 64) {
        for (int i = 0; i < 8; ++i) prefetch_rows_ahead(rows.w[i] + j + c, cols);
      }
      for (int i = 0; i < 8; ++i) v[i] = dot32(rows.w[i] + j, x0);
      for (int32_t c = 32; c < gs; c += 32) {
        const __m256i x = load32(xq + j + c);
        for (int i = 0; i < 8; ++i) v[i] = _mm256_add_epi32(v[i], dot32(rows.w[i] + j + c, x));
      }
      acc = add_group(acc, v, block_scales[k], xs[g0 + k]);
    }
  }
  store_rows(out + r, acc, n);
}

// wide_rows8's sums, with each row's bytes read front to back: all the
// groups of row 0 (up to kStreamGroups of them), then of row 1, and so on,
// their partial sums parked in `parts`; then the float steps group by group
// as wide_rows8 takes them. The integer sums are the same integers, so the
// bits are wide_rows8's.
//
// Why: from DRAM, one sequential stream at a time is what the prefetchers
// follow best. wide_rows8 reads the 8 rows side by side, 64 bytes of each in
// turn; from memory that ran at 11.4-11.9 GB/s on one Zen 3 thread
// (BM_matvec_q8_110m_token), this order at 14.5-15.3 GB/s, and 110M int8
// decode went from 103-112 to 141-153 tok/s on one thread. From cache it
// costs 1-5% on 110M's shapes, more on short rows (a load of x per row and
// group, and the parked sums), so matvec_rows takes it only for calls too
// large to be in L2.
constexpr int32_t kStreamGroups = 32;

void streamed_rows8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
                    const float* xs, int32_t cols, int32_t gs, int32_t r, int32_t n) {
  const int32_t groups = cols / gs;
  const Rows8 rows(w, w_scales, cols, groups, r, n);
  __m256i parts[kStreamGroups][8];  // (group in the piece, row): 8 partial int32 sums
  __m256 acc = _mm256_setzero_ps();
  alignas(32) float block_scales[8][8];  // (group in the block, row)
  for (int32_t p0 = 0; p0 < groups; p0 += kStreamGroups) {
    const int32_t count = groups - p0 < kStreamGroups ? groups - p0 : kStreamGroups;
    for (int i = 0; i < 8; ++i) {
      for (int32_t k = 0; k < count; ++k) {
        const size_t j = static_cast<size_t>(p0 + k) * static_cast<size_t>(gs);
        for (int32_t c = 0; c < gs; c += 64) prefetch_rows_ahead(rows.w[i] + j + c, cols);
        __m256i v = dot32(rows.w[i] + j, load32(xq + j));
        for (int32_t c = 32; c < gs; c += 32) {
          v = _mm256_add_epi32(v, dot32(rows.w[i] + j + c, load32(xq + j + c)));
        }
        parts[k][i] = v;
      }
    }
    for (int32_t g0 = p0; g0 < p0 + count; g0 += 8) {
      const int32_t block = p0 + count - g0 < 8 ? p0 + count - g0 : 8;
      load_block_scales(block_scales, rows, g0, block);
      for (int32_t k = 0; k < block; ++k) {
        acc = add_group(acc, parts[g0 - p0 + k], block_scales[k], xs[g0 + k]);
      }
    }
  }
  store_rows(out + r, acc, n);
}

// Which calls streamed_rows8 takes: rows of at least kStreamCols bytes, and
// at least kStreamBytes in all. A call that large is not in a core's L2 (512
// KiB on Zen 3, shared with the step's other data), so its weights come from
// L3 or DRAM. Shorter rows lose more to the extra loads than the order gains
// (15M's classifier, 32000 x 288 from L3: 15.5 GB/s in wide_rows8, 13.3 in
// streamed_rows8), and smaller calls (every other matrix of 15M) are served
// from cache, where wide_rows8 is the faster.
constexpr int32_t kStreamCols = 512;
constexpr int64_t kStreamBytes = 256 * 1024;

template <int kGs>
void matvec_rows(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
                 const float* xs, int32_t cols, int32_t gs, int32_t row_begin, int32_t row_end) {
  const bool streamed = cols >= kStreamCols && int64_t{row_end - row_begin} * cols >= kStreamBytes;
  for (int32_t r = row_begin; r < row_end; r += 8) {
    const int32_t n = row_end - r < 8 ? row_end - r : 8;
    if constexpr (kGs == kWideGroups) {
      if (streamed) {
        streamed_rows8(out, w, w_scales, xq, xs, cols, gs, r, n);
      } else {
        wide_rows8(out, w, w_scales, xq, xs, cols, gs, r, n);
      }
    } else {
      rows8<kGs>(out, w, w_scales, xq, xs, cols, gs, r, n);
    }
  }
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

// ---- The matmul of a batch ----
// A batch reads each block of 8 rows once per token, so the block is worth
// laying out for lanes = rows: lane i of packed[d] holds the 4 bytes at
// column 4d of row i (an 8 x 8 transpose of dwords per 32 columns), kept as
// w and as |w|. A token's 4 bytes broadcast against it (dot_quads) add 4
// products to each of the 8 rows in the row's own lane, so a group's sums
// need no reduction, where the matvec's take a hadd tree per group. Four
// tokens at a time share each load of packed weights. The float part is
// the matvec's: per row, groups in order, sum += ((float)isum * w_scale) *
// x_scale. Columns go in passes of kPassCols; the sums of a row carry over
// from one pass to the next through out (a float stored and loaded back is
// the same float).
constexpr int32_t kPassCols = 512;
constexpr int32_t kPassGroupsMax = kPassCols / 4;
constexpr int kTileTokens = 4;

bool packed_group(int32_t gs) {
  return gs % 4 == 0 && gs <= kPassCols;
}

// Rows [r, r + n) (n <= 8) of every token; rows past n repeat row n - 1 and
// are not stored.
void matmul_rows8(float* out, size_t out_stride, const int8_t* w, const uint8_t* w_scales,
                  const int8_t* xq, size_t xq_stride, const float* xs, size_t xs_stride,
                  int32_t tokens, int32_t cols, int32_t gs, int32_t r, int32_t n) {
  const int32_t groups = cols / gs;
  const int32_t pass_groups = kPassCols / gs;
  const int32_t group_quads = gs / 4;
  const int8_t* row[8];
  const uint8_t* row_scales[8];
  for (int i = 0; i < 8; ++i) {
    const auto at = static_cast<size_t>(r + (i < n ? i : n - 1));
    row[i] = w + at * static_cast<size_t>(cols);
    row_scales[i] = w_scales + at * static_cast<size_t>(groups) * sizeof(float);
  }
  const __m256i rows_mask = first_lanes(n);

  __m256i packed[kPassCols / 4];                // (column / 4): lane i, row i's 4 bytes
  __m256i magnitudes[kPassCols / 4];            // |packed|
  alignas(32) float scales[kPassGroupsMax][8];  // (group, row)
  for (int32_t g0 = 0; g0 < groups; g0 += pass_groups) {
    const int32_t pg = groups - g0 < pass_groups ? groups - g0 : pass_groups;
    const int32_t pass_cols = pg * gs;
    const size_t c0 = static_cast<size_t>(g0) * static_cast<size_t>(gs);
    for (int32_t c = 0; c < pass_cols; c += 32) {
      const int32_t bytes = pass_cols - c < 32 ? pass_cols - c : 32;
      __m256i v[8];
      for (int i = 0; i < 8; ++i) {
        if (bytes == 32) {
          v[i] = load32(row[i] + c0 + c);
        } else {
          alignas(32) int8_t part[32] = {};  // no load past the row's end
          memcpy(part, row[i] + c0 + c, static_cast<size_t>(bytes));
          v[i] = _mm256_load_si256(reinterpret_cast<const __m256i*>(part));
        }
      }
      transpose_dwords(v);
      for (int k = 0; k < 8; ++k) {
        packed[c / 4 + k] = v[k];
        magnitudes[c / 4 + k] = _mm256_abs_epi8(v[k]);
      }
    }
    for (int i = 0; i < 8; ++i) {
      for (int32_t g = 0; g < pg; ++g) {
        memcpy(&scales[g][i], row_scales[i] + static_cast<size_t>(g0 + g) * sizeof(float),
               sizeof(float));
      }
    }

    for (int32_t t0 = 0; t0 < tokens; t0 += kTileTokens) {
      // A token past the end repeats the last one and is not stored.
      size_t tok[kTileTokens];
      for (int k = 0; k < kTileTokens; ++k) {
        tok[k] = static_cast<size_t>(t0 + k < tokens ? t0 + k : tokens - 1);
      }
      __m256 acc[kTileTokens];
      for (int k = 0; k < kTileTokens; ++k) {
        acc[k] = g0 == 0 ? _mm256_setzero_ps()
                         : _mm256_maskload_ps(out + tok[k] * out_stride + r, rows_mask);
      }
      for (int32_t g = 0; g < pg; ++g) {
        __m256i isum[kTileTokens];
        for (int k = 0; k < kTileTokens; ++k) isum[k] = _mm256_setzero_si256();
        for (int32_t d = g * group_quads; d < (g + 1) * group_quads; ++d) {
          const __m256i mag = magnitudes[d], signs = packed[d];
          for (int k = 0; k < kTileTokens; ++k) {
            const __m256i x =
                broadcast_quad(xq + tok[k] * xq_stride + c0 + 4 * static_cast<size_t>(d));
            isum[k] = _mm256_add_epi32(isum[k], dot_quads(mag, signs, x));
          }
        }
        const __m256 ws = _mm256_load_ps(scales[g]);
        for (int k = 0; k < kTileTokens; ++k) {
          const float x_scale = xs[tok[k] * xs_stride + static_cast<size_t>(g0 + g)];
          // ref's order: ((float)isum * w_scale) * x_scale, added to the row's sum.
          const __m256 p = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(isum[k]), ws),
                                         _mm256_set1_ps(x_scale));
          acc[k] = _mm256_add_ps(acc[k], p);
        }
      }
      for (int k = 0; k < kTileTokens && t0 + k < tokens; ++k) {
        _mm256_maskstore_ps(out + tok[k] * out_stride + r, rows_mask, acc[k]);
      }
    }
  }
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
  const auto run = [&](auto rows) {
    rows(out, w, w_scales, xq, x_scales, cols, group_size, row_begin, row_end);
  };
  switch (group_size) {
    case 4: return run(matvec_rows<4>);
    case 8: return run(matvec_rows<8>);
    case 16: return run(matvec_rows<16>);
    default: break;
  }
  if (group_size % 32 == 0) return run(matvec_rows<kWideGroups>);
  run(matvec_rows<kAnyGroup>);
}

void matmul_q8(float* out, size_t out_stride, const int8_t* w, const uint8_t* w_scales,
               const int8_t* xq, size_t xq_stride, const float* x_scales, size_t x_scales_stride,
               int32_t n, int32_t cols, int32_t group_size, int32_t row_begin, int32_t row_end) {
  if (!packed_group(group_size)) {  // the matvec per token
    ReferenceKernels<Avx2>::matmul_q8(out, out_stride, w, w_scales, xq, xq_stride, x_scales,
                                      x_scales_stride, n, cols, group_size, row_begin, row_end);
    return;
  }
  for (int32_t r = row_begin; r < row_end; r += 8) {
    const int32_t rows = row_end - r < 8 ? row_end - r : 8;
    matmul_rows8(out, out_stride, w, w_scales, xq, xq_stride, x_scales, x_scales_stride, n, cols,
                 group_size, r, rows);
  }
}

}  // namespace llmcu::kernels::x86
