// AVX-512 VNNI kernels for ggml's Q8_0 and Q4_0 rows (ref/ggml_blocks.h):
// the matvec and the matmul of n tokens (batched prefill). Compiled with
// -mavx512f -mavx512bw -mavx512vnni besides the AVX2 flags
// (cmake/llmcu_kernels.cmake).
//
// They give ref's bits. A block's integer dot product is exact in any order,
// so only its float part has to be ref's: per row, blocks added in block
// order, sum += (float)dot * (w.d * x.d) for Q8_0 and
// sum += (float)dot * w.d * x.d for Q4_0, separate multiplies and adds (the
// build has no FMA contraction). Sixteen rows go side by side, one row per
// 32-bit lane, and every lane does the same arithmetic alone, so neither
// the split into row ranges nor the number of tokens computed together can
// change a row's bits: matmul gives each token the matvec's bits.
//
// Integer dots of several tokens (matmul), with no horizontal sums:
//   - A block of 16 rows is transposed in registers into a tile of 8
//     vectors, vector c holding bytes 4c..4c+3 of each row's block (Q8_0:
//     16 loads of 32 bytes, 24 shuffles; Q4_0: 16 loads of 16 bytes, 8
//     shuffles, then the nibbles split into bytes 0..15 (values 0..15) and
//     16..31 (values 16..31), less 8: signed values in [-8, 7]).
//   - vpdpbusd multiplies unsigned by signed bytes: the weights go in as
//     they are (signed; -128 too) and the activations with their sign bit
//     flipped (x ^ 0x80 = x + 128, in [0, 255]). A lane then gathers the
//     row's dot plus 128 * (the sum of the row block's values), which is
//     computed once per tile (vpdpbusd of 0x80 bytes and the weights) and
//     starts each token's sum negated. Per token and block: 8 vpdpbusd with
//     4 bytes of x broadcast to every lane, exact for every byte.
//   - Up to 8 tokens share a tile decoded as they go; more keep the tiles of
//     16 blocks on the stack and run passes of 8 tokens over them.
// One token (matvec): a tile would cost more than its 8 vpdpbusd, so each
// vector holds two Q8_0 rows (sign-flipped weights against x, lanes started
// at -128 * the sum of their activations) or four Q4_0 rows (nibbles
// against x, lanes started at -8 * the sum of their activations), and the
// 16 rows' partial dots are summed across lanes (12 or 6 shuffles per
// block).
// The float part: per block one convert, two multiplies and one add for the
// 16 rows; the rows' scales are gathered (4 bytes at each block's start,
// never past it).
//
// Reading 16 rows side by side is 16 streams a row apart, which the
// hardware prefetcher follows slowly from DRAM; rows of a group are
// contiguous, so the next group is fetched in order meanwhile (one block's
// worth of it per block, as the AVX2 kernels do). Rows past the end of a
// range repeat its first row and are not stored (masked stores). Rows and
// blocks may sit at any address: every load is unaligned.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 takes the undefined pass-through operand of the unmasked AVX-512
// intrinsics (_mm512_undefined_*, `__Y = __Y`) for an uninitialised read.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/x86/family.h"

namespace llmcu::kernels::x86 {
namespace {

using ggml::kBlockValues;
using ggml::kQ4_0BlockBytes;
using ggml::kQ8_0BlockBytes;
using ggml::kQsOffset;
using ggml::load_fp16_bits;

constexpr int kRows = 16;
constexpr int kMaxTokens = 8;

enum class BlockType { kQ8_0, kQ4_0 };

template <BlockType kType>
constexpr size_t kBlockBytes = kType == BlockType::kQ8_0 ? kQ8_0BlockBytes : kQ4_0BlockBytes;

inline __m256i load256(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

inline __m128i load128(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

template <size_t kBytes>
inline void prefetch(const uint8_t* p) {
  for (size_t i = 0; i < kBytes + 63; i += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(p + i), _MM_HINT_T0);
  }
}

// Block b of 16 rows, decoded: v[c] lane k holds values 4c..4c+3 of row k
// (signed bytes), neg_bias lane k is -128 * (the sum of row k's 32 values),
// wd lane k row k's scale.
struct Tile {
  __m512i v[8];
  __m512i neg_bias;
  __m512 wd;
};

// 16 rows' Q8_0 quants (32 bytes at `at` of each row) transposed to
// v[c] = bytes 4c..4c+3 of rows 0..15.
inline void load_q8_0(__m512i v[8], const uint8_t* const row[kRows], size_t at) {
  // z[i]: row i | row i + 8; per 128-bit chunk p: rows (i, i + 8 for p >= 2),
  // dwords 0-3 (even p) or 4-7 (odd p).
  __m512i z[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    z[i] = _mm512_inserti64x4(_mm512_castsi256_si512(load256(row[i] + at)),
                              load256(row[i + 8] + at), 1);
  }
  // Pairs of rows: a[j] dwords (0, 1), b[j] dwords (2, 3) of rows 2j, 2j + 1.
  __m512i a[4], b[4];
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {
    a[j] = _mm512_unpacklo_epi32(z[2 * j], z[2 * j + 1]);
    b[j] = _mm512_unpackhi_epi32(z[2 * j], z[2 * j + 1]);
  }
  // Fours: q[g][c] chunk p holds dword c (p even) or c + 4 (p odd) of rows
  // 4g..4g+3 (p < 2) or 8 + 4g..8 + 4g + 3 (p >= 2).
  __m512i q[2][4];
#pragma GCC unroll 2
  for (int g = 0; g < 2; ++g) {
    q[g][0] = _mm512_unpacklo_epi64(a[2 * g], a[2 * g + 1]);
    q[g][1] = _mm512_unpackhi_epi64(a[2 * g], a[2 * g + 1]);
    q[g][2] = _mm512_unpacklo_epi64(b[2 * g], b[2 * g + 1]);
    q[g][3] = _mm512_unpackhi_epi64(b[2 * g], b[2 * g + 1]);
  }
  // Chunks in row order: rows 0-3, 4-7, 8-11, 12-15.
  const __m512i even = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
  const __m512i odd = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    v[c] = _mm512_permutex2var_epi64(q[0][c], even, q[1][c]);
    v[c + 4] = _mm512_permutex2var_epi64(q[0][c], odd, q[1][c]);
  }
}

// 16 rows' Q4_0 nibbles (16 bytes at `at` of each row) as values less 8:
// v[c] = values 4c..4c+3 of rows 0..15 (low nibbles of bytes 4c..4c+3 for
// c < 4, high nibbles of bytes 4(c-4).. for c >= 4).
inline void load_q4_0(__m512i v[8], const uint8_t* const row[kRows], size_t at) {
  // z[i] chunk p: row i + 4p.
  __m512i z[4];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    __m512i t = _mm512_castsi128_si512(load128(row[i] + at));
    t = _mm512_inserti32x4(t, load128(row[i + 4] + at), 1);
    t = _mm512_inserti32x4(t, load128(row[i + 8] + at), 2);
    z[i] = _mm512_inserti32x4(t, load128(row[i + 12] + at), 3);
  }
  const __m512i a0 = _mm512_unpacklo_epi32(z[0], z[1]);  // dwords 0, 1 of rows 0, 1 (+4p)
  const __m512i a1 = _mm512_unpackhi_epi32(z[0], z[1]);  // dwords 2, 3
  const __m512i a2 = _mm512_unpacklo_epi32(z[2], z[3]);  // rows 2, 3
  const __m512i a3 = _mm512_unpackhi_epi32(z[2], z[3]);
  __m512i s[4];  // s[d] lane k: dword d of row k
  s[0] = _mm512_unpacklo_epi64(a0, a2);
  s[1] = _mm512_unpackhi_epi64(a0, a2);
  s[2] = _mm512_unpacklo_epi64(a1, a3);
  s[3] = _mm512_unpackhi_epi64(a1, a3);
  const __m512i mask = _mm512_set1_epi8(0x0f), eight = _mm512_set1_epi8(8);
#pragma GCC unroll 4
  for (int d = 0; d < 4; ++d) {
    v[d] = _mm512_sub_epi8(_mm512_and_si512(s[d], mask), eight);
    v[d + 4] = _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(s[d], 4), mask), eight);
  }
}

// The 16 rows' scales of the block at `at` (the block's start): 4 bytes
// gathered at each (scale and two quants, inside the block), the low halves
// converted exactly.
inline __m512 load_scales(const uint8_t* row0, const __m512i offsets[2], size_t at) {
  const uint8_t* base = row0 + at;
  const __m256i lo = _mm512_i64gather_epi32(offsets[0], base, 1);
  const __m256i hi = _mm512_i64gather_epi32(offsets[1], base, 1);
  const __m512i dwords = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
  return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(dwords));
}

template <BlockType kType>
inline void load_tile(Tile& tile, const uint8_t* const row[kRows], const __m512i offsets[2],
                      size_t at) {
  if constexpr (kType == BlockType::kQ8_0) {
    load_q8_0(tile.v, row, at + kQsOffset);
  } else {
    load_q4_0(tile.v, row, at + kQsOffset);
  }
  const __m512i k80 = _mm512_set1_epi8(static_cast<char>(0x80));
  __m512i bias = _mm512_setzero_si512();
#pragma GCC unroll 8
  for (int c = 0; c < 8; ++c) bias = _mm512_dpbusd_epi32(bias, k80, tile.v[c]);
  tile.neg_bias = _mm512_sub_epi32(_mm512_setzero_si512(), bias);
  tile.wd = load_scales(row[0], offsets, at);
}

// vpbroadcastd from memory (a load), which the compiler would otherwise
// replace by extracting the dword through a general register.
inline __m512i broadcast32(const uint32_t* p) {
  __m512i v;
  asm("vpbroadcastd %1, %0" : "=v"(v) : "m"(*p));
  return v;
}

// One token's block: acc += its float step for the tile's 16 rows.
template <BlockType kType>
inline __m512 token_block(__m512 acc, const Tile& tile, const uint8_t* xb) {
  alignas(32) uint32_t xf[8];  // x's quants, sign bits flipped
  _mm256_store_si256(
      reinterpret_cast<__m256i*>(xf),
      _mm256_xor_si256(load256(xb + kQsOffset), _mm256_set1_epi8(static_cast<char>(0x80))));
  __m512i dot = tile.neg_bias;
#pragma GCC unroll 8
  for (int c = 0; c < 8; ++c) dot = _mm512_dpbusd_epi32(dot, broadcast32(xf + c), tile.v[c]);
  const __m512 fdot = _mm512_cvtepi32_ps(dot);  // exact: |dot| <= 2^19
  const __m512 xd = _mm512_set1_ps(_cvtsh_ss(load_fp16_bits(xb)));
  if constexpr (kType == BlockType::kQ8_0) {
    return _mm512_add_ps(acc, _mm512_mul_ps(fdot, _mm512_mul_ps(tile.wd, xd)));
  } else {
    return _mm512_add_ps(acc, _mm512_mul_ps(_mm512_mul_ps(fdot, tile.wd), xd));
  }
}

// Rows [r, r + R) (R <= 16) of tokens [0, T) over blocks [b_begin, b_end):
// out + t * out_stride gets the row sums, continued from what it holds
// when `resume`; token t's activations are at xq + t * xq_stride. tile(b)
// gives block b's tile.
template <BlockType kType, int T, class GetTile>
void tokens_pass(float* out, size_t out_stride, const uint8_t* xq, size_t xq_stride,
                 int32_t b_begin, int32_t b_end, int32_t r, int32_t R, bool resume, GetTile& tile) {
  const auto keep = static_cast<__mmask16>((1u << R) - 1u);
  __m512 acc[T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
    acc[t] = resume ? _mm512_maskz_loadu_ps(keep, out + static_cast<size_t>(t) * out_stride + r)
                    : _mm512_setzero_ps();
  }
  for (int32_t b = b_begin; b < b_end; ++b) {
    const auto& block_tile = tile(b);
    const uint8_t* xb = xq + static_cast<size_t>(b) * kQ8_0BlockBytes;
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      acc[t] = token_block<kType>(acc[t], block_tile, xb + static_cast<size_t>(t) * xq_stride);
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
    float* o = out + static_cast<size_t>(t) * out_stride + r;
    if (R == kRows) {
      _mm512_storeu_ps(o, acc[t]);
    } else {
      _mm512_mask_storeu_ps(o, keep, acc[t]);
    }
  }
}

// tokens_pass for tokens [0, n): passes of 8 tokens, then the rest.
template <BlockType kType, class GetTile>
void all_tokens(float* out, size_t out_stride, const uint8_t* xq, size_t xq_stride, int32_t n,
                int32_t b_begin, int32_t b_end, int32_t r, int32_t R, bool resume, GetTile& tile) {
  int32_t t = 0;
  for (; t + kMaxTokens <= n; t += kMaxTokens) {
    tokens_pass<kType, kMaxTokens>(out + static_cast<size_t>(t) * out_stride, out_stride,
                                   xq + static_cast<size_t>(t) * xq_stride, xq_stride, b_begin,
                                   b_end, r, R, resume, tile);
  }
  float* o = out + static_cast<size_t>(t) * out_stride;
  const uint8_t* x = xq + static_cast<size_t>(t) * xq_stride;
  switch (n - t) {
    case 1:
      tokens_pass<kType, 1>(o, out_stride, x, xq_stride, b_begin, b_end, r, R, resume, tile);
      break;
    case 2:
      tokens_pass<kType, 2>(o, out_stride, x, xq_stride, b_begin, b_end, r, R, resume, tile);
      break;
    case 3:
      tokens_pass<kType, 3>(o, out_stride, x, xq_stride, b_begin, b_end, r, R, resume, tile);
      break;
    case 4:
      tokens_pass<kType, 4>(o, out_stride, x, xq_stride, b_begin, b_end, r, R, resume, tile);
      break;
    case 5:
      tokens_pass<kType, 5>(o, out_stride, x, xq_stride, b_begin, b_end, r, R, resume, tile);
      break;
    case 6:
      tokens_pass<kType, 6>(o, out_stride, x, xq_stride, b_begin, b_end, r, R, resume, tile);
      break;
    case 7:
      tokens_pass<kType, 7>(o, out_stride, x, xq_stride, b_begin, b_end, r, R, resume, tile);
      break;
    default: break;
  }
}

// ---- One token (the matvec): rows' partial dots summed across lanes --------

// Lane k: row k's dot, from p[i] whose 128-bit chunks hold 4 partial sums
// each: chunks 0-1 of p[i] row i (i < 4) or 8 + i - 4, chunks 2-3 row
// i + 4 or 12 + i - 4.
inline __m512i reduce8(const __m512i p[8]) {
  __m512i a[4];
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    a[k] = _mm512_add_epi32(_mm512_unpacklo_epi32(p[2 * k], p[2 * k + 1]),
                            _mm512_unpackhi_epi32(p[2 * k], p[2 * k + 1]));
  }
  // Chunk c of b0: the sums of chunk c of p[0..3]; of b1: of p[4..7].
  const __m512i b0 =
      _mm512_add_epi32(_mm512_unpacklo_epi64(a[0], a[1]), _mm512_unpackhi_epi64(a[0], a[1]));
  const __m512i b1 =
      _mm512_add_epi32(_mm512_unpacklo_epi64(a[2], a[3]), _mm512_unpackhi_epi64(a[2], a[3]));
  return _mm512_add_epi32(_mm512_shuffle_i32x4(b0, b1, 0x88), _mm512_shuffle_i32x4(b0, b1, 0xDD));
}

// Lane 4c + i: the sum of chunk c of p[i].
inline __m512i reduce4(const __m512i p[4]) {
  const __m512i a0 =
      _mm512_add_epi32(_mm512_unpacklo_epi32(p[0], p[1]), _mm512_unpackhi_epi32(p[0], p[1]));
  const __m512i a1 =
      _mm512_add_epi32(_mm512_unpacklo_epi32(p[2], p[3]), _mm512_unpackhi_epi32(p[2], p[3]));
  return _mm512_add_epi32(_mm512_unpacklo_epi64(a0, a1), _mm512_unpackhi_epi64(a0, a1));
}

// Block `at` of 16 rows against one token's block xb: lane k, row k's dot.
// Q8_0: two rows per vector, weights sign-flipped (unsigned) against x,
// each lane started at -128 * (the sum of its 4 activations). Q4_0: four
// rows per vector, the nibbles (unsigned, 0..15) against x, each lane
// started at -8 * (the sum of its 8 activations).
template <BlockType kType>
inline __m512i one_token_dots(const uint8_t* const row[kRows], size_t at, const uint8_t* xb) {
  if constexpr (kType == BlockType::kQ8_0) {
    const __m512i x = _mm512_broadcast_i64x4(load256(xb + kQsOffset));
    const __m512i k80 = _mm512_set1_epi8(static_cast<char>(0x80));
    const __m512i start = _mm512_sub_epi32(_mm512_setzero_si512(),
                                           _mm512_dpbusd_epi32(_mm512_setzero_si512(), k80, x));
    __m512i p[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
      const int lo = i < 4 ? i : i + 4;  // rows lo | lo + 4
      const __m512i w = _mm512_inserti64x4(_mm512_castsi256_si512(load256(row[lo] + at)),
                                           load256(row[lo + 4] + at), 1);
      p[i] = _mm512_dpbusd_epi32(start, _mm512_xor_si512(w, k80), x);
    }
    return reduce8(p);
  } else {
    const __m512i x_lo = _mm512_broadcast_i32x4(load128(xb + kQsOffset));
    const __m512i x_hi = _mm512_broadcast_i32x4(load128(xb + kQsOffset + 16));
    const __m512i k8 = _mm512_set1_epi8(8);
    const __m512i start = _mm512_sub_epi32(
        _mm512_setzero_si512(),
        _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), k8, x_lo), k8, x_hi));
    const __m512i mask = _mm512_set1_epi8(0x0f);
    __m512i p[4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {  // chunk c: row 4c + i
      __m512i z = _mm512_castsi128_si512(load128(row[i] + at));
      z = _mm512_inserti32x4(z, load128(row[i + 4] + at), 1);
      z = _mm512_inserti32x4(z, load128(row[i + 8] + at), 2);
      z = _mm512_inserti32x4(z, load128(row[i + 12] + at), 3);
      const __m512i lo = _mm512_and_si512(z, mask);
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(z, 4), mask);
      p[i] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(start, lo, x_lo), hi, x_hi);
    }
    return reduce4(p);
  }
}

// Rows [r, r + R) of one token, the matvec: no tile, each block's 16 dots
// summed across lanes. next_group as for the tiles.
template <BlockType kType>
void one_token(float* out, const uint8_t* const row[kRows], const __m512i offsets[2],
               const uint8_t* xq, int32_t blocks, int32_t r, int32_t R, const uint8_t* next) {
  constexpr size_t kBytes = kBlockBytes<kType>;
  __m512 acc = _mm512_setzero_ps();
  for (int32_t b = 0; b < blocks; ++b) {
    if (next != nullptr) prefetch<kRows * kBytes>(next + static_cast<size_t>(b) * (kRows * kBytes));
    const size_t at = static_cast<size_t>(b) * kBytes;
    const uint8_t* xb = xq + static_cast<size_t>(b) * kQ8_0BlockBytes;
    const __m512 fdot = _mm512_cvtepi32_ps(one_token_dots<kType>(row, at + kQsOffset, xb));
    const __m512 wd = load_scales(row[0], offsets, at);
    const __m512 xd = _mm512_set1_ps(_cvtsh_ss(load_fp16_bits(xb)));
    if constexpr (kType == BlockType::kQ8_0) {
      acc = _mm512_add_ps(acc, _mm512_mul_ps(fdot, _mm512_mul_ps(wd, xd)));
    } else {
      acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_mul_ps(fdot, wd), xd));
    }
  }
  if (R == kRows) {
    _mm512_storeu_ps(out + r, acc);
  } else {
    _mm512_mask_storeu_ps(out + r, static_cast<__mmask16>((1u << R) - 1u), acc);
  }
}

// Up to 8 tokens decode each tile as they go. More keep the tiles of up to
// kChunkBlocks blocks (10 KB) on the stack and run every pass of tokens over
// them, block chunk after block chunk, the row sums left in out between
// chunks (a float stored and reloaded is the same float).
constexpr int32_t kChunkBlocks = 16;

template <BlockType kType>
void matmul_blocks(float* out, size_t out_stride, const uint8_t* w, const uint8_t* xq,
                   size_t xq_stride, int32_t n, int32_t cols, int32_t row_begin, int32_t row_end) {
  constexpr size_t kBytes = kBlockBytes<kType>;
  const int32_t blocks = cols / kBlockValues;
  const size_t row_bytes = static_cast<size_t>(blocks) * kBytes;
  for (int32_t r = row_begin; r < row_end; r += kRows) {
    const int32_t R = row_end - r < kRows ? row_end - r : kRows;
    const uint8_t* row[kRows];
    alignas(64) int64_t offset[kRows];
    for (int k = 0; k < kRows; ++k) {
      const int32_t at = k < R ? k : 0;
      row[k] = w + static_cast<size_t>(r + at) * row_bytes;
      offset[k] = static_cast<int64_t>(static_cast<size_t>(at) * row_bytes);
    }
    const __m512i offsets[2] = {_mm512_load_si512(offset), _mm512_load_si512(offset + 8)};
    // The next group's bytes, one block's worth per block decoded.
    const uint8_t* next =
        r + 2 * kRows <= row_end ? w + static_cast<size_t>(r + kRows) * row_bytes : nullptr;
    auto decode = [&](Tile& tile, int32_t b) {
      if (next != nullptr)
        prefetch<kRows * kBytes>(next + static_cast<size_t>(b) * (kRows * kBytes));
      load_tile<kType>(tile, row, offsets, static_cast<size_t>(b) * kBytes);
    };
    if (n == 1) {
      one_token<kType>(out, row, offsets, xq, blocks, r, R, next);
      continue;
    }
    if (n <= kMaxTokens || blocks == 0) {  // (no blocks: zeros, as ref)
      auto tile = [&](int32_t b) {
        Tile t;
        decode(t, b);
        return t;
      };
      all_tokens<kType>(out, out_stride, xq, xq_stride, n, 0, blocks, r, R, false, tile);
      continue;
    }
    Tile tiles[kChunkBlocks];
    for (int32_t c = 0; c < blocks; c += kChunkBlocks) {
      const int32_t c_end = blocks - c > kChunkBlocks ? c + kChunkBlocks : blocks;
      for (int32_t b = c; b < c_end; ++b) decode(tiles[b - c], b);
      auto tile = [&](int32_t b) -> const Tile& { return tiles[b - c]; };
      all_tokens<kType>(out, out_stride, xq, xq_stride, n, c, c_end, r, R, c > 0, tile);
    }
  }
}

}  // namespace

void matvec_q8_0_vnni(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols,
                      int32_t row_begin, int32_t row_end) {
  matmul_blocks<BlockType::kQ8_0>(out, 0, w, xq, 0, 1, cols, row_begin, row_end);
}

void matvec_q4_0_vnni(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols,
                      int32_t row_begin, int32_t row_end) {
  matmul_blocks<BlockType::kQ4_0>(out, 0, w, xq, 0, 1, cols, row_begin, row_end);
}

void matmul_q8_0_vnni(float* out, size_t out_stride, const uint8_t* w, const uint8_t* xq,
                      size_t xq_stride, int32_t n, int32_t cols, int32_t row_begin,
                      int32_t row_end) {
  matmul_blocks<BlockType::kQ8_0>(out, out_stride, w, xq, xq_stride, n, cols, row_begin, row_end);
}

void matmul_q4_0_vnni(float* out, size_t out_stride, const uint8_t* w, const uint8_t* xq,
                      size_t xq_stride, int32_t n, int32_t cols, int32_t row_begin,
                      int32_t row_end) {
  matmul_blocks<BlockType::kQ4_0>(out, out_stride, w, xq, xq_stride, n, cols, row_begin, row_end);
}

}  // namespace llmcu::kernels::x86
