// Portable kernels for ggml's F16, Q8_0 and Q4_0 encodings (ggml_blocks.h).
// Quantization follows llama.cpp's reference quantizers to the bit, so a
// file llmcu writes matches one llama-quantize writes from the same floats.
#include <cmath>
#include <cstring>

#include "kernels/ref/ggml_blocks.h"

namespace llmcu::kernels::ref {

using ggml::kBlockValues;
using ggml::kQ4_0BlockBytes;
using ggml::kQ8_0BlockBytes;
using ggml::kQsOffset;
using ggml::load_fp16;

namespace {

void store_fp16(uint8_t* p, float value) {
  const uint16_t h = ggml::f32_to_fp16(value);
  memcpy(p, &h, sizeof(h));
}

// Exact int32 dot product of 32 int8 weights and 32 int8 activations.
int32_t dot_q8_block(const int8_t* w, const int8_t* x) {
  int32_t sum = 0;
  for (int32_t j = 0; j < kBlockValues; ++j) {
    sum += static_cast<int32_t>(w[j]) * static_cast<int32_t>(x[j]);
  }
  return sum;
}

// Q4_0's 16 nibble bytes against 32 int8 activations: low nibbles meet
// values 0..15, high nibbles 16..31.
int32_t dot_q4_block(const uint8_t* nibbles, const int8_t* x) {
  int32_t low = 0;
  int32_t high = 0;
  for (int32_t j = 0; j < kBlockValues / 2; ++j) {
    low += ((nibbles[j] & 0x0f) - 8) * static_cast<int32_t>(x[j]);
    high += ((nibbles[j] >> 4) - 8) * static_cast<int32_t>(x[j + kBlockValues / 2]);
  }
  return low + high;
}

// roundf(v) (half away from zero) as int8 for |v| <= 127, which covers
// x * (1 / d) of every finite block. Out of range it saturates at +-127 and
// NaN gives 0, where the plain conversion would be undefined: an infinite or
// NaN activation, or a block so small that 1 / d overflows (0 * inf).
int8_t round_to_q8(float v) {
  if (v >= 127.0f) return 127;
  if (v <= -127.0f) return -127;
  if (v != v) return 0;
  return static_cast<int8_t>(roundf(v));
}

const int8_t* quants(const uint8_t* block) {
  return reinterpret_cast<const int8_t*>(block + kQsOffset);
}

}  // namespace

void dequantize_row_f16(float* out, const uint8_t* row, int32_t cols) {
  for (int32_t i = 0; i < cols; ++i) out[i] = load_fp16(row + 2 * static_cast<size_t>(i));
}

void dequantize_row_q8_0(float* out, const uint8_t* row, int32_t cols) {
  for (int32_t b = 0; b < cols / kBlockValues; ++b) {
    const uint8_t* block = row + static_cast<size_t>(b) * kQ8_0BlockBytes;
    const float d = load_fp16(block);
    const int8_t* q = quants(block);
    float* o = out + static_cast<size_t>(b) * kBlockValues;
    for (int32_t j = 0; j < kBlockValues; ++j) o[j] = static_cast<float>(q[j]) * d;
  }
}

void dequantize_row_q4_0(float* out, const uint8_t* row, int32_t cols) {
  for (int32_t b = 0; b < cols / kBlockValues; ++b) {
    const uint8_t* block = row + static_cast<size_t>(b) * kQ4_0BlockBytes;
    const float d = load_fp16(block);
    const uint8_t* nibbles = block + kQsOffset;
    float* o = out + static_cast<size_t>(b) * kBlockValues;
    for (int32_t j = 0; j < kBlockValues / 2; ++j) {
      o[j] = static_cast<float>((nibbles[j] & 0x0f) - 8) * d;
      o[j + kBlockValues / 2] = static_cast<float>((nibbles[j] >> 4) - 8) * d;
    }
  }
}

void quantize_row_q8_0(uint8_t* out, const float* x, int32_t cols) {
  for (int32_t b = 0; b < cols / kBlockValues; ++b) {
    const float* xb = x + static_cast<size_t>(b) * kBlockValues;
    uint8_t* block = out + static_cast<size_t>(b) * kQ8_0BlockBytes;
    float amax = 0.0f;
    for (int32_t j = 0; j < kBlockValues; ++j) {
      const float v = fabsf(xb[j]);
      amax = v > amax ? v : amax;  // NaNs are passed over, so any order of maxima agrees
    }
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    store_fp16(block, d);
    auto* q = reinterpret_cast<int8_t*>(block + kQsOffset);
    for (int32_t j = 0; j < kBlockValues; ++j) q[j] = round_to_q8(xb[j] * id);
  }
}

void quantize_row_q4_0(uint8_t* out, const float* x, int32_t cols) {
  for (int32_t b = 0; b < cols / kBlockValues; ++b) {
    const float* xb = x + static_cast<size_t>(b) * kBlockValues;
    uint8_t* block = out + static_cast<size_t>(b) * kQ4_0BlockBytes;
    float amax = 0.0f;
    float max = 0.0f;  // signed: the scale takes the sign of the largest value
    for (int32_t j = 0; j < kBlockValues; ++j) {
      if (amax < fabsf(xb[j])) {
        amax = fabsf(xb[j]);
        max = xb[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    store_fp16(block, d);
    uint8_t* nibbles = block + kQsOffset;
    for (int32_t j = 0; j < kBlockValues / 2; ++j) {
      // +8.5 then truncation rounds to nearest; 16 (x == max exactly) clamps to 15.
      const int32_t low = static_cast<int8_t>(xb[j] * id + 8.5f);
      const int32_t high = static_cast<int8_t>(xb[j + kBlockValues / 2] * id + 8.5f);
      nibbles[j] = static_cast<uint8_t>((low < 15 ? low : 15) | ((high < 15 ? high : 15) << 4));
    }
  }
}

void matvec_f16(float* out, const uint8_t* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end) {
  const size_t row_bytes = ggml::f16_row_bytes(cols);
  for (int32_t r = row_begin; r < row_end; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * row_bytes;
    float sum = 0.0f;
    for (int32_t i = 0; i < cols; ++i) sum += load_fp16(row + 2 * static_cast<size_t>(i)) * x[i];
    out[r] = sum;
  }
}

void matvec_q8_0(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                 int32_t row_end) {
  const int32_t blocks = cols / kBlockValues;
  const size_t row_bytes = ggml::q8_0_row_bytes(cols);
  for (int32_t r = row_begin; r < row_end; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * row_bytes;
    float sum = 0.0f;
    for (int32_t b = 0; b < blocks; ++b) {
      const uint8_t* wb = row + static_cast<size_t>(b) * kQ8_0BlockBytes;
      const uint8_t* xb = xq + static_cast<size_t>(b) * kQ8_0BlockBytes;
      const int32_t dot = dot_q8_block(quants(wb), quants(xb));
      sum += static_cast<float>(dot) * (load_fp16(wb) * load_fp16(xb));
    }
    out[r] = sum;
  }
}

void matvec_q4_0(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t row_begin,
                 int32_t row_end) {
  const int32_t blocks = cols / kBlockValues;
  const size_t row_bytes = ggml::q4_0_row_bytes(cols);
  for (int32_t r = row_begin; r < row_end; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * row_bytes;
    float sum = 0.0f;
    for (int32_t b = 0; b < blocks; ++b) {
      const uint8_t* wb = row + static_cast<size_t>(b) * kQ4_0BlockBytes;
      const uint8_t* xb = xq + static_cast<size_t>(b) * kQ8_0BlockBytes;
      const int32_t dot = dot_q4_block(wb + kQsOffset, quants(xb));
      sum += static_cast<float>(dot) * load_fp16(wb) * load_fp16(xb);
    }
    out[r] = sum;
  }
}

}  // namespace llmcu::kernels::ref
