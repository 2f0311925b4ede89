// Armv7E-M kernels for ggml's rows (Cortex-M4F/M7: DSP extension, FPU with
// half-precision conversion), bit-exact with ref: a block's int8 dot product
// is an integer, exact in any order, and each row adds its blocks in ref's
// order with ref's float expression; fp16 scales go through VCVTB (half.h),
// which converts as IEEE (and ggml::fp16_to_f32) does.
//
// Where the instructions go. SMLAD multiplies two pairs of int16 and adds
// both products to an int32: per four int8 weights one word load, SXTB16 and
// SXTB16 ROR 8 (bytes 0 and 2, 1 and 3, sign-extended to halfword pairs) and
// two SMLADs. The activations, the same for every row, are sign-extended
// into such pairs once per call, a chunk of blocks at a time on the stack,
// so a row reads them back with one LDRD per four values: six instructions
// per four multiply-adds, where ref spends five per one. Q4_0 needs no sign
// extension: (word >> 0, 4, 8, 12) & 0x000F000F are four halfword pairs of
// nibbles, eight values in five instructions, and 8 * sum(x), also per
// call, comes off each block's dot. Rows go in pairs, which share each LDRD
// of x. They are summed a chunk at a time, the running sum kept in out[r]
// between chunks (a float stored and reloaded is the same float). F16 rows:
// VCVTB/VCVTT convert the two halves of a word, VMLA (product rounded, then
// added: ref's two steps) accumulates in column order.
//
// Weights and activations may sit at any address: Armv7-M loads words and
// halfwords unaligned (LDR, LDRH; memcpy keeps GCC from LDRD/LDM there).
#include <arm_acle.h>

#include <cstring>

#include "kernels/cortex_m/family.h"
#include "kernels/cortex_m/half.h"

namespace llmcu::kernels::cortex_m {
namespace {

using ggml::kBlockValues;
using ggml::kQ4_0BlockBytes;
using ggml::kQ8_0BlockBytes;
using ggml::kQsOffset;

inline uint32_t load_word(const uint8_t* p) {
  uint32_t w;
  memcpy(&w, p, sizeof w);
  return w;
}

// Bytes 1 and 3 of x, sign-extended to halfwords (SXTB16 with its rotation,
// which GCC does not fold from a separate rotate).
inline uint32_t odd_bytes(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}

inline float load_half(const uint8_t* p) {
  uint16_t h;
  memcpy(&h, p, sizeof h);
  return fp16_to_f32(h);
}

// Blocks of x sign-extended per chunk (an XChunk is 576 bytes of stack).
constexpr int32_t kChunkBlocks = 8;

// A chunk of x's blocks: for block b and word i (values 4i..4i+3),
// pairs[b][2i] holds values 4i and 4i+2, pairs[b][2i+1] values 4i+1 and
// 4i+3, as int16 pairs; d[b] the scale, sum[b] the sum of the 32 quants.
struct XChunk {
  alignas(8) uint32_t pairs[kChunkBlocks][2 * kBlockValues / 4];
  float d[kChunkBlocks];
  int32_t sum[kChunkBlocks];
};

void load_chunk(XChunk* chunk, const uint8_t* xq, int32_t blocks) {
  for (int32_t b = 0; b < blocks; ++b) {
    const uint8_t* block = xq + static_cast<size_t>(b) * kQ8_0BlockBytes;
    chunk->d[b] = load_half(block);
    int32_t sum = 0;
    for (int32_t i = 0; i < kBlockValues / 4; ++i) {
      const uint32_t w = load_word(block + kQsOffset + 4 * i);
      const uint32_t even = __sxtb16(w), odd = odd_bytes(w);
      chunk->pairs[b][2 * i] = even;
      chunk->pairs[b][2 * i + 1] = odd;
      sum = __smlad(__sadd16(even, odd), 0x00010001u, sum);
    }
    chunk->sum[b] = sum;
  }
}

// The pairs of x for word i of a block: values 4i, 4i+2 (first) and 4i+1,
// 4i+3 (second), one LDRD.
inline void load_pairs(const uint32_t* pairs, int32_t i, uint32_t* even, uint32_t* odd) {
  uint64_t both;
  memcpy(&both, pairs + 2 * i, sizeof both);
  *even = static_cast<uint32_t>(both);
  *odd = static_cast<uint32_t>(both >> 32);
}

// Exact dots of R (1 or 2) rows' Q8_0 blocks with x's block in pairs, added
// to acc: per word of x, one LDRD, then per row LDR, two SXTB16, two SMLAD.
template <int R>
inline void dot_q8_0(const uint8_t* const* quants, const uint32_t* pairs, int32_t* acc) {
#pragma GCC unroll 8
  for (int32_t i = 0; i < kBlockValues / 4; ++i) {
    uint32_t even, odd;
    load_pairs(pairs, i, &even, &odd);
    for (int k = 0; k < R; ++k) {
      const uint32_t w = load_word(quants[k] + 4 * i);
      acc[k] = __smlad(__sxtb16(w), even, acc[k]);
      acc[k] = __smlad(odd_bytes(w), odd, acc[k]);
    }
  }
}

// mask & (w >> kShift) in one AND with a shifted operand, which GCC splits
// into a shift and an AND with an immediate.
template <int kShift>
inline uint32_t and_shifted(uint32_t mask, uint32_t w) {
  uint32_t r;
  __asm__("and %0, %1, %2, lsr %3" : "=r"(r) : "r"(mask), "r"(w), "i"(kShift));
  return r;
}

// Exact dots of R rows' Q4_0 nibbles (0..15, without the -8) with x's block:
// word i holds values 4i..4i+3 in its low nibbles and 4i+16..4i+19 in its
// high nibbles, four halfword pairs of them under 0x000F000F.
template <int R>
inline void dot_q4_0_nibbles(const uint8_t* const* nibbles, const uint32_t* pairs, int32_t* acc) {
  const uint32_t mask = 0x000F000Fu;
#pragma GCC unroll 4
  for (int32_t i = 0; i < kBlockValues / 8; ++i) {
    uint32_t low_even, low_odd, high_even, high_odd;
    load_pairs(pairs, i, &low_even, &low_odd);
    load_pairs(pairs, i + 4, &high_even, &high_odd);
    for (int k = 0; k < R; ++k) {
      const uint32_t w = load_word(nibbles[k] + 4 * i);
      acc[k] = __smlad(w & mask, low_even, acc[k]);
      acc[k] = __smlad(and_shifted<8>(mask, w), low_odd, acc[k]);
      acc[k] = __smlad(and_shifted<4>(mask, w), high_even, acc[k]);
      acc[k] = __smlad(and_shifted<12>(mask, w), high_odd, acc[k]);
    }
  }
}

enum class BlockType { kQ8_0, kQ4_0 };

// Rows [r, r + R) over the n blocks of a chunk, the first at wb (row r's),
// continuing the sums in out unless `first`.
template <BlockType kType, int R>
void chunk_rows(float* out, const uint8_t* wb, size_t row_bytes, const XChunk& chunk, int32_t n,
                bool first) {
  constexpr size_t kBlockBytes = kType == BlockType::kQ8_0 ? kQ8_0BlockBytes : kQ4_0BlockBytes;
  const uint8_t* rows[R];
  float sums[R];
  for (int k = 0; k < R; ++k) {
    rows[k] = wb + k * row_bytes;
    sums[k] = first ? 0.0f : out[k];
  }
  for (int32_t b = 0; b < n; ++b) {
    int32_t dots[R] = {};
    const uint8_t* quants[R];
    for (int k = 0; k < R; ++k) quants[k] = rows[k] + kQsOffset;
    if constexpr (kType == BlockType::kQ8_0) {
      dot_q8_0<R>(quants, chunk.pairs[b], dots);
    } else {
      dot_q4_0_nibbles<R>(quants, chunk.pairs[b], dots);
    }
    for (int k = 0; k < R; ++k) {
      if constexpr (kType == BlockType::kQ8_0) {
        sums[k] += static_cast<float>(dots[k]) * (load_half(rows[k]) * chunk.d[b]);
      } else {
        const int32_t dot = dots[k] - 8 * chunk.sum[b];
        sums[k] += static_cast<float>(dot) * load_half(rows[k]) * chunk.d[b];
      }
      rows[k] += kBlockBytes;
    }
  }
  for (int k = 0; k < R; ++k) out[k] = sums[k];
}

template <BlockType kType>
void matvec_blocks(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                   int32_t row_end) {
  constexpr size_t kBlockBytes = kType == BlockType::kQ8_0 ? kQ8_0BlockBytes : kQ4_0BlockBytes;
  const int32_t blocks = cols / kBlockValues;
  const size_t row_bytes = static_cast<size_t>(blocks) * kBlockBytes;
  if (blocks == 0) {
    for (int32_t r = row_begin; r < row_end; ++r) out[r] = 0.0f;
    return;
  }
  XChunk chunk;
  for (int32_t first = 0; first < blocks; first += kChunkBlocks) {
    const int32_t n = blocks - first < kChunkBlocks ? blocks - first : kChunkBlocks;
    load_chunk(&chunk, xq + static_cast<size_t>(first) * kQ8_0BlockBytes, n);
    const uint8_t* wb = w + static_cast<size_t>(first) * kBlockBytes;
    int32_t r = row_begin;
    for (; r + 2 <= row_end; r += 2) {
      chunk_rows<kType, 2>(out + r, wb + static_cast<size_t>(r) * row_bytes, row_bytes, chunk, n,
                           first == 0);
    }
    if (r < row_end) {
      chunk_rows<kType, 1>(out + r, wb + static_cast<size_t>(r) * row_bytes, row_bytes, chunk, n,
                           first == 0);
    }
  }
}

}  // namespace

void matvec_f16(float* out, const uint8_t* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end) {
  const size_t row_bytes = ggml::f16_row_bytes(cols);
  for (int32_t r = row_begin; r < row_end; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * row_bytes;
    const float* xp = x;
    float sum = 0.0f;
    if (int32_t blocks = cols >> 2; blocks > 0) {
      // Four values per iteration: two word loads (unaligned), one VMOV of
      // both into s0-s1, VCVTB/VCVTT for the bottom and top halves, and four
      // VMLA in column order. s0-s15 are caller-saved.
      uint32_t lo, hi;
      __asm__ volatile(
          "1:\n\t"
          "ldr %[lo], [%[w]], #4\n\t"
          "ldr %[hi], [%[w]], #4\n\t"
          "vmov s0, s1, %[lo], %[hi]\n\t"
          "vcvtb.f32.f16 s4, s0\n\t"
          "vcvtt.f32.f16 s5, s0\n\t"
          "vcvtb.f32.f16 s6, s1\n\t"
          "vcvtt.f32.f16 s7, s1\n\t"
          "vldmia %[x]!, {s8-s11}\n\t"
          "vmla.f32 %[sum], s4, s8\n\t"
          "vmla.f32 %[sum], s5, s9\n\t"
          "vmla.f32 %[sum], s6, s10\n\t"
          "vmla.f32 %[sum], s7, s11\n\t"
          "subs %[blocks], %[blocks], #1\n\t"
          "bne 1b"
          : [w] "+r"(row), [x] "+r"(xp), [blocks] "+r"(blocks), [sum] "+t"(sum), [lo] "=&r"(lo),
            [hi] "=&r"(hi)
          :
          : "s0", "s1", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "cc", "memory");
    }
    for (int32_t i = 0; i < (cols & 3); ++i) sum += load_half(row + 2 * i) * xp[i];
    out[r] = sum;
  }
}

void matvec_q8_0(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                 int32_t row_end) {
  matvec_blocks<BlockType::kQ8_0>(out, w, xq, cols, row_begin, row_end);
}

void matvec_q4_0(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                 int32_t row_end) {
  matvec_blocks<BlockType::kQ4_0>(out, w, xq, cols, row_begin, row_end);
}

}  // namespace llmcu::kernels::cortex_m
