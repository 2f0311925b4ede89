// The row loop of the int8 matvec, shared by the families whose group dot
// products are exact integers (ref, Cortex-M): each group's int32 dot is
// scaled into the row's fp32 sum in llama2.c runq.c's order, with the same
// expression everywhere, so those families agree bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace llmcu::kernels {

// Weight scales are read with memcpy: in llama2.c version-2 files they follow
// the int8 values and need not be 4-byte aligned.
inline float load_q8_scale(const uint8_t* scales, size_t index) {
  float s;
  memcpy(&s, scales + index * sizeof(float), sizeof(s));
  return s;
}

// matvec_q8's contract (kernels.h), with group_dot(w, x, n) the exact int32
// dot product of n int8 pairs.
template <typename GroupDot>
inline void matvec_q8_rows(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
                           const float* x_scales, int32_t cols, int32_t group_size,
                           int32_t row_begin, int32_t row_end, GroupDot group_dot) {
  const int32_t groups = cols / group_size;
  for (int32_t r = row_begin; r < row_end; ++r) {
    const int8_t* wr = w + static_cast<size_t>(r) * static_cast<size_t>(cols);
    const size_t scale_row = static_cast<size_t>(r) * static_cast<size_t>(groups);
    float sum = 0.0f;
    for (int32_t g = 0; g < groups; ++g) {
      const int32_t j = g * group_size;
      const int32_t acc = group_dot(wr + j, xq + j, group_size);
      sum += static_cast<float>(acc) * load_q8_scale(w_scales, scale_row + g) * x_scales[g];
    }
    out[r] = sum;
  }
}

}  // namespace llmcu::kernels
