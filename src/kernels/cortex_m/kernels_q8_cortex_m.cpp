// Armv7E-M int8 matvec (Cortex-M4/M7 DSP extension), bit-exact with
// ref::matvec_q8: the group dot products are integers, summed exactly in any
// order, and the groups are combined in ref's order with ref's expression.
// (That row loop is written out here and in ref on purpose: shared through a
// template, GCC 12 spilled ref's three-instruction byte loop to the stack on
// Cortex-M and doubled its instruction count.)
//
// Where the instructions go. ref's inner loop is ldrsb, ldrsb, mla and the
// loop counter, five instructions per multiply-add. Here one word load brings
// four int8 values; SXTB16 sign-extends bytes 0 and 2 (and, rotated, 1 and 3)
// into two halfwords, and SMLAD multiplies both halfword pairs and adds the
// two products to the sum: four values of each side in 2 loads, 4 SXTB16
// and 2 SMLAD.
#include <arm_acle.h>

#include <cstring>

#include "kernels/cortex_m/family.h"

namespace llmcu::kernels::cortex_m {
namespace {

inline uint32_t load_word(const int8_t* p) {
  uint32_t w;
  memcpy(&w, p, sizeof w);  // one LDR: Armv7-M loads unaligned words
  return w;
}

// Bytes 1 and 3 of x, sign-extended to halfwords (SXTB16 with its rotation,
// which GCC does not fold from a separate rotate).
inline uint32_t odd_bytes(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}

int32_t dot_q8(const int8_t* a, const int8_t* b, int32_t n) {
  int32_t acc = 0;
  int32_t k = 0;
  for (; k + 4 <= n; k += 4) {  // a word at a time: group sizes can be as small as 4
    const uint32_t wa = load_word(a + k), wb = load_word(b + k);
    acc = __smlad(__sxtb16(wa), __sxtb16(wb), acc);
    acc = __smlad(odd_bytes(wa), odd_bytes(wb), acc);
  }
  for (; k < n; ++k) acc += static_cast<int32_t>(a[k]) * static_cast<int32_t>(b[k]);
  return acc;
}

inline float load_scale(const uint8_t* scales, size_t index) {
  float s;
  memcpy(&s, scales + index * sizeof(float), sizeof(s));
  return s;
}

}  // namespace

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
      const int32_t acc = dot_q8(wr + j, xq + j, group_size);
      sum += static_cast<float>(acc) * load_scale(w_scales, scale_row + g) * x_scales[g];
    }
    out[r] = sum;
  }
}

}  // namespace llmcu::kernels::cortex_m
