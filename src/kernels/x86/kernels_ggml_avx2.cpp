// AVX2 kernels for ggml's F16, Q8_0 and Q4_0 rows (ref/ggml_blocks.h).
// Compiled with -mavx2 -mfma -mf16c (cmake/llmcu_kernels.cmake).
//
// Q8_0 and Q4_0 matvecs give ref's bits. A block's int8 dot product is exact
// in any order, so only its float part has to be ref's: per row, blocks
// added in block order, (float)dot * (w.d * x.d) for Q8_0 and
// (float)dot * w.d * x.d for Q4_0, with separate multiplies and adds (no
// FMA). Eight rows go side by side, one row per lane: the eight rows' partial
// dots of a block are reduced together (hadd), and their float steps are one
// vector operation each. A row's lane does the same arithmetic in any group,
// so the split into row ranges cannot change its bits.
//
// Q8_0 dot: maddubs of |w| (unsigned, so -128 is 128) and x carrying w's
// sign, pairs at most 2 * 128 * 127 (activations are in [-127, 127]: no
// saturation). Q4_0 dot: maddubs of the nibbles (0..15) and x, less 8 * sum(x)
// once per block for all eight rows.
//
// F16 matvec: eight-lane FMA sums (kApproximate). Dequantizing is exact:
// F16C converts halves as IEEE does, like ggml::fp16_to_f32. quantize_row_q8_0
// gives ref's bytes: the same NaN-skipping maximum (MAXPS returns its second
// operand when the first is NaN), division and reciprocal, and roundf rebuilt
// from truncation, after ref's saturation.
//
// Batched prefill (matmul_q8_0, matmul_q4_0) gives each token the matvec's
// bits from blocks transposed so that lanes are rows (see "Batched prefill
// on transposed blocks" below).
//
// Rows and blocks may sit at any address: every load is unaligned, scales
// are read 16 bits at a time, and no load reaches past a block.
#include <immintrin.h>

#include <cstring>

#include "kernels/x86/family.h"
#include "kernels/x86/int8_avx2.h"
#include "kernels/x86/reduce_avx2.h"

namespace llmcu::kernels::x86 {
namespace {

using ggml::kBlockValues;
using ggml::kQ4_0BlockBytes;
using ggml::kQ8_0BlockBytes;
using ggml::kQsOffset;
using ggml::load_fp16_bits;

inline float load_half(const uint8_t* p) {
  return _cvtsh_ss(load_fp16_bits(p));
}

inline __m256i load32(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// ---- Q8_0 and Q4_0 block dots --------------------------------------------

// Eight int32 lanes whose sum is the dot of a Q8_0 block's quants and x.
inline __m256i dot_q8_0(const uint8_t* block, __m256i x) {
  const __m256i w = load32(block + kQsOffset);
  return dot_quads(_mm256_abs_epi8(w), w, x);
}

// A Q4_0 block's 32 nibbles (0..15, without the -8): the 16 bytes in both
// halves, shifted by 0 (low nibbles: values 0..15) and 4 (high nibbles:
// values 16..31).
inline __m256i q4_0_nibbles(const uint8_t* block) {
  const __m256i bytes = _mm256_broadcastsi128_si256(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + kQsOffset)));
  return _mm256_and_si256(_mm256_srlv_epi32(bytes, _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4)),
                          _mm256_set1_epi8(0x0f));
}
// Eight int32 lanes whose sum is the dot of a Q4_0 block's nibbles and x.
inline __m256i dot_q4_0_nibbles(const uint8_t* block, __m256i x) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(q4_0_nibbles(block), x), _mm256_set1_epi16(1));
}

// Lane r: the sum of the eight lanes of d[r].
inline __m256i sum_lanes8(const __m256i d[8]) {
  const __m256i s01 = _mm256_hadd_epi32(d[0], d[1]);
  const __m256i s23 = _mm256_hadd_epi32(d[2], d[3]);
  const __m256i s45 = _mm256_hadd_epi32(d[4], d[5]);
  const __m256i s67 = _mm256_hadd_epi32(d[6], d[7]);
  const __m256i s0123 = _mm256_hadd_epi32(s01, s23);  // rows 0-3: low half | high half
  const __m256i s4567 = _mm256_hadd_epi32(s45, s67);
  return _mm256_add_epi32(_mm256_permute2x128_si256(s0123, s4567, 0x20),
                          _mm256_permute2x128_si256(s0123, s4567, 0x31));
}

// Eight int32 lanes whose sum is the sum of x's 32 quants.
inline __m256i quant_quads(__m256i x) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), x), _mm256_set1_epi16(1));
}

// The sum of x's 32 quants (for Q4_0's -8).
inline int32_t sum_quants(__m256i x) {
  const __m256i quads = quant_quads(x);
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(quads), _mm256_extracti128_si256(quads, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
  return _mm_cvtsi128_si32(s);
}

enum class BlockType { kQ8_0, kQ4_0 };

// Lane i: 8 times the sum of the quants of Q8_0 block b + i of xq, for
// i < count (<= 8); zero past count. Q4_0's -8 for eight blocks at once.
inline __m256i q4_0_offsets8(const uint8_t* xq, int32_t b, int32_t count) {
  __m256i sums[8];
  for (int i = 0; i < 8; ++i) {
    const uint8_t* block = xq + static_cast<size_t>(b + i) * kQ8_0BlockBytes;
    sums[i] = i < count ? quant_quads(load32(block + kQsOffset)) : _mm256_setzero_si256();
  }
  return _mm256_slli_epi32(sum_lanes8(sums), 3);
}

// The scales (d) of the blocks at byte `at` of eight rows, one per lane.
inline __m256 block_scales(const uint8_t* const row[8], size_t at) {
  __m128i halves = _mm_cvtsi32_si128(load_fp16_bits(row[0] + at));
  halves = _mm_insert_epi16(halves, load_fp16_bits(row[1] + at), 1);
  halves = _mm_insert_epi16(halves, load_fp16_bits(row[2] + at), 2);
  halves = _mm_insert_epi16(halves, load_fp16_bits(row[3] + at), 3);
  halves = _mm_insert_epi16(halves, load_fp16_bits(row[4] + at), 4);
  halves = _mm_insert_epi16(halves, load_fp16_bits(row[5] + at), 5);
  halves = _mm_insert_epi16(halves, load_fp16_bits(row[6] + at), 6);
  halves = _mm_insert_epi16(halves, load_fp16_bits(row[7] + at), 7);
  return _mm256_cvtph_ps(halves);
}

// acc + one block's term per lane (row), with ref's float steps for the type.
template <BlockType kType>
inline __m256 add_block(__m256 acc, __m256i dots, __m256 wd, float x_scale) {
  const __m256 xd = _mm256_set1_ps(x_scale);
  const __m256 fdots = _mm256_cvtepi32_ps(dots);  // exact: |dot| < 2^24
  if constexpr (kType == BlockType::kQ8_0) {
    return _mm256_add_ps(acc, _mm256_mul_ps(fdots, _mm256_mul_ps(wd, xd)));
  } else {
    return _mm256_add_ps(acc, _mm256_mul_ps(_mm256_mul_ps(fdots, wd), xd));
  }
}

// Eight rows read side by side are eight streams a row apart, which the
// hardware prefetcher follows at a fraction of DRAM's bandwidth (Zen 4: Q8_0
// at 5 GB/s instead of 20 from 30 MB of weights). A group's rows are
// contiguous, so the next group is fetched in order instead: per block of
// this group, a block's worth of the next one's bytes (8 blocks: 5 lines of
// Q8_0, 3 of Q4_0).
template <size_t kBytes>
inline void prefetch(const uint8_t* p) {
  for (size_t i = 0; i < kBytes + 63; i += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(p + i), _MM_HINT_T0);
  }
}

// Rows [r, r + R) of a Q8_0 or Q4_0 matrix (R <= 8; lanes past R compute
// row r again and are not stored). next_group, if not null: the R rows after
// them, fetched meanwhile.
template <BlockType kType, int R>
void block_rows(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t r,
                const uint8_t* next_group) {
  constexpr size_t kBlockBytes = kType == BlockType::kQ8_0 ? kQ8_0BlockBytes : kQ4_0BlockBytes;
  const size_t row_bytes = static_cast<size_t>(cols / kBlockValues) * kBlockBytes;
  const uint8_t* row[8];
  for (int k = 0; k < 8; ++k) row[k] = w + static_cast<size_t>(r + (k < R ? k : 0)) * row_bytes;
  __m256 acc = _mm256_setzero_ps();
  for (int32_t b = 0; b < cols / kBlockValues; ++b) {
    if (next_group != nullptr) {
      prefetch<R * kBlockBytes>(next_group + static_cast<size_t>(b) * (R * kBlockBytes));
    }
    const uint8_t* xb = xq + static_cast<size_t>(b) * kQ8_0BlockBytes;
    const __m256i x = load32(xb + kQsOffset);
    const size_t at = static_cast<size_t>(b) * kBlockBytes;
    __m256i d[8];
    for (int k = 0; k < 8; ++k) {
      if (k >= R) {
        d[k] = _mm256_setzero_si256();
      } else if constexpr (kType == BlockType::kQ8_0) {
        d[k] = dot_q8_0(row[k] + at, x);
      } else {
        d[k] = dot_q4_0_nibbles(row[k] + at, x);
      }
    }
    __m256i dots = sum_lanes8(d);
    if constexpr (kType == BlockType::kQ4_0) {
      dots = _mm256_sub_epi32(dots, _mm256_set1_epi32(8 * sum_quants(x)));
    }
    acc = add_block<kType>(acc, dots, block_scales(row, at), load_half(xb));
  }
  if constexpr (R == 8) {
    _mm256_storeu_ps(out + r, acc);
  } else {
    alignas(32) float sums[8];
    _mm256_store_ps(sums, acc);
    for (int k = 0; k < R; ++k) out[r + k] = sums[k];
  }
}

template <BlockType kType>
void matvec_blocks(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                   int32_t row_end) {
  constexpr size_t kBlockBytes = kType == BlockType::kQ8_0 ? kQ8_0BlockBytes : kQ4_0BlockBytes;
  const size_t row_bytes = static_cast<size_t>(cols / kBlockValues) * kBlockBytes;
  int32_t r = row_begin;
  for (; r + 8 <= row_end; r += 8) {
    const uint8_t* next = r + 16 <= row_end ? w + static_cast<size_t>(r + 8) * row_bytes : nullptr;
    block_rows<kType, 8>(out, w, xq, cols, r, next);
  }
  if (r + 4 <= row_end) {
    block_rows<kType, 4>(out, w, xq, cols, r, nullptr);
    r += 4;
  }
  for (; r < row_end; ++r) block_rows<kType, 1>(out, w, xq, cols, r, nullptr);
}

// ---- Batched prefill on transposed blocks ---------------------------------
//
// block_rows leaves each block's dot of a row spread over a vector, and its
// hadd tree, which runs on few ports (Zen 3: two cycles per hadd), costs
// more than the products. A batch can afford to lay the weights out
// for the products instead: per block, quad j of eight rows side by side
// (lane k: row k's columns 4j..4j+3). x's quad j broadcast against it puts
// each row's products in the row's own lane, so the quads' products add up
// vertically and lane k ends with row k's block dot: the same integer, then
// add_block's float steps. Q4_0 adds the eight quads' maddubs in int16
// (sixteen products of at most 15 * 128) and widens once; Q8_0's pairs
// reach 2 * 128 * 127 and widen per quad. The transpose is made once per
// group of rows and chunk of blocks and serves every token of the batch.

constexpr int32_t kChunkBlocks = 8;  // at most 16 KiB of transposed quads

// One block of eight rows, transposed: Q4_0's nibbles, or Q8_0's |w| and w.
template <BlockType kType>
struct TransposedBlock {
  __m256i quads[8];
  __m256 scales;
};
template <>
struct TransposedBlock<BlockType::kQ8_0> {
  __m256i quads[8];
  __m256i signs[8];
  __m256 scales;
};

template <BlockType kType>
inline void transpose_block(TransposedBlock<kType>& out, const uint8_t* const row[8], size_t at) {
  __m256i* q = out.quads;
  for (int k = 0; k < 8; ++k) {
    if constexpr (kType == BlockType::kQ8_0) {
      out.signs[k] = load32(row[k] + at + kQsOffset);
    } else {
      q[k] = q4_0_nibbles(row[k] + at);
    }
  }
  if constexpr (kType == BlockType::kQ8_0) {
    transpose_dwords(out.signs);
    for (int j = 0; j < 8; ++j) q[j] = _mm256_abs_epi8(out.signs[j]);
  } else {
    transpose_dwords(q);
  }
  out.scales = block_scales(row, at);
}

// Rows [r, r + 8 * G) against tokens 0..n-1, G groups of eight rows sharing
// each broadcast of x.
template <BlockType kType, int G>
void rows_transposed(float* out, size_t out_stride, const uint8_t* w, const uint8_t* xq,
                     size_t xq_stride, int32_t n, int32_t cols, int32_t r) {
  constexpr size_t kBlockBytes = kType == BlockType::kQ8_0 ? kQ8_0BlockBytes : kQ4_0BlockBytes;
  const int32_t blocks = cols / kBlockValues;
  const size_t row_bytes = static_cast<size_t>(blocks) * kBlockBytes;
  const uint8_t* row[G][8];
  for (int g = 0; g < G; ++g) {
    for (int k = 0; k < 8; ++k) row[g][k] = w + static_cast<size_t>(r + 8 * g + k) * row_bytes;
  }
  TransposedBlock<kType> transposed[kChunkBlocks][G];
  alignas(32) int32_t offsets[kChunkBlocks];  // Q4_0: 8 * sum(x) per block
  const __m256i ones = _mm256_set1_epi16(1);
  for (int32_t first = 0; first < blocks; first += kChunkBlocks) {
    const int32_t count = blocks - first < kChunkBlocks ? blocks - first : kChunkBlocks;
    for (int32_t i = 0; i < count; ++i) {
      const size_t at = static_cast<size_t>(first + i) * kBlockBytes;
      for (int g = 0; g < G; ++g) transpose_block(transposed[i][g], row[g], at);
    }
    for (int32_t t = 0; t < n; ++t) {
      const uint8_t* x = xq + t * xq_stride;
      if constexpr (kType == BlockType::kQ4_0) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(offsets), q4_0_offsets8(x, first, count));
      }
      float* o = out + t * out_stride + r;
      __m256 acc[G];
      for (int g = 0; g < G; ++g) {
        acc[g] = first == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(o + 8 * g);
      }
      for (int32_t i = 0; i < count; ++i) {
        const uint8_t* xb = x + static_cast<size_t>(first + i) * kQ8_0BlockBytes;
        const TransposedBlock<kType>* block = transposed[i];
        __m256i sums[G];  // Q4_0: int16 pairs; Q8_0: int32
        for (int g = 0; g < G; ++g) sums[g] = _mm256_setzero_si256();
        for (int j = 0; j < 8; ++j) {
          const __m256i xj = broadcast_quad(xb + kQsOffset + 4 * j);
          for (int g = 0; g < G; ++g) {
            if constexpr (kType == BlockType::kQ8_0) {
              sums[g] =
                  _mm256_add_epi32(sums[g], dot_quads(block[g].quads[j], block[g].signs[j], xj));
            } else {
              sums[g] = _mm256_add_epi16(sums[g], _mm256_maddubs_epi16(block[g].quads[j], xj));
            }
          }
        }
        const float x_scale = load_half(xb);
        for (int g = 0; g < G; ++g) {
          __m256i dots = sums[g];
          if constexpr (kType == BlockType::kQ4_0) {
            dots = _mm256_sub_epi32(_mm256_madd_epi16(dots, ones), _mm256_set1_epi32(offsets[i]));
          }
          acc[g] = add_block<kType>(acc[g], dots, block[g].scales, x_scale);
        }
      }
      for (int g = 0; g < G; ++g) _mm256_storeu_ps(o + 8 * g, acc[g]);
    }
  }
}

template <BlockType kType>
void matmul_blocks(float* out, size_t out_stride, const uint8_t* w, const uint8_t* xq,
                   size_t xq_stride, int32_t n, int32_t cols, int32_t row_begin, int32_t row_end) {
  int32_t r = row_begin;
  for (; r + 16 <= row_end; r += 16) {
    rows_transposed<kType, 2>(out, out_stride, w, xq, xq_stride, n, cols, r);
  }
  if (r + 8 <= row_end) {
    rows_transposed<kType, 1>(out, out_stride, w, xq, xq_stride, n, cols, r);
    r += 8;
  }
  if (r < row_end) {
    for (int32_t t = 0; t < n; ++t) {
      matvec_blocks<kType>(out + t * out_stride, w, xq + t * xq_stride, cols, r, row_end);
    }
  }
}

// ---- F16 -------------------------------------------------------------------

inline __m256 load8_halves(const uint8_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Rows [r, r + R) of an F16 matrix. Each row: two accumulators over 16
// columns at a time, one more step of 8 into the first, their sum reduced
// (hsum4: the same additions for a row in any group), then the last cols % 8
// in order. next_group as for block_rows.
template <int R>
void f16_rows(float* out, const uint8_t* w, const float* x, int32_t cols, int32_t r,
              const uint8_t* next_group) {
  const size_t row_bytes = ggml::f16_row_bytes(cols);
  const uint8_t* row[R];
  __m256 a[R], b[R];
  for (int k = 0; k < R; ++k) {
    row[k] = w + static_cast<size_t>(r + k) * row_bytes;
    a[k] = b[k] = _mm256_setzero_ps();
  }
  int32_t c = 0;
  for (; c + 16 <= cols; c += 16) {
    if (next_group != nullptr) prefetch<R * 32>(next_group + static_cast<size_t>(R) * 2 * c);
    const __m256 xa = _mm256_loadu_ps(x + c), xb = _mm256_loadu_ps(x + c + 8);
    for (int k = 0; k < R; ++k) {
      a[k] = _mm256_fmadd_ps(load8_halves(row[k] + 2 * c), xa, a[k]);
      b[k] = _mm256_fmadd_ps(load8_halves(row[k] + 2 * c + 16), xb, b[k]);
    }
  }
  if (c + 8 <= cols) {
    const __m256 xa = _mm256_loadu_ps(x + c);
    for (int k = 0; k < R; ++k) a[k] = _mm256_fmadd_ps(load8_halves(row[k] + 2 * c), xa, a[k]);
    c += 8;
  }
  const __m256 z = _mm256_setzero_ps();
  float sums[4];
  _mm_storeu_ps(
      sums, hsum4(_mm256_add_ps(a[0], b[0]), R > 1 ? _mm256_add_ps(a[1], b[1]) : z,
                  R > 2 ? _mm256_add_ps(a[2], b[2]) : z, R > 3 ? _mm256_add_ps(a[3], b[3]) : z));
  for (int k = 0; k < R; ++k) {
    float sum = sums[k];
    for (int32_t i = c; i < cols; ++i) sum += load_half(row[k] + 2 * static_cast<size_t>(i)) * x[i];
    out[r + k] = sum;
  }
}

// ---- quantize_row_q8_0 ---------------------------------------------------

inline __m256 abs8(__m256 v) {
  return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
}

// ref's round_to_q8 on eight lanes: NaN to 0, saturation at +-127, then
// roundf: trunc(v), plus +-1 where |v - trunc(v)| >= 0.5 (exact in float).
inline __m256i round_to_q8(__m256 v) {
  v = _mm256_and_ps(v, _mm256_cmp_ps(v, v, _CMP_ORD_Q));
  v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 frac = _mm256_andnot_ps(sign_bit, _mm256_sub_ps(v, t));
  const __m256 up = _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  const __m256 one = _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_and_ps(v, sign_bit));
  return _mm256_cvttps_epi32(_mm256_add_ps(t, _mm256_and_ps(up, one)));
}

}  // namespace

void dequantize_row_f16(float* out, const uint8_t* row, int32_t cols) {
  int32_t i = 0;
  for (; i + 8 <= cols; i += 8) _mm256_storeu_ps(out + i, load8_halves(row + 2 * i));
  for (; i < cols; ++i) out[i] = load_half(row + 2 * static_cast<size_t>(i));
}

void dequantize_row_q8_0(float* out, const uint8_t* row, int32_t cols) {
  for (int32_t b = 0; b < cols / kBlockValues; ++b) {
    const uint8_t* block = row + static_cast<size_t>(b) * kQ8_0BlockBytes;
    const __m256 d = _mm256_set1_ps(load_half(block));
    float* o = out + static_cast<size_t>(b) * kBlockValues;
    for (int32_t j = 0; j < kBlockValues; j += 8) {
      const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block + kQsOffset + j));
      _mm256_storeu_ps(o + j, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), d));
    }
  }
}

void dequantize_row_q4_0(float* out, const uint8_t* row, int32_t cols) {
  for (int32_t b = 0; b < cols / kBlockValues; ++b) {
    const uint8_t* block = row + static_cast<size_t>(b) * kQ4_0BlockBytes;
    const __m256 d = _mm256_set1_ps(load_half(block));
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + kQsOffset));
    const __m128i mask = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
    const __m128i low = _mm_sub_epi8(_mm_and_si128(bytes, mask), eight);  // values 0..15
    const __m128i high = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(bytes, 4), mask), eight);
    float* o = out + static_cast<size_t>(b) * kBlockValues;
    for (int32_t j = 0; j < 2; ++j) {
      const __m128i half = j == 0 ? low : high;
      const __m256 v0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(half));
      const __m256 v1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(half, half)));
      _mm256_storeu_ps(o + 16 * j, _mm256_mul_ps(v0, d));
      _mm256_storeu_ps(o + 16 * j + 8, _mm256_mul_ps(v1, d));
    }
  }
}

void quantize_row_q8_0(uint8_t* out, const float* x, int32_t cols) {
  for (int32_t b = 0; b < cols / kBlockValues; ++b) {
    const float* xb = x + static_cast<size_t>(b) * kBlockValues;
    uint8_t* block = out + static_cast<size_t>(b) * kQ8_0BlockBytes;
    __m256 v[4];
    __m256 m = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) {
      v[k] = _mm256_loadu_ps(xb + 8 * k);
      m = _mm256_max_ps(abs8(v[k]), m);  // a NaN lane keeps m
    }
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    const float d = _mm_cvtss_f32(h) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const uint16_t d_bits = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);  // as ggml::f32_to_fp16
    memcpy(block, &d_bits, sizeof d_bits);
    const __m256 vid = _mm256_set1_ps(id);
    __m256i q[4];
    for (int k = 0; k < 4; ++k) q[k] = round_to_q8(_mm256_mul_ps(v[k], vid));
    // int32 -> int8 (within +-127): the packs interleave 128-bit halves, the
    // permutation puts the eight groups of four back in order.
    const __m256i bytes =
        _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    _mm256_storeu_si256(
        reinterpret_cast<__m256i*>(block + kQsOffset),
        _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
  }
}

void matvec_f16(float* out, const uint8_t* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end) {
  const size_t row_bytes = ggml::f16_row_bytes(cols);
  int32_t r = row_begin;
  for (; r + 4 <= row_end; r += 4) {
    const uint8_t* next = r + 8 <= row_end ? w + static_cast<size_t>(r + 4) * row_bytes : nullptr;
    f16_rows<4>(out, w, x, cols, r, next);
  }
  for (; r < row_end; ++r) f16_rows<1>(out, w, x, cols, r, nullptr);
}

void matvec_q8_0(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                 int32_t row_end) {
  matvec_blocks<BlockType::kQ8_0>(out, w, xq, cols, row_begin, row_end);
}

void matvec_q4_0(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                 int32_t row_end) {
  matvec_blocks<BlockType::kQ4_0>(out, w, xq, cols, row_begin, row_end);
}

void matmul_q8_0(float* out, size_t out_stride, const uint8_t* w, const uint8_t* xq,
                 size_t xq_stride, int32_t n, int32_t cols, int32_t row_begin, int32_t row_end) {
  matmul_blocks<BlockType::kQ8_0>(out, out_stride, w, xq, xq_stride, n, cols, row_begin, row_end);
}

void matmul_q4_0(float* out, size_t out_stride, const uint8_t* w, const uint8_t* xq,
                 size_t xq_stride, int32_t n, int32_t cols, int32_t row_begin, int32_t row_end) {
  matmul_blocks<BlockType::kQ4_0>(out, out_stride, w, xq, xq_stride, n, cols, row_begin, row_end);
}

}  // namespace llmcu::kernels::x86
