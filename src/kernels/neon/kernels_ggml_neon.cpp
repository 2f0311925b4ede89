// NEON kernels for ggml's F16, Q8_0 and Q4_0 rows (ref/ggml_blocks.h),
// AArch64. With the dot-product extension (__ARM_FEATURE_DOTPROD, e.g.
// -march=armv8.2-a+dotprod) a block's int8 products go through SDOT, four
// per lane and instruction; without it through SMULL/SMLAL2 (two products per
// int16 lane, at most 2 * 128 * 127: activations are in [-127, 127]) and
// SADALP into int32.
//
// Q8_0 and Q4_0 matvecs give ref's bits, as the AVX2 ones do: a block's int8
// dot is exact in any order, and four rows go side by side, one per float
// lane, each adding (float)dot * (w.d * x.d) (Q8_0) or (float)dot * w.d * x.d
// (Q4_0) in block order with separate multiplies and adds. A row's lane does
// the same arithmetic in any group, so row ranges cannot change its bits.
// Q4_0's nibbles (0..15) meet x unsigned; 8 * sum(x) comes off once per block
// for the four rows.
//
// F16 matvec: four-lane FMA sums (kApproximate). Dequantizing is exact (FCVTL
// converts halves as IEEE does). quantize_row_q8_0 gives ref's bytes: a
// NaN-skipping maximum by compare and select, ref's division and reciprocal,
// and FRINTA, which is roundf.
//
// Rows and blocks may sit at any address: loads are byte loads (LD1 of
// bytes, no alignment), scales are read with memcpy, and nothing reads past a
// block.
#include <arm_neon.h>

#include <cstring>

#include "kernels/neon/family.h"

namespace llmcu::kernels::neon {
namespace {

using ggml::kBlockValues;
using ggml::kQ4_0BlockBytes;
using ggml::kQ8_0BlockBytes;
using ggml::kQsOffset;
using ggml::load_fp16_bits;

inline float32x4_t halves_to_floats(uint16x4_t h) {
  return vcvt_f32_f16(vreinterpret_f16_u16(h));
}

inline float load_half(const uint8_t* p) {
  return vgetq_lane_f32(halves_to_floats(vdup_n_u16(load_fp16_bits(p))), 0);
}

inline int8x16_t load16(const uint8_t* p) {
  return vreinterpretq_s8_u8(vld1q_u8(p));
}

// ---- Q8_0 and Q4_0 block dots --------------------------------------------

// Four int32 lanes summing to w0 . x0 + w1 . x1 (16 int8 each).
inline int32x4_t dot32(int8x16_t w0, int8x16_t w1, int8x16_t x0, int8x16_t x1) {
#if defined(__ARM_FEATURE_DOTPROD)
  return vdotq_s32(vdotq_s32(vdupq_n_s32(0), w0, x0), w1, x1);
#else
  const int16x8_t p0 = vmlal_high_s8(vmull_s8(vget_low_s8(w0), vget_low_s8(x0)), w0, x0);
  const int16x8_t p1 = vmlal_high_s8(vmull_s8(vget_low_s8(w1), vget_low_s8(x1)), w1, x1);
  return vpadalq_s16(vpaddlq_s16(p0), p1);
#endif
}

inline int32x4_t dot_q8_0(const uint8_t* block, int8x16_t x0, int8x16_t x1) {
  return dot32(load16(block + kQsOffset), load16(block + kQsOffset + 16), x0, x1);
}

// Without the -8: low nibbles are values 0..15, high nibbles 16..31.
inline int32x4_t dot_q4_0_nibbles(const uint8_t* block, int8x16_t x0, int8x16_t x1) {
  const uint8x16_t bytes = vld1q_u8(block + kQsOffset);
  const int8x16_t low = vreinterpretq_s8_u8(vandq_u8(bytes, vdupq_n_u8(0x0f)));
  const int8x16_t high = vreinterpretq_s8_u8(vshrq_n_u8(bytes, 4));
  return dot32(low, high, x0, x1);
}

enum class BlockType { kQ8_0, kQ4_0 };

// Rows [r, r + R) of a Q8_0 or Q4_0 matrix (R <= 4; lanes past R compute
// row r again and are not stored).
template <BlockType kType, int R>
void block_rows(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t r) {
  constexpr size_t kBlockBytes = kType == BlockType::kQ8_0 ? kQ8_0BlockBytes : kQ4_0BlockBytes;
  const size_t row_bytes = static_cast<size_t>(cols / kBlockValues) * kBlockBytes;
  const uint8_t* row[4];
  for (int k = 0; k < 4; ++k) row[k] = w + static_cast<size_t>(r + (k < R ? k : 0)) * row_bytes;
  float32x4_t acc = vdupq_n_f32(0.0f);
  for (int32_t b = 0; b < cols / kBlockValues; ++b) {
    const uint8_t* xb = xq + static_cast<size_t>(b) * kQ8_0BlockBytes;
    const int8x16_t x0 = load16(xb + kQsOffset), x1 = load16(xb + kQsOffset + 16);
    const size_t at = static_cast<size_t>(b) * kBlockBytes;
    int32x4_t d[4];
    for (int k = 0; k < 4; ++k) {
      if (k >= R) {
        d[k] = vdupq_n_s32(0);
      } else if constexpr (kType == BlockType::kQ8_0) {
        d[k] = dot_q8_0(row[k] + at, x0, x1);
      } else {
        d[k] = dot_q4_0_nibbles(row[k] + at, x0, x1);
      }
    }
    int32x4_t dots = vpaddq_s32(vpaddq_s32(d[0], d[1]), vpaddq_s32(d[2], d[3]));  // lane k: row k
    if constexpr (kType == BlockType::kQ4_0) {
      const int32_t sum_x = vaddlvq_s8(x0) + vaddlvq_s8(x1);
      dots = vsubq_s32(dots, vdupq_n_s32(8 * sum_x));
    }
    uint16x4_t halves = vdup_n_u16(load_fp16_bits(row[0] + at));
    halves = vset_lane_u16(load_fp16_bits(row[1] + at), halves, 1);
    halves = vset_lane_u16(load_fp16_bits(row[2] + at), halves, 2);
    halves = vset_lane_u16(load_fp16_bits(row[3] + at), halves, 3);
    const float32x4_t wd = halves_to_floats(halves);
    const float xd = load_half(xb);
    const float32x4_t fdots = vcvtq_f32_s32(dots);  // exact: |dot| < 2^24
    if constexpr (kType == BlockType::kQ8_0) {
      acc = vaddq_f32(acc, vmulq_f32(fdots, vmulq_n_f32(wd, xd)));
    } else {
      acc = vaddq_f32(acc, vmulq_n_f32(vmulq_f32(fdots, wd), xd));
    }
  }
  if constexpr (R == 4) {
    vst1q_f32(out + r, acc);
  } else {
    float sums[4];
    vst1q_f32(sums, acc);
    for (int k = 0; k < R; ++k) out[r + k] = sums[k];
  }
}

template <BlockType kType>
void matvec_blocks(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                   int32_t row_end) {
  int32_t r = row_begin;
  for (; r + 4 <= row_end; r += 4) block_rows<kType, 4>(out, w, xq, cols, r);
  for (; r < row_end; ++r) block_rows<kType, 1>(out, w, xq, cols, r);
}

// ---- F16 -------------------------------------------------------------------

// Rows [r, r + R) of an F16 matrix. Each row: two accumulators over 8
// columns at a time, their sum reduced across lanes, then the last cols % 8
// in order.
template <int R>
void f16_rows(float* out, const uint8_t* w, const float* x, int32_t cols, int32_t r) {
  const size_t row_bytes = ggml::f16_row_bytes(cols);
  const uint8_t* row[R];
  float32x4_t a[R], b[R];
  for (int k = 0; k < R; ++k) {
    row[k] = w + static_cast<size_t>(r + k) * row_bytes;
    a[k] = b[k] = vdupq_n_f32(0.0f);
  }
  int32_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    const float32x4_t xa = vld1q_f32(x + c), xb = vld1q_f32(x + c + 4);
    for (int k = 0; k < R; ++k) {
      const float16x8_t h = vreinterpretq_f16_u8(vld1q_u8(row[k] + 2 * static_cast<size_t>(c)));
      a[k] = vfmaq_f32(a[k], vcvt_f32_f16(vget_low_f16(h)), xa);
      b[k] = vfmaq_f32(b[k], vcvt_high_f32_f16(h), xb);
    }
  }
  for (int k = 0; k < R; ++k) {
    float sum = vaddvq_f32(vaddq_f32(a[k], b[k]));
    for (int32_t i = c; i < cols; ++i) sum += load_half(row[k] + 2 * static_cast<size_t>(i)) * x[i];
    out[r + k] = sum;
  }
}

// ---- quantize_row_q8_0 ---------------------------------------------------

// ref's round_to_q8 on four lanes: NaN to 0, saturation at +-127, then FRINTA
// (to nearest, ties away from zero: roundf).
inline int32x4_t round_to_q8(float32x4_t v) {
  v = vbslq_f32(vceqq_f32(v, v), v, vdupq_n_f32(0.0f));
  v = vminq_f32(vmaxq_f32(v, vdupq_n_f32(-127.0f)), vdupq_n_f32(127.0f));
  return vcvtq_s32_f32(vrndaq_f32(v));
}

// Eight values (two vectors) over id, rounded, as eight int16.
inline int16x8_t quantize8(float32x4_t a, float32x4_t b, float id) {
  return vcombine_s16(vmovn_s32(round_to_q8(vmulq_n_f32(a, id))),
                      vmovn_s32(round_to_q8(vmulq_n_f32(b, id))));
}

}  // namespace

void dequantize_row_f16(float* out, const uint8_t* row, int32_t cols) {
  int32_t i = 0;
  for (; i + 4 <= cols; i += 4) {
    vst1q_f32(out + i, halves_to_floats(vreinterpret_u16_u8(vld1_u8(row + 2 * i))));
  }
  for (; i < cols; ++i) out[i] = load_half(row + 2 * static_cast<size_t>(i));
}

void dequantize_row_q8_0(float* out, const uint8_t* row, int32_t cols) {
  for (int32_t b = 0; b < cols / kBlockValues; ++b) {
    const uint8_t* block = row + static_cast<size_t>(b) * kQ8_0BlockBytes;
    const float d = load_half(block);
    float* o = out + static_cast<size_t>(b) * kBlockValues;
    for (int32_t j = 0; j < kBlockValues; j += 8) {
      const int16x8_t q = vmovl_s8(vreinterpret_s8_u8(vld1_u8(block + kQsOffset + j)));
      vst1q_f32(o + j, vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(q))), d));
      vst1q_f32(o + j + 4, vmulq_n_f32(vcvtq_f32_s32(vmovl_high_s16(q)), d));
    }
  }
}

void dequantize_row_q4_0(float* out, const uint8_t* row, int32_t cols) {
  for (int32_t b = 0; b < cols / kBlockValues; ++b) {
    const uint8_t* block = row + static_cast<size_t>(b) * kQ4_0BlockBytes;
    const float d = load_half(block);
    const uint8x16_t bytes = vld1q_u8(block + kQsOffset);
    const int8x16_t eight = vdupq_n_s8(8);
    const int8x16_t values[2] = {
        vsubq_s8(vreinterpretq_s8_u8(vandq_u8(bytes, vdupq_n_u8(0x0f))), eight),  // 0..15
        vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(bytes, 4)), eight)};              // 16..31
    float* o = out + static_cast<size_t>(b) * kBlockValues;
    for (int32_t h = 0; h < 2; ++h) {
      const int16x8_t lo = vmovl_s8(vget_low_s8(values[h]));
      const int16x8_t hi = vmovl_high_s8(values[h]);
      vst1q_f32(o + 16 * h, vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo))), d));
      vst1q_f32(o + 16 * h + 4, vmulq_n_f32(vcvtq_f32_s32(vmovl_high_s16(lo)), d));
      vst1q_f32(o + 16 * h + 8, vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi))), d));
      vst1q_f32(o + 16 * h + 12, vmulq_n_f32(vcvtq_f32_s32(vmovl_high_s16(hi)), d));
    }
  }
}

void quantize_row_q8_0(uint8_t* out, const float* x, int32_t cols) {
  for (int32_t b = 0; b < cols / kBlockValues; ++b) {
    const float* xb = x + static_cast<size_t>(b) * kBlockValues;
    uint8_t* block = out + static_cast<size_t>(b) * kQ8_0BlockBytes;
    float32x4_t v[8];
    float32x4_t m = vdupq_n_f32(0.0f);
    for (int k = 0; k < 8; ++k) {
      v[k] = vld1q_f32(xb + 4 * k);
      const float32x4_t a = vabsq_f32(v[k]);
      m = vbslq_f32(vcgtq_f32(a, m), a, m);  // a NaN lane keeps m
    }
    const float d = vmaxvq_f32(m) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const uint16_t d_bits = ggml::f32_to_fp16(d);
    memcpy(block, &d_bits, sizeof d_bits);
    for (int k = 0; k < 8; k += 4) {
      const int8x16_t q = vcombine_s8(vmovn_s16(quantize8(v[k], v[k + 1], id)),
                                      vmovn_s16(quantize8(v[k + 2], v[k + 3], id)));
      vst1q_u8(block + kQsOffset + 4 * k, vreinterpretq_u8_s8(q));
    }
  }
}

void matvec_f16(float* out, const uint8_t* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end) {
  int32_t r = row_begin;
  for (; r + 4 <= row_end; r += 4) f16_rows<4>(out, w, x, cols, r);
  for (; r < row_end; ++r) f16_rows<1>(out, w, x, cols, r);
}

void matvec_q8_0(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                 int32_t row_end) {
  matvec_blocks<BlockType::kQ8_0>(out, w, xq, cols, row_begin, row_end);
}

void matvec_q4_0(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                 int32_t row_end) {
  matvec_blocks<BlockType::kQ4_0>(out, w, xq, cols, row_begin, row_end);
}

}  // namespace llmcu::kernels::neon
