// AVX2 int8 kernels. Compiled only when the target has AVX2.
#if defined(__AVX2__)
#include <immintrin.h>

#include "kernels/kernels.h"

namespace llmcu::kernels::x86 {

void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end) {
  ref::matvec_q8(out, w, w_scales, xq, x_scales, cols, group_size, row_begin, row_end);
}

}  // namespace llmcu::kernels::x86
#endif  // __AVX2__
