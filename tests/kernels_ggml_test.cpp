// Reference kernels for ggml's F16, Q8_0 and Q4_0 encodings against
// straightforward dequantize-then-dot, and their conversions bit by bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "test_internals.h"

namespace llmcu::kernels {
namespace {

using ggml::f32_to_fp16;
using ggml::fp16_to_f32;

float bits_to_float(uint32_t bits) {
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}

TEST(GgmlFp16, KnownValues) {
  EXPECT_EQ(fp16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(fp16_to_f32(0xc000), -2.0f);
  EXPECT_EQ(fp16_to_f32(0x7bff), 65504.0f);
  EXPECT_EQ(fp16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(fp16_to_f32(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(fp16_to_f32(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_TRUE(std::signbit(fp16_to_f32(0x8000)));
  EXPECT_TRUE(std::isinf(fp16_to_f32(0x7c00)));
  EXPECT_TRUE(std::isnan(fp16_to_f32(0x7e00)));
  EXPECT_EQ(f32_to_fp16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_fp16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_fp16(65519.0f), 0x7bff);
  EXPECT_EQ(f32_to_fp16(65520.0f), 0x7c00);  // the tie rounds to even: infinity
  EXPECT_EQ(f32_to_fp16(-1e10f), 0xfc00);
  EXPECT_EQ(f32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);  // tie to even: zero
  EXPECT_EQ(f32_to_fp16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(f32_to_fp16(std::ldexp(3.0f, -25)), 0x0002);         // 1.5 units: tie to even 2
  EXPECT_EQ(f32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // tie to even
  EXPECT_EQ(f32_to_fp16(1.0f + std::ldexp(3.0f, -11)), 0x3c02);
  EXPECT_EQ(f32_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_fp16(bits_to_float(0x7fc00000u)) & 0x7e00, 0x7e00);  // quiet NaN
}

// Every half converts to float and back to itself (NaNs to a NaN).
TEST(GgmlFp16, RoundTripsEveryHalf) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = fp16_to_f32(static_cast<uint16_t>(h));
    const uint16_t back = f32_to_fp16(f);
    if (std::isnan(f)) {
      EXPECT_EQ(back & 0x7c00, 0x7c00);
      EXPECT_NE(back & 0x3ff, 0);
    } else {
      ASSERT_EQ(back, h) << "half " << h;
    }
  }
}

#if defined(__FLT16_MAX__)
// Against the compiler's own half type, over every half and a sweep of
// floats between and around them.
TEST(GgmlFp16, MatchesTheCompilersHalfType) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    _Float16 half;
    const auto bits = static_cast<uint16_t>(h);
    memcpy(&half, &bits, 2);
    const float expected = static_cast<float>(half);
    const float got = fp16_to_f32(bits);
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(got));
    } else {
      ASSERT_EQ(memcmp(&expected, &got, 4), 0) << "half " << h;
    }
  }
  // Floats from 2^-26 to past 65520, in steps that hit ties and near-ties.
  for (uint32_t bits = 0x32800000u; bits < 0x47800400u; bits += 0x1fffu) {
    for (uint32_t sign : {0u, 0x80000000u}) {
      const float f = bits_to_float(bits | sign);
      const _Float16 expected = static_cast<_Float16>(f);
      uint16_t expected_bits;
      memcpy(&expected_bits, &expected, 2);
      ASSERT_EQ(f32_to_fp16(f), expected_bits) << "float bits " << (bits | sign);
    }
  }
}
#endif

// Deterministic values with a spread of magnitudes and signs.
std::vector<float> pseudo_random(size_t n, uint32_t seed, float scale) {
  std::vector<float> v(n);
  uint32_t state = seed;
  for (float& x : v) {
    state = state * 1664525u + 1013904223u;
    x = (static_cast<float>(state >> 8) / 16777216.0f - 0.5f) * 2.0f * scale;
  }
  return v;
}

std::vector<uint8_t> quantize(bool q4, const std::vector<float>& x, int32_t cols) {
  const size_t rows = x.size() / static_cast<size_t>(cols);
  const size_t row_bytes = q4 ? ggml::q4_0_row_bytes(cols) : ggml::q8_0_row_bytes(cols);
  std::vector<uint8_t> out(rows * row_bytes);
  for (size_t r = 0; r < rows; ++r) {
    const float* src = x.data() + r * static_cast<size_t>(cols);
    if (q4) {
      ref::quantize_row_q4_0(out.data() + r * row_bytes, src, cols);
    } else {
      ref::quantize_row_q8_0(out.data() + r * row_bytes, src, cols);
    }
  }
  return out;
}

TEST(GgmlQ8_0, QuantizesAsTheReference) {
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;  // d = 1, id = 1: exact ties below
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 0.4f;
  x[4] = -126.6f;
  std::vector<uint8_t> block(34);
  ref::quantize_row_q8_0(block.data(), x.data(), 32);
  EXPECT_EQ(ggml::load_fp16(block.data()), 1.0f);
  const auto* q = reinterpret_cast<const int8_t*>(block.data() + 2);
  EXPECT_EQ(q[0], 127);
  EXPECT_EQ(q[1], 3);  // half away from zero
  EXPECT_EQ(q[2], -3);
  EXPECT_EQ(q[3], 0);
  EXPECT_EQ(q[4], -127);
  EXPECT_EQ(q[5], 0);
  // d is rounded to fp16 when stored; the quants use the unrounded 1 / d.
  std::vector<float> y(32, 0.0f);
  y[0] = 1.0f;
  ref::quantize_row_q8_0(block.data(), y.data(), 32);
  EXPECT_EQ(ggml::load_fp16(block.data()), fp16_to_f32(f32_to_fp16(1.0f / 127.0f)));
  EXPECT_EQ(q[0], 127);
  // All zeros: scale 0 and zero quants.
  std::vector<float> zeros(64, 0.0f);
  std::vector<uint8_t> z(68, 0xff);
  ref::quantize_row_q8_0(z.data(), zeros.data(), 64);
  for (uint8_t byte : z) EXPECT_EQ(byte, 0);
}

TEST(GgmlQ4_0, QuantizesAsTheReference) {
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i - 16) / 2.0f;
  // The largest magnitude is -8 (x[0]): d = -8 / -8 = 1, nibble = x + 8.
  std::vector<uint8_t> block(18);
  ref::quantize_row_q4_0(block.data(), x.data(), 32);
  EXPECT_EQ(ggml::load_fp16(block.data()), 1.0f);
  std::vector<float> back(32);
  ref::dequantize_row_q4_0(back.data(), block.data(), 32);
  for (int i = 0; i < 32; ++i) {
    // x + 8.5 truncated: halves round up, and 7.5 clamps to the top nibble, 7.
    const float expected = std::fmin(std::floor(x[static_cast<size_t>(i)] + 0.5f), 7.0f);
    EXPECT_EQ(back[static_cast<size_t>(i)], expected) << i;
  }
  EXPECT_EQ(block[2] & 0x0f, 0);  // value 0: -8 + 8
  EXPECT_EQ(block[2] >> 4, 8);    // value 16: 0 + 8
  // A positive maximum gives a negative d and clamps +max to nibble 15.
  std::vector<float> y(32, 0.0f);
  y[5] = 4.0f;
  y[6] = -1.0f;
  ref::quantize_row_q4_0(block.data(), y.data(), 32);
  EXPECT_EQ(ggml::load_fp16(block.data()), -0.5f);
  EXPECT_EQ(block[2 + 5] & 0x0f, 0);   // 4 / -0.5 = -8 -> nibble 0
  EXPECT_EQ(block[2 + 6] & 0x0f, 10);  // -1 / -0.5 = 2 -> nibble 10
}

TEST(GgmlBlocks, DequantizeMatchesTheLayout) {
  // Q8_0: d = 0.5, q = j - 16.
  std::vector<uint8_t> q8(34);
  const uint16_t half = f32_to_fp16(0.5f);
  memcpy(q8.data(), &half, 2);
  for (int j = 0; j < 32; ++j) q8[2 + static_cast<size_t>(j)] = static_cast<uint8_t>(j - 16);
  std::vector<float> out(32);
  ref::dequantize_row_q8_0(out.data(), q8.data(), 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(out[static_cast<size_t>(j)], (j - 16) * 0.5f);
  // Q4_0: low nibble j, high nibble 15 - j.
  std::vector<uint8_t> q4(18);
  memcpy(q4.data(), &half, 2);
  for (int j = 0; j < 16; ++j)
    q4[2 + static_cast<size_t>(j)] = static_cast<uint8_t>(j | ((15 - j) << 4));
  ref::dequantize_row_q4_0(out.data(), q4.data(), 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[static_cast<size_t>(j)], (j - 8) * 0.5f);
    EXPECT_EQ(out[static_cast<size_t>(j) + 16], (7 - j) * 0.5f);
  }
  // F16, read from an odd address.
  std::vector<uint8_t> f16(1 + 2 * 3);
  for (int i = 0; i < 3; ++i) {
    const uint16_t h = f32_to_fp16(static_cast<float>(i) - 1.25f);
    memcpy(f16.data() + 1 + 2 * i, &h, 2);
  }
  ref::dequantize_row_f16(out.data(), f16.data() + 1, 3);
  EXPECT_EQ(out[0], -1.25f);
  EXPECT_EQ(out[2], 0.75f);
}

// Reference: dequantize the row and the (quantized) activation, dot in double.
double reference_dot(const std::vector<float>& w_row, const std::vector<float>& x) {
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) sum += static_cast<double>(w_row[i]) * x[i];
  return sum;
}

enum class Kind { kF16, kQ8_0, kQ4_0 };

void check_matvec(Kind kind, int32_t rows, int32_t blocks) {
  SCOPED_TRACE(testing::Message() << "kind " << static_cast<int>(kind) << ", " << rows << " rows, "
                                  << blocks << " blocks");
  const int32_t cols = blocks * 32;
  const std::vector<float> w = pseudo_random(static_cast<size_t>(rows) * cols, 7u + rows, 0.8f);
  const std::vector<float> x = pseudo_random(static_cast<size_t>(cols), 99u + blocks, 3.0f);

  // Weights in the encoding, one byte off alignment to prove no wide loads.
  std::vector<uint8_t> encoded;
  size_t row_bytes = 0;
  if (kind == Kind::kF16) {
    row_bytes = ggml::f16_row_bytes(cols);
    encoded.resize(w.size() * 2);
    for (size_t i = 0; i < w.size(); ++i) {
      const uint16_t h = f32_to_fp16(w[i]);
      memcpy(encoded.data() + 2 * i, &h, 2);
    }
  } else {
    encoded = quantize(kind == Kind::kQ4_0, w, cols);
    row_bytes = encoded.size() / static_cast<size_t>(rows);
  }
  std::vector<uint8_t> shifted(encoded.size() + 1);
  memcpy(shifted.data() + 1, encoded.data(), encoded.size());
  const uint8_t* weights = shifted.data() + 1;

  // The activation the kernel sees: fp32 for F16, Q8_0 blocks otherwise.
  std::vector<uint8_t> xq(ggml::q8_0_row_bytes(cols));
  ref::quantize_row_q8_0(xq.data(), x.data(), cols);
  std::vector<float> x_seen(static_cast<size_t>(cols));
  if (kind == Kind::kF16) {
    x_seen = x;
  } else {
    ref::dequantize_row_q8_0(x_seen.data(), xq.data(), cols);
  }

  std::vector<float> out(static_cast<size_t>(rows) + 2, -7.0f);
  float* o = out.data() + 1;
  const int32_t begin = rows > 2 ? 1 : 0;
  const int32_t end = rows > 2 ? rows - 1 : rows;
  switch (kind) {
    case Kind::kF16: ref::matvec_f16(o, weights, x.data(), cols, begin, end); break;
    case Kind::kQ8_0: ref::matvec_q8_0(o, weights, xq.data(), cols, begin, end); break;
    case Kind::kQ4_0: ref::matvec_q4_0(o, weights, xq.data(), cols, begin, end); break;
  }
  EXPECT_EQ(out[0], -7.0f);
  EXPECT_EQ(out[static_cast<size_t>(rows) + 1], -7.0f);
  std::vector<float> w_row(static_cast<size_t>(cols));
  for (int32_t r = 0; r < rows; ++r) {
    if (r < begin || r >= end) {
      EXPECT_EQ(o[r], -7.0f) << "row " << r << " outside the range was written";
      continue;
    }
    const uint8_t* row = weights + static_cast<size_t>(r) * row_bytes;
    switch (kind) {
      case Kind::kF16: ref::dequantize_row_f16(w_row.data(), row, cols); break;
      case Kind::kQ8_0: ref::dequantize_row_q8_0(w_row.data(), row, cols); break;
      case Kind::kQ4_0: ref::dequantize_row_q4_0(w_row.data(), row, cols); break;
    }
    const double expected = reference_dot(w_row, x_seen);
    double magnitude = 0;
    for (int32_t i = 0; i < cols; ++i)
      magnitude += std::fabs(w_row[static_cast<size_t>(i)] * x_seen[static_cast<size_t>(i)]);
    // float accumulation over `cols` terms (F16) or `blocks` block sums.
    const double tolerance = 4e-7 * magnitude * (kind == Kind::kF16 ? cols : blocks + 2) + 1e-30;
    EXPECT_NEAR(o[r], expected, tolerance) << "row " << r;
  }
}

TEST(GgmlMatvec, AgreesWithDequantizeThenDot) {
  for (Kind kind : {Kind::kF16, Kind::kQ8_0, Kind::kQ4_0}) {
    for (int32_t rows : {1, 2, 3, 7, 13, 64}) {
      for (int32_t blocks : {1, 2, 3, 5, 8}) check_matvec(kind, rows, blocks);
    }
  }
}

// Quantizing the activation and the weights with the same function makes a
// Q8_0 x Q8_0 dot exact up to the float sums: check against integers.
TEST(GgmlMatvec, Q8_0IntegerSumsAreExact) {
  const int32_t cols = 64;
  std::vector<uint8_t> w(2 * 34), xq(2 * 34);
  const uint16_t one = f32_to_fp16(1.0f);
  for (int b = 0; b < 2; ++b) {
    memcpy(w.data() + 34 * b, &one, 2);
    memcpy(xq.data() + 34 * b, &one, 2);
    for (int j = 0; j < 32; ++j) {
      w[34 * b + 2 + j] = static_cast<uint8_t>(-127);
      xq[34 * b + 2 + j] = static_cast<uint8_t>(-127);
    }
  }
  float out = 0;
  ref::matvec_q8_0(&out, w.data(), xq.data(), cols, 0, 1);
  EXPECT_EQ(out, 64.0f * 127 * 127);
}

}  // namespace
}  // namespace llmcu::kernels
