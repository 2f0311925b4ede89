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
//     rows side by side, 64 bytes of each in turn, ran at half the speed
//     from memory). Each 64 bytes of a group is one vpdpbusd; 16 groups of a
//     row reduce together (shuffles and 15 adds) into one vector of 16 sums.
//     Groups of 32 go two to a vector: 16 vectors reduce to 32 group sums.
//   - Then the float part: a tile of 16 rows x 16 groups of sums, and of
//     weight scales, transposed so that lanes are rows; per group one
//     convert, two multiplies and one add for the 16 rows, in ref's order.
//   - Passes of at most 64 groups keep the sums in a 4 KB stack array.
//   - Software prefetch 8 KB ahead of the stream.
// Rows past the end of a block repeat its last row and are not stored; every
// lane is computed alone, so a row's bits do not depend on the row split.
// Other group sizes go to the AVX2 kernel (also exact for activations in
// [-127, 127], which quantize_q8 makes).
// The matmul of a batch runs each block of 16 rows for every token while the
// rows are in cache; each token's rows are the matvec's, bit for bit.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 takes the undefined pass-through operand of the unmasked AVX-512
// intrinsics (_mm512_undefined_*, `__Y = __Y`) for an uninitialised read.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/x86/family.h"

namespace llmcu::kernels::x86 {
namespace {

constexpr int kRows = 16;

inline __m512i load64(const int8_t* p) {
  return _mm512_loadu_si512(p);
}

// The sums of the 256-bit halves of v[0..15]: c[0] lane 8k + 4h + m is half
// h of vector 4k + m, for k < 2 (vectors 0-7); c[1] the same for vectors 8-15.
inline void half_sums(const __m512i v[kRows], __m512i c[2]) {
  // Pairs of vectors: per 128-bit chunk (a0+a2, b0+b2, a1+a3, b1+b3).
  __m512i a[8];
#pragma GCC unroll 8
  for (int k = 0; k < 8; ++k) {
    a[k] = _mm512_add_epi32(_mm512_unpacklo_epi32(v[2 * k], v[2 * k + 1]),
                            _mm512_unpackhi_epi32(v[2 * k], v[2 * k + 1]));
  }
  // b[k] lane 4q + m: the sum of 128-bit chunk q of vector 4k + m.
  __m512i b[4];
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    b[k] = _mm512_add_epi32(_mm512_unpacklo_epi64(a[2 * k], a[2 * k + 1]),
                            _mm512_unpackhi_epi64(a[2 * k], a[2 * k + 1]));
  }
  // Chunks 0+1 and 2+3 of vectors 0-3, then of 4-7 (and of 8-11, 12-15).
#pragma GCC unroll 2
  for (int k = 0; k < 2; ++k) {
    c[k] = _mm512_add_epi32(_mm512_shuffle_i32x4(b[2 * k], b[2 * k + 1], 0x88),
                            _mm512_shuffle_i32x4(b[2 * k], b[2 * k + 1], 0xDD));
  }
}

// Lane i: the sum of the 16 lanes of v[i].
inline __m512i reduce16(const __m512i v[kRows]) {
  __m512i c[2];
  half_sums(v, c);
  return _mm512_add_epi32(_mm512_shuffle_i32x4(c[0], c[1], 0x88),
                          _mm512_shuffle_i32x4(c[0], c[1], 0xDD));
}

// Groups of 32 (two to a vector: lanes 0-7 the first, 8-15 the second):
// lo lane k, hi lane k = the sums of groups k and 16 + k of the 32 that
// v[0..15] hold, which are half_sums's lanes put in group order.
inline void reduce16_pairs(const __m512i v[kRows], __m512i& lo, __m512i& hi) {
  __m512i c[2];
  half_sums(v, c);
  const __m512i order = _mm512_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
  lo = _mm512_permutexvar_epi32(order, c[0]);
  hi = _mm512_permutexvar_epi32(order, c[1]);
}

// r[i] lane j <- r[j] lane i, for 16 vectors of 16 32-bit lanes.
inline void transpose16(__m512i r[kRows]) {
  __m512i t[kRows];
#pragma GCC unroll 8
  for (int k = 0; k < 8; ++k) {
    t[2 * k] = _mm512_unpacklo_epi32(r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm512_unpackhi_epi32(r[2 * k], r[2 * k + 1]);
  }
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      r[4 * k + 2 * h] = _mm512_unpacklo_epi64(t[4 * k + h], t[4 * k + 2 + h]);
      r[4 * k + 2 * h + 1] = _mm512_unpackhi_epi64(t[4 * k + h], t[4 * k + 2 + h]);
    }
  }
  // Now r[4k + m], 128-bit chunk c, holds rows 4k..4k+3 of column 4c + m.
#pragma GCC unroll 2
  for (int k = 0; k < 2; ++k) {
#pragma GCC unroll 4
    for (int m = 0; m < 4; ++m) {
      t[8 * k + m] = _mm512_shuffle_i32x4(r[8 * k + m], r[8 * k + 4 + m], 0x88);
      t[8 * k + 4 + m] = _mm512_shuffle_i32x4(r[8 * k + m], r[8 * k + 4 + m], 0xDD);
    }
  }
  // t[8k + m]: chunks (rows 8k..8k+3 | 8k+4..8k+7) of columns m and 8 + m
  // (chunk pairs 0 2 | 1 3); t[8k + 4 + m] the same for columns 4 + m, 12 + m.
#pragma GCC unroll 8
  for (int m = 0; m < 8; ++m) {
    r[m] = _mm512_shuffle_i32x4(t[m], t[8 + m], 0x88);
    r[8 + m] = _mm512_shuffle_i32x4(t[m], t[8 + m], 0xDD);
  }
}

// Groups per pass: the integer sums of a pass (16 rows x this many groups)
// wait in a 4 KB stack array.
constexpr int32_t kPassGroups = 64;
constexpr int32_t kPassTiles = kPassGroups / kRows;

// The weights kPrefetchBytes ahead of p, asked for now: the rows are one
// stream, and the hardware prefetchers alone keep too few of its lines in
// flight. On a 110M decode step's weights, one thread, it doubles the speed
// (BM_matvec_q8_110m_token in bench/kernels_q8_bench.cpp: 20.4 GB/s against
// 10.5 without, a plain read 24.5). Past the matrix's end it asks for lines
// that are never read; a prefetch never faults.
constexpr uintptr_t kPrefetchBytes = 8192;
inline void prefetch_ahead(const int8_t* p) {
  _mm_prefetch(reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(p) + kPrefetchBytes),
               _MM_HINT_T0);
}

// How a row's groups lie in 64-byte vectors: kVectors whole vectors per
// group (0: gs / 64, given at run time), or kPairs, two groups of 32 per
// vector. Streaming (the matvec) prefetches ahead; a batch's matmul reads
// rows that are already in cache and does not.
constexpr int kPairs = -1;

// One group's 64-byte vectors of a row and of x, four products a lane:
// (w ^ 0x80) . x, or for kOnes 1 . x (the activations' own sums). kVectors
// is the count (gs / 64) when known, else 0 and `vectors` gives it.
template <int kVectors, bool kOnes, bool kPrefetch>
inline __m512i group_lanes(const int8_t* w, const int8_t* x, int32_t vectors, __m512i flip) {
  const int32_t count = kVectors > 0 ? kVectors : vectors;
  __m512i v = _mm512_setzero_si512();
  for (int32_t c = 0; c < count; ++c) {
    const __m512i u = kOnes ? _mm512_set1_epi8(1) : _mm512_xor_si512(load64(w + 64 * c), flip);
    if constexpr (!kOnes && kPrefetch) prefetch_ahead(w + 64 * c);
    v = _mm512_dpbusd_epi32(v, u, load64(x + 64 * c));
  }
  return v;
}

// dst[s] = the sum of group s of the row at w (s < count; 0 past it).
template <int kVectors, bool kOnes, bool kPrefetch>
inline void tile_sums(int32_t* dst, const int8_t* w, const int8_t* x, int32_t count,
                      size_t group_bytes, int32_t vectors, __m512i flip) {
  __m512i v[kRows];
#pragma GCC unroll 16
  for (int s = 0; s < kRows; ++s) {
    const size_t off = static_cast<size_t>(s) * group_bytes;
    v[s] = s < count ? group_lanes<kVectors, kOnes, kPrefetch>(w + off, x + off, vectors, flip)
                     : _mm512_setzero_si512();
  }
  _mm512_store_si512(dst, reduce16(v));
}

// Groups of 32: lo[k], hi[k] = the sums of groups k and 16 + k of the row at
// w (k + 16 * half < count <= 32; 0 past it). An odd count's last vector is
// half a vector: the loads stop at the row's end, and the missing group's
// activations read as zero.
template <bool kOnes, bool kPrefetch>
inline void tile_pair_sums(int32_t* lo, int32_t* hi, const int8_t* w, const int8_t* x,
                           int32_t count, __m512i flip) {
  const int32_t vectors = (count + 1) / 2;
  const bool half = (count & 1) != 0;
  __m512i v[kRows];
#pragma GCC unroll 16
  for (int s = 0; s < kRows; ++s) {
    if (s >= vectors) {
      v[s] = _mm512_setzero_si512();
      continue;
    }
    const __mmask64 mask = half && s == vectors - 1 ? 0xFFFFFFFFull : ~0ull;
    const __m512i xs = _mm512_maskz_loadu_epi8(mask, x + 64 * s);
    __m512i u = _mm512_set1_epi8(1);
    if constexpr (!kOnes) {
      u = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, w + 64 * s), flip);
      if constexpr (kPrefetch) prefetch_ahead(w + 64 * s);
    }
    v[s] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, xs);
  }
  __m512i l, h;
  reduce16_pairs(v, l, h);
  _mm512_store_si512(lo, l);
  _mm512_store_si512(hi, h);
}

// The integer sums of groups [g0, g0 + pass) of the row at w (kOnes: of the
// activations) into dst[t * tile_stride + k] for group g0 + 16 t + k.
template <int kVectors, bool kOnes, bool kPrefetch>
inline void pass_sums(int32_t* dst, size_t tile_stride, const int8_t* w, const int8_t* x,
                      int32_t pass, size_t group_bytes, int32_t vectors, __m512i flip) {
  if constexpr (kVectors == kPairs) {
    for (int32_t t = 0; 16 * t < pass; t += 2) {
      const size_t first = static_cast<size_t>(t) * kRows * 32;
      tile_pair_sums<kOnes, kPrefetch>(dst + t * tile_stride, dst + (t + 1) * tile_stride,
                                       w + first, x + first, pass - t * kRows, flip);
    }
  } else {
    for (int32_t t = 0; 16 * t < pass; ++t) {
      const size_t first = static_cast<size_t>(t) * kRows * group_bytes;
      tile_sums<kVectors, kOnes, kPrefetch>(dst + t * tile_stride, w + first, x + first,
                                            pass - t * kRows, group_bytes, vectors, flip);
    }
  }
}

// Rows [r, r + n) (n <= 16), groups of gs = 64k values or of 32 (kPairs).
// A pass covers up to kPassGroups groups of the 16 rows: first the integer
// phase, reading the rows one after the other, front to back, each row's
// groups 16 (or 32) at a time reduced to vectors of 16 group sums; then the
// float phase, tile by tile of 16 groups transposed so that lanes are rows,
// group by group in order.
template <int kVectors, bool kPrefetch>
void rows16(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq, const float* xs,
            int32_t cols, int32_t gs, int32_t r, int32_t n) {
  const int32_t groups = cols / gs;
  const int32_t vectors = kVectors > 0 ? kVectors : gs / 64;
  const auto stride = static_cast<size_t>(cols);
  const auto group_bytes = static_cast<size_t>(gs);
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const uint8_t* ws0 = w_scales + static_cast<size_t>(r) * static_cast<size_t>(groups) * 4;
  const auto row_of = [&](int i) { return i < n ? i : n - 1; };  // rows past n repeat n - 1

  alignas(64) int32_t sums[kPassTiles][kRows][kRows];  // (tile, row, group in tile)
  alignas(64) int32_t corrections[kPassTiles][kRows];  // the groups' activation sums
  __m512 acc = _mm512_setzero_ps();
  for (int32_t g0 = 0; g0 < groups; g0 += kPassGroups) {
    const int32_t pass = groups - g0 < kPassGroups ? groups - g0 : kPassGroups;
    const int32_t tiles = (pass + kRows - 1) / kRows;
    // Integer phase: the activations' group sums, then row after row. (w is
    // not read for the activations' own sums; x stands in for it.)
    const int8_t* xp = xq + static_cast<size_t>(g0) * group_bytes;
    pass_sums<kVectors, true, false>(corrections[0], kRows, xp, xp, pass, group_bytes, vectors,
                                     flip);
    for (int i = 0; i < kRows; ++i) {
      const int8_t* wr = w + static_cast<size_t>(r + row_of(i)) * stride + g0 * group_bytes;
      pass_sums<kVectors, false, kPrefetch>(sums[0][i], kRows * kRows, wr, xp, pass, group_bytes,
                                            vectors, flip);
    }
    // Float phase.
    for (int32_t t = 0; t < tiles; ++t) {
      const int32_t count = pass - t * kRows < kRows ? pass - t * kRows : kRows;
      const int32_t g1 = g0 + t * kRows;  // the tile's first group
      __m512i isum[kRows], scale[kRows];
      const auto mask = static_cast<__mmask16>((1u << count) - 1u);
      for (int i = 0; i < kRows; ++i) {
        isum[i] = _mm512_load_si512(sums[t][i]);
        scale[i] = _mm512_maskz_loadu_epi32(
            mask, ws0 + (static_cast<size_t>(row_of(i)) * static_cast<size_t>(groups) + g1) * 4);
      }
      transpose16(isum);
      transpose16(scale);
      for (int32_t k = 0; k < count; ++k) {
        const __m512i exact = _mm512_sub_epi32(isum[k], _mm512_set1_epi32(corrections[t][k] * 128));
        // ref's order: ((float)isum * w_scale) * x_scale, added to the row's sum.
        const __m512 p =
            _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(exact), _mm512_castsi512_ps(scale[k])),
                          _mm512_set1_ps(xs[g1 + k]));
        acc = _mm512_add_ps(acc, p);
      }
    }
  }
  _mm512_mask_storeu_ps(out + r, static_cast<__mmask16>((1u << n) - 1u), acc);
}

// Rows [r, r + n) by the layout of gs: 64, a multiple of 64, or 32.
template <bool kPrefetch>
void rows16_of(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* xs, int32_t cols, int32_t gs, int32_t r, int32_t n) {
  if (gs == 64) {
    rows16<1, kPrefetch>(out, w, w_scales, xq, xs, cols, gs, r, n);
  } else if (gs == 32) {
    rows16<kPairs, kPrefetch>(out, w, w_scales, xq, xs, cols, gs, r, n);
  } else {
    rows16<0, kPrefetch>(out, w, w_scales, xq, xs, cols, gs, r, n);
  }
}

bool vnni_group(int32_t gs) {
  return gs == 32 || gs % 64 == 0;
}

// ---- The matmul of a batch ----
// A batch reads each block of 16 rows once per token, so the block is worth
// laying out for lanes = rows: packed[d] lane i = the 4 bytes at column 4d of
// row i (a 16 x 16 transpose per 64 columns). One vpdpbusd of packed[d] with
// a token's 4 bytes broadcast then adds 4 products to each of the 16 rows,
// and a group's sums need no reduction and no transpose. Here the weights
// are the signed operand and the activations go in with their sign bit
// flipped (x + 128): the excess, 128 * (the row's sum of the group's
// weights), is the same for every token and is taken once per block. Eight
// tokens at a time share each load of packed weights (eight independent
// chains of vpdpbusd cover its latency). The float part is the
// matvec's: per row, groups in order, sum += ((float)isum * w_scale) *
// x_scale. Columns go in passes of kPassCols; the sums of a row carry over
// from one pass to the next through out (a float stored and loaded back is
// the same float).
constexpr int32_t kPassCols = 1024;
constexpr int32_t kMinGroup = 16;  // so a pass holds at most 64 groups
constexpr int32_t kPassGroupsMax = kPassCols / kMinGroup;
constexpr int kTileTokens = 8;

bool packed_group(int32_t gs) {
  return gs % 4 == 0 && gs >= kMinGroup && gs <= kPassCols;
}

inline __m512i broadcast4(const uint8_t* p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return _mm512_set1_epi32(v);
}

// Rows [r, r + n) (n <= 16) of every token.
void matmul_rows16(float* out, size_t out_stride, const int8_t* w, const uint8_t* w_scales,
                   const int8_t* xq, size_t xq_stride, const float* xs, size_t xs_stride,
                   int32_t tokens, int32_t cols, int32_t gs, int32_t r, int32_t n) {
  const int32_t groups = cols / gs;
  const int32_t pass_groups = kPassCols / gs;
  const int32_t group_dwords = gs / 4;
  const auto row_of = [&](int i) { return i < n ? i : n - 1; };  // rows past n repeat n - 1
  const auto store_mask = static_cast<__mmask16>((1u << n) - 1u);
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));

  alignas(64) int32_t packed[kPassCols / 4][kRows];     // (column / 4, row)
  alignas(64) int32_t excess[kPassGroupsMax][kRows];    // (group, row)
  alignas(64) float scales[kPassGroupsMax][kRows];      // (group, row)
  alignas(64) uint8_t flipped[kTileTokens][kPassCols];  // (token, column)
  for (int32_t g0 = 0; g0 < groups; g0 += pass_groups) {
    const int32_t pg = groups - g0 < pass_groups ? groups - g0 : pass_groups;
    const int32_t pass_cols = pg * gs;
    const size_t c0 = static_cast<size_t>(g0) * static_cast<size_t>(gs);
    for (int32_t c = 0; c < pass_cols; c += 64) {
      const int32_t bytes = pass_cols - c < 64 ? pass_cols - c : 64;
      const __mmask64 mask = bytes == 64 ? ~0ull : (1ull << bytes) - 1u;
      __m512i v[kRows];
      for (int i = 0; i < kRows; ++i) {
        const int8_t* row = w + static_cast<size_t>(r + row_of(i)) * static_cast<size_t>(cols);
        v[i] = _mm512_maskz_loadu_epi8(mask, row + c0 + c);
      }
      transpose16(v);
      for (int k = 0; k < kRows; ++k) _mm512_store_si512(packed[c / 4 + k], v[k]);
    }
    const __m512i ones = _mm512_set1_epi8(1);
    for (int32_t g = 0; g < pg; ++g) {
      __m512i sum = _mm512_setzero_si512();
      for (int32_t d = 0; d < group_dwords; ++d) {
        sum = _mm512_dpbusd_epi32(sum, ones, _mm512_load_si512(packed[g * group_dwords + d]));
      }
      _mm512_store_si512(excess[g], _mm512_slli_epi32(sum, 7));
    }
    for (int i = 0; i < kRows; ++i) {
      const uint8_t* ws = w_scales + (static_cast<size_t>(r + row_of(i)) * groups + g0) * 4;
      for (int32_t g = 0; g < pg; ++g) memcpy(&scales[g][i], ws + g * 4, sizeof(float));
    }

    for (int32_t t0 = 0; t0 < tokens; t0 += kTileTokens) {
      // Tokens past the end repeat the last one and are not stored.
      int32_t tok[kTileTokens];
      for (int k = 0; k < kTileTokens; ++k) tok[k] = t0 + k < tokens ? t0 + k : tokens - 1;
      __m512 acc[kTileTokens];
      for (int k = 0; k < kTileTokens; ++k) {
        const auto t = static_cast<size_t>(tok[k]);
        const int8_t* x = xq + t * xq_stride + c0;
        for (int32_t c = 0; c < pass_cols; c += 64) {
          const int32_t bytes = pass_cols - c < 64 ? pass_cols - c : 64;
          const __mmask64 mask = bytes == 64 ? ~0ull : (1ull << bytes) - 1u;
          // Whole vectors stored: masked stores are slow on some cores.
          _mm512_store_si512(flipped[k] + c,
                             _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, x + c), flip));
        }
        acc[k] = g0 == 0 ? _mm512_setzero_ps()
                         : _mm512_maskz_loadu_ps(store_mask, out + t * out_stride + r);
      }
      for (int32_t g = 0; g < pg; ++g) {
        __m512i isum[kTileTokens];
        for (int k = 0; k < kTileTokens; ++k) isum[k] = _mm512_setzero_si512();
        for (int32_t d = g * group_dwords; d < (g + 1) * group_dwords; ++d) {
          const __m512i wv = _mm512_load_si512(packed[d]);
#pragma GCC unroll 8
          for (int k = 0; k < kTileTokens; ++k) {
            isum[k] = _mm512_dpbusd_epi32(isum[k], broadcast4(flipped[k] + 4 * d), wv);
          }
        }
        const __m512i ex = _mm512_load_si512(excess[g]);
        const __m512 ws = _mm512_load_ps(scales[g]);
#pragma GCC unroll 8
        for (int k = 0; k < kTileTokens; ++k) {
          const __m512i exact = _mm512_sub_epi32(isum[k], ex);
          const float x_scale = xs[static_cast<size_t>(tok[k]) * xs_stride + g0 + g];
          // ref's order: ((float)isum * w_scale) * x_scale, added to the row's sum.
          const __m512 p =
              _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(exact), ws), _mm512_set1_ps(x_scale));
          acc[k] = _mm512_add_ps(acc[k], p);
        }
      }
      for (int k = 0; k < kTileTokens && t0 + k < tokens; ++k) {
        _mm512_mask_storeu_ps(out + static_cast<size_t>(t0 + k) * out_stride + r, store_mask,
                              acc[k]);
      }
    }
  }
}

}  // namespace

void matvec_q8_vnni(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
                    const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
                    int32_t row_end) {
  if (!vnni_group(group_size)) {
    matvec_q8(out, w, w_scales, xq, x_scales, cols, group_size, row_begin, row_end);
    return;
  }
  for (int32_t r = row_begin; r < row_end; r += kRows) {
    const int32_t n = row_end - r < kRows ? row_end - r : kRows;
    rows16_of<true>(out, w, w_scales, xq, x_scales, cols, group_size, r, n);
  }
}

void matmul_q8_vnni(float* out, size_t out_stride, const int8_t* w, const uint8_t* w_scales,
                    const int8_t* xq, size_t xq_stride, const float* x_scales,
                    size_t x_scales_stride, int32_t n, int32_t cols, int32_t group_size,
                    int32_t row_begin, int32_t row_end) {
  if (!packed_group(group_size)) {  // the matvec per token
    ReferenceKernels<Avx512VnniQ8>::matmul_q8(out, out_stride, w, w_scales, xq, xq_stride, x_scales,
                                              x_scales_stride, n, cols, group_size, row_begin,
                                              row_end);
    return;
  }
  for (int32_t r = row_begin; r < row_end; r += kRows) {
    const int32_t rows = row_end - r < kRows ? row_end - r : kRows;
    matmul_rows16(out, out_stride, w, w_scales, xq, xq_stride, x_scales, x_scales_stride, n, cols,
                  group_size, r, rows);
  }
}

}  // namespace llmcu::kernels::x86
