// ggml's tensor encodings that llmcu computes with, and their reference
// kernels. Rows are `cols` values (a multiple of 32 for the block types),
// stored one after another: row r of a matrix starts at r * row_bytes.
//
//   F16   IEEE binary16, 2 bytes per value.
//   Q8_0  blocks of 32 values: fp16 scale d, then 32 int8 q; value = q * d.
//   Q4_0  blocks of 32 values: fp16 scale d, then 16 bytes; byte j holds
//         value j in its low nibble and value j + 16 in its high nibble;
//         value = (nibble - 8) * d.
//
// Blocks are only 2-byte aligned inside a row (34 and 18 bytes), and a
// row's start is only as aligned as the file makes it: the kernels read
// scales with memcpy and never form wider pointers into the weights.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace llmcu::kernels::ggml {

inline constexpr int32_t kBlockValues = 32;  // Q8_0 and Q4_0

struct BlockQ8_0 {
  uint16_t d;  // fp16 scale
  int8_t qs[kBlockValues];
};
static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 block is an fp16 scale and 32 int8");

struct BlockQ4_0 {
  uint16_t d;  // fp16 scale
  uint8_t qs[kBlockValues / 2];
};
static_assert(sizeof(BlockQ4_0) == 18, "Q4_0 block is an fp16 scale and 16 bytes of nibbles");

inline constexpr size_t kQ8_0BlockBytes = sizeof(BlockQ8_0);
inline constexpr size_t kQ4_0BlockBytes = sizeof(BlockQ4_0);
inline constexpr size_t kQsOffset = sizeof(uint16_t);  // quants follow the scale in both

// Bytes of one row of `cols` values (cols a multiple of 32 for the blocks).
inline size_t f16_row_bytes(int32_t cols) {
  return static_cast<size_t>(cols) * 2;
}
inline size_t q8_0_row_bytes(int32_t cols) {
  return static_cast<size_t>(cols / kBlockValues) * kQ8_0BlockBytes;
}
inline size_t q4_0_row_bytes(int32_t cols) {
  return static_cast<size_t>(cols / kBlockValues) * kQ4_0BlockBytes;
}

// IEEE binary16 to binary32: exact for every input (subnormals, infinities,
// NaNs keep their payload's top bits). No hardware half type needed.
inline float fp16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // infinity or NaN
  } else if (exponent != 0) {
    bits = sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;  // signed zero
  } else {
    // Subnormal: shift the leading one into the implicit bit.
    exponent = 127 - 15 + 1;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}

// binary32 to binary16, rounding to nearest, ties to even (what F16C's
// conversion and ggml's portable one do); overflow gives infinity, NaN stays
// a (quiet) NaN.
inline uint16_t f32_to_fp16(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof(x));
  const auto sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t magnitude = x & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {
    const uint16_t payload = magnitude > 0x7f800000u ? 0x200u | ((magnitude >> 13) & 0x3ffu) : 0;
    return static_cast<uint16_t>(sign | 0x7c00u | payload);
  }
  if (magnitude >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65520
  if (magnitude < 0x38800000u) {
    // Below 2^-14: a subnormal half, in units of 2^-24.
    if (magnitude < 0x33000000u) return sign;  // <= 2^-25 rounds to zero
    const uint32_t exponent = magnitude >> 23;
    const uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exponent;  // 14..24
    uint32_t q = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rest > half || (rest == half && (q & 1u) != 0)) ++q;
    return static_cast<uint16_t>(sign | q);
  }
  uint32_t h = (magnitude >> 13) - ((127 - 15) << 10);
  const uint32_t rest = magnitude & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u) != 0)) ++h;  // may carry into the exponent
  return static_cast<uint16_t>(sign | h);
}

// The fp16 at any address (scales sit 2 bytes into 34- and 18-byte blocks).
inline uint16_t load_fp16_bits(const uint8_t* p) {
  uint16_t h;
  memcpy(&h, p, sizeof(h));
  return h;
}

inline float load_fp16(const uint8_t* p) {
  return fp16_to_f32(load_fp16_bits(p));
}

}  // namespace llmcu::kernels::ggml

namespace llmcu::kernels::ref {

// Decoding one row of `cols` values into floats.
void dequantize_row_f16(float* out, const uint8_t* row, int32_t cols);
void dequantize_row_q8_0(float* out, const uint8_t* row, int32_t cols);
void dequantize_row_q4_0(float* out, const uint8_t* row, int32_t cols);

// Quantizes `cols` floats to Q8_0 blocks the way llama.cpp's reference
// does, for activations and for writing files: per block amax = max |x|,
// d = amax / 127 stored as fp16, q = roundf(x * (1 / d)) (half away from
// zero), all zeros when amax is 0. The matvecs use the stored (rounded) d.
// Non-finite input (llama.cpp's conversion is undefined there): amax passes
// over NaNs, and a quant is 0 for NaN and +-127 beyond that range. Every
// kernel family gives these bytes exactly.
void quantize_row_q8_0(uint8_t* out, const float* x, int32_t cols);
// Q4_0 as llama.cpp's reference quantizer writes it (for writing files):
// per block m = the value of largest magnitude (the first one on ties),
// d = m / -8 stored as fp16, nibble = min(15, (int8)(x * (1 / d) + 8.5)),
// all 8 (zero) when m is 0.
void quantize_row_q4_0(uint8_t* out, const float* x, int32_t cols);

// out[r] = dot(row r of w, x) for r in [row_begin, row_end); w holds rows of
// `cols` values, row r at w + r * <type>_row_bytes(cols).
//
// F16: products and sum in fp32, left to right, x kept in fp32.
void matvec_f16(float* out, const uint8_t* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end);
// Q8_0 and Q4_0 weights against x quantized by quantize_row_q8_0 (xq holds
// cols / 32 Q8_0 blocks). Per block an exact int32 dot product of the
// quants, then the float sum in block order as llama.cpp's portable C does:
//   Q8_0: sum += (float)dot * (w.d * x.d)
//   Q4_0: sum += (float)dot * w.d * x.d
void matvec_q8_0(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                 int32_t row_end);
void matvec_q4_0(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                 int32_t row_end);

}  // namespace llmcu::kernels::ref
