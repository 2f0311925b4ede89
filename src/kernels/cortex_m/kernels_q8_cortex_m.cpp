// Armv7E-M int8 matvec (Cortex-M4/M7 DSP extension), bit-exact with
// ref::matvec_q8: the group dot products are integers, summed exactly in any
// order, and the groups are combined by the same row loop (q8_rows.h).
//
// Where the instructions go. ref's inner loop is ldrsb, ldrsb, a multiply-add
// and the loop counter: about five instructions per multiply-add. Here one word load brings
// four int8 values; SXTB16 sign-extends bytes 0 and 2 (and, rotated, 1 and 3)
// into two halfwords, and SMLAD multiplies both halfword pairs and adds the
// two products to the sum: four values of each side in 2 loads, 4 SXTB16
// and 2 SMLAD, 10 instructions with the loop.
#include "kernels/kernels.h"
#include "kernels/q8_rows.h"

#if defined(LLMCU_KERNELS_CORTEX_M)

namespace llmcu::kernels::cortex_m {
namespace {

// The exact int32 dot product of n int8 pairs. The word loop is assembly:
// inlined into the row loop, GCC's own code for it spilled to the stack.
inline int32_t dot_q8(const int8_t* a, const int8_t* b, int32_t n) {
  int32_t acc = 0;
  if (int32_t words = n >> 2; words > 0) {
    uint32_t wa, wb, ta, tb;
    __asm__ volatile(
        "1:\n\t"
        "ldr %[wa], [%[a]], #4\n\t"  // Armv7-M loads unaligned words
        "ldr %[wb], [%[b]], #4\n\t"
        "sxtb16 %[ta], %[wa]\n\t"  // bytes 0 and 2 as halfwords
        "sxtb16 %[tb], %[wb]\n\t"
        "smlad %[acc], %[ta], %[tb], %[acc]\n\t"
        "sxtb16 %[ta], %[wa], ror #8\n\t"  // bytes 1 and 3
        "sxtb16 %[tb], %[wb], ror #8\n\t"
        "smlad %[acc], %[ta], %[tb], %[acc]\n\t"
        "subs %[words], %[words], #1\n\t"
        "bne 1b"
        : [a] "+r"(a), [b] "+r"(b), [words] "+r"(words), [acc] "+r"(acc), [wa] "=&r"(wa),
          [wb] "=&r"(wb), [ta] "=&r"(ta), [tb] "=&r"(tb)
        :
        : "cc", "memory");
  }
  for (int32_t k = 0; k < (n & 3); ++k) {
    acc += static_cast<int32_t>(a[k]) * static_cast<int32_t>(b[k]);
  }
  return acc;
}

}  // namespace

void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end) {
  // A lambda, not the function pointer: its call inlines into the row loop.
  matvec_q8_rows(out, w, w_scales, xq, x_scales, cols, group_size, row_begin, row_end,
                 [](const int8_t* a, const int8_t* b, int32_t n) { return dot_q8(a, b, n); });
}

}  // namespace llmcu::kernels::cortex_m

#endif  // LLMCU_KERNELS_CORTEX_M
