// Portable int8 (Q8_0) kernels in llama2.c runq.c's order of operations: the
// activation is quantized per group of `group_size` values to int8 with one
// fp32 scale (max |x| / 127), each group's products are summed in int32, and
// one float multiply per group scales the sum into the fp32 accumulator.
//
// Weight scales are read with memcpy: in llama2.c version-2 files they follow
// the int8 values and need not be 4-byte aligned.
#include <cmath>
#include <cstring>

#include "kernels/kernels.h"

namespace llmcu::kernels::ref {

namespace {

inline float load_scale(const uint8_t* scales, size_t index) {
  float s;
  memcpy(&s, scales + index * sizeof(float), sizeof(s));
  return s;
}

}  // namespace

void quantize_q8(int8_t* q, float* scales, const float* x, int32_t n, int32_t group_size) {
  for (int32_t g = 0, j = 0; j < n; ++g, j += group_size) {
    const float* xg = x + j;
    int8_t* qg = q + j;
    // The last group may be partial (rows padded to whole groups): the
    // padding is zero and takes no part in the scale.
    const int32_t len = n - j < group_size ? n - j : group_size;
    memset(qg + len, 0, static_cast<size_t>(group_size - len));
    float wmax = 0.0f;
    for (int32_t i = 0; i < len; ++i) {
      const float v = fabsf(xg[i]);
      if (v > wmax) wmax = v;
    }
    const float scale = wmax / 127.0f;
    scales[g] = scale;
    if (scale == 0.0f) {
      // runq divides by zero here; an all-zero group quantizes to zeros.
      memset(qg, 0, static_cast<size_t>(len));
      continue;
    }
    for (int32_t i = 0; i < len; ++i) {
      // NaN (an activation that overflowed) has no int8 value; converting
      // it would be undefined. 0 keeps going; the caller sees the NaN in the
      // fp32 hidden state (check_forward_finite).
      const float r = roundf(xg[i] / scale);
      qg[i] = r == r ? static_cast<int8_t>(r) : 0;
    }
  }
}

void dequantize_q8(float* out, const int8_t* q, const uint8_t* scales, int32_t n,
                   int32_t group_size) {
  for (int32_t i = 0; i < n; ++i) {
    out[i] = static_cast<float>(q[i]) * load_scale(scales, static_cast<size_t>(i / group_size));
  }
}

void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end) {
  const int32_t groups = cols / group_size;
  for (int32_t r = row_begin; r < row_end; ++r) {
    const int8_t* wr = w + static_cast<size_t>(r) * static_cast<size_t>(cols);
    const size_t scale_row = static_cast<size_t>(r) * static_cast<size_t>(groups);
    float sum = 0.0f;
    for (int32_t g = 0; g < groups; ++g) {
      const int32_t j = g * group_size;
      int32_t acc = 0;
      for (int32_t k = 0; k < group_size; ++k) {
        acc += static_cast<int32_t>(xq[j + k]) * static_cast<int32_t>(wr[j + k]);
      }
      sum += static_cast<float>(acc) * load_scale(w_scales, scale_row + g) * x_scales[g];
    }
    out[r] = sum;
  }
}

}  // namespace llmcu::kernels::ref
