// Armv7E-M int8 kernels (Cortex-M4/M7 DSP extension), bit-exact with ref:
// the group dot products are integers, summed exactly in any order, and each
// row combines its groups in ref's order with ref's expression
// sum += ((float)isum * w_scale) * x_scale, one rounding per operation.
//
// Where the instructions go (counted under QEMU, firmware/cortex-m/README.md).
// SMLAD multiplies two pairs of signed halfwords and adds both products to an
// int32 sum; SXTB16 sign-extends bytes 0 and 2 of a word (rotated by 8: bytes
// 1 and 3) into such a pair. A word of four int8 weights therefore costs two
// SXTB16 and two SMLAD, which is the floor of this instruction set: one
// instruction per multiply-add. Everything else is amortised:
//   - the input is sign-extended once per matvec (per chunk of columns, on
//     the stack), not once per row: words (x0, x2) and (x1, x3) per 4 values;
//   - two rows go together, so each load of the extended input serves both;
//     word-aligned rows load 8 weights with one LDRD (else two LDR);
//   - word-aligned rows with groups of 16, 32 or 64 run a loop written whole
//     in assembly (llmcu_q8_pairs_gN for rows of one group, as stories260K's
//     matrices but w2; llmcu_q8_pairs_acc_gN one group at a time for longer
//     rows): 19 instructions per 16 multiply-adds, ~25 per pair and group of
//     float work and loop, ~1.41 instructions per multiply-add over a token;
//   - group sizes that are multiples of 8 take this path (llmcu files: 64 by
//     default); others (4, llama2.c's only choice for stories260K) go group by
//     group, four values per SMLAD pair.
// The fp32 matvec (VLDM + VMLA) costs ~1.4 instructions per multiply-add:
// on this core int8 saves memory, not instructions (in cycles it is the
// cheaper: SMLAD takes one, VMLA up to three).
#include <arm_acle.h>

#include <cmath>
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

inline float load_scale(const uint8_t* scales, size_t index) {
  float s;
  memcpy(&s, scales + index * sizeof(float), sizeof(s));
  return s;
}

// The int32 dot product of n int8 values, a word at a time.
int32_t dot_q8(const int8_t* a, const int8_t* b, int32_t n) {
  int32_t acc = 0;
  int32_t k = 0;
  for (; k + 4 <= n; k += 4) {
    const uint32_t wa = load_word(a + k), wb = load_word(b + k);
    acc = __smlad(__sxtb16(wa), __sxtb16(wb), acc);
    acc = __smlad(odd_bytes(wa), odd_bytes(wb), acc);
  }
  for (; k < n; ++k) acc += static_cast<int32_t>(a[k]) * static_cast<int32_t>(b[k]);
  return acc;
}

// Group sizes that are not multiples of 8: one group of one row at a time.
void matvec_by_group(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
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

// Values of the input sign-extended at a time: 1 KB of stack.
constexpr int32_t kChunk = 256;

// xe[2k] = (x[4k], x[4k+2]), xe[2k+1] = (x[4k+1], x[4k+3]) as halfword pairs.
void extend_input(uint32_t* xe, const int8_t* x, int32_t n) {
  for (int32_t k = 0; k < n; k += 4, xe += 2) {
    const uint32_t v = load_word(x + k);
    xe[0] = __sxtb16(v);
    xe[1] = odd_bytes(v);
  }
}

// Dot products of one group (gs a multiple of 8) of rows a and b with the
// extended input.
inline void dot2(const int8_t* a, const int8_t* b, const uint32_t* xe, int32_t gs, int32_t* sa,
                 int32_t* sb) {
  int32_t acc_a = 0, acc_b = 0;
  for (int32_t k = 0; k < gs; k += 8, xe += 4) {
    const uint32_t a0 = load_word(a + k), a1 = load_word(a + k + 4);
    const uint32_t b0 = load_word(b + k), b1 = load_word(b + k + 4);
    const uint32_t x0 = xe[0], x1 = xe[1], x2 = xe[2], x3 = xe[3];
    acc_a = __smlad(__sxtb16(a0), x0, acc_a);
    acc_b = __smlad(__sxtb16(b0), x0, acc_b);
    acc_a = __smlad(odd_bytes(a0), x1, acc_a);
    acc_b = __smlad(odd_bytes(b0), x1, acc_b);
    acc_a = __smlad(__sxtb16(a1), x2, acc_a);
    acc_b = __smlad(__sxtb16(b1), x2, acc_b);
    acc_a = __smlad(odd_bytes(a1), x3, acc_a);
    acc_b = __smlad(odd_bytes(b1), x3, acc_b);
  }
  *sa = acc_a;
  *sb = acc_b;
}

// As dot2 for a group size known at compile time, in assembly with the
// loop unrolled: per 4 values, one LDRD of extended input and, per row, one
// LDR of weights, two SXTB16 and two SMLAD; 11 instructions for 8
// multiply-adds. a, b and xe are left at the next group. Written out because
// GCC 12 neither keeps the pointers in registers around the loop nor pairs
// the input loads.
#define LLMCU_Q8_STEP                         \
  "ldrd %[x0], %[x1], [%[xe]], #8\n\t"        \
  "ldr %[w], [%[a]], #4\n\t"                  \
  "sxtb16 %[t], %[w]\n\t"                     \
  "smlad %[acc_a], %[t], %[x0], %[acc_a]\n\t" \
  "sxtb16 %[t], %[w], ror #8\n\t"             \
  "smlad %[acc_a], %[t], %[x1], %[acc_a]\n\t" \
  "ldr %[w], [%[b]], #4\n\t"                  \
  "sxtb16 %[t], %[w]\n\t"                     \
  "smlad %[acc_b], %[t], %[x0], %[acc_b]\n\t" \
  "sxtb16 %[t], %[w], ror #8\n\t"             \
  "smlad %[acc_b], %[t], %[x1], %[acc_b]\n\t"

// 16 values of rows a and b: acc_a, acc_b += their dot products with xe;
// a, b and xe move past them.
inline void dot2_16(const int8_t*& a, const int8_t*& b, const uint32_t*& xe, int32_t& acc_a,
                    int32_t& acc_b) {
  uint32_t w, x0, x1, t;
  __asm__(LLMCU_Q8_STEP LLMCU_Q8_STEP LLMCU_Q8_STEP LLMCU_Q8_STEP
          : [a] "+r"(a), [b] "+r"(b), [xe] "+r"(xe), [acc_a] "+r"(acc_a), [acc_b] "+r"(acc_b),
            [w] "=&r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [t] "=&r"(t)
          : "m"(*a), "m"(*b), "m"(*xe));
}
#undef LLMCU_Q8_STEP

// The integer dot products of one group of kGs values of rows a and b (a
// and b move to the next group, xe past the group).
template <int kGs>
inline void dot2_group(const int8_t*& a, const int8_t*& b, const uint32_t*& xe, int32_t& acc_a,
                       int32_t& acc_b) {
  acc_a = 0;
  acc_b = 0;
  for (int i = 0; i < kGs / 16; ++i) dot2_16(a, b, xe, acc_a, acc_b);
}

// Row pairs [r, r_end) over the groups [g0, g_end) of one extended chunk,
// for a group size known at compile time, when the rows are not
// word-aligned (version-2 files; the assembly below loads them with LDRD,
// which would fault); first: the chunk starts the rows. Each row's float work
// per group is ref's: convert, two multiplies, an add.
template <int kGs>
int32_t row_pairs(float* out, const int8_t* w, const uint8_t* w_scales, const uint32_t* xe,
                  const float* x_scales, int32_t cols, int32_t groups, int32_t g0, int32_t g_end,
                  int32_t r, int32_t r_end, bool first) {
  const auto row_scales = static_cast<size_t>(groups) * 4;
  const int8_t* wa =
      w + static_cast<size_t>(r) * static_cast<size_t>(cols) + static_cast<size_t>(g0) * kGs;
  const uint8_t* sa = w_scales + static_cast<size_t>(r) * row_scales + static_cast<size_t>(g0) * 4;
  float* o = out + r;
  const int32_t pairs = (r_end - r) / 2;
  const size_t pair_step = 2 * static_cast<size_t>(cols);
  if (g_end - g0 == 1) {
    // One group per row in this chunk (rows of 64 with groups of 64): one scale per row.
    const float xs = x_scales[g0];
    for (int32_t p = 0; p < pairs; ++p, wa += pair_step, sa += 2 * row_scales, o += 2) {
      const int8_t* pa = wa;
      const int8_t* pb = wa + cols;
      const uint32_t* px = xe;
      int32_t acc_a, acc_b;
      dot2_group<kGs>(pa, pb, px, acc_a, acc_b);
      const float pa_sum = static_cast<float>(acc_a) * load_scale(sa, 0) * xs;
      const float pb_sum = static_cast<float>(acc_b) * load_scale(sa + row_scales, 0) * xs;
      o[0] = (first ? 0.0f : o[0]) + pa_sum;
      o[1] = (first ? 0.0f : o[1]) + pb_sum;
    }
    return r + 2 * pairs;
  }
  const int32_t n_groups = g_end - g0;
  for (int32_t p = 0; p < pairs; ++p, wa += pair_step, sa += 2 * row_scales, o += 2) {
    const int8_t* pa = wa;
    const int8_t* pb = wa + cols;
    const uint32_t* px = xe;
    const uint8_t* ps = sa;
    const float* xs = x_scales + g0;
    float ta = first ? 0.0f : o[0], tb = first ? 0.0f : o[1];
    for (int32_t g = 0; g < n_groups; ++g, ps += 4, ++xs) {
      int32_t acc_a, acc_b;
      dot2_group<kGs>(pa, pb, px, acc_a, acc_b);
      ta += static_cast<float>(acc_a) * load_scale(ps, 0) * *xs;
      tb += static_cast<float>(acc_b) * load_scale(ps + row_scales, 0) * *xs;
    }
    o[0] = ta;
    o[1] = tb;
  }
  return r + 2 * pairs;
}

// Word-aligned rows in pairs, group sizes 16, 32 and 64: the whole loop in
// assembly, so that its fourteen registers stay registers. Rows of exactly
// one group (cols == group size: every matrix of stories260K but w2):
//   llmcu_q8_pairs_gN(out, w, w_scales, xe, pairs, x_scale)
// out[2p], out[2p + 1] = 0.0f + ((float)dot * w_scale) * x_scale for rows 2p
// and 2p + 1 of w, pairs >= 1; r0 out, r1 row a, r2 scales, r3 xe, r4 row
// b, r5/r6 the sums, r7-r10 four words (8 values) of extended input, r11/r12
// eight weights, lr the extended pair. Per pair and 8 columns, 19
// instructions for 16 multiply-adds: one LDM of input, and per row one LDRD,
// four SXTB16 and four SMLAD (the first of each sum an SMUAD, so no
// zeroing); then per pair 15 of float work (ref's: convert, two multiplies,
// the add to 0.0f) and 6 of loop.
extern "C" {
void llmcu_q8_pairs_g16(float* out, const int8_t* w, const uint8_t* w_scales, const uint32_t* xe,
                        int32_t pairs, float x_scale);
void llmcu_q8_pairs_g32(float* out, const int8_t* w, const uint8_t* w_scales, const uint32_t* xe,
                        int32_t pairs, float x_scale);
void llmcu_q8_pairs_g64(float* out, const int8_t* w, const uint8_t* w_scales, const uint32_t* xe,
                        int32_t pairs, float x_scale);
// Rows of several groups: one group g of each row pair, added to the running
// sums out[] (zeroed before the first group, so each row adds its groups in
// ref's order: ((0.0f + t0) + t1) + ...). w and w_scales point at group g of
// the first row, xe at the group's extended input.
struct Q8PairStrides {
  int32_t row_advance;    // 2 * cols - group size: row a's end to the next pair's
  int32_t scale_b;        // row b's scale from row a's + 4: groups * 4 - 4
  int32_t scale_advance;  // 2 * groups * 4 - 4
};
void llmcu_q8_pairs_acc_g16(float* out, const int8_t* w, const uint8_t* w_scales,
                            const uint32_t* xe, int32_t pairs, float x_scale,
                            const Q8PairStrides* strides);
void llmcu_q8_pairs_acc_g32(float* out, const int8_t* w, const uint8_t* w_scales,
                            const uint32_t* xe, int32_t pairs, float x_scale,
                            const Q8PairStrides* strides);
void llmcu_q8_pairs_acc_g64(float* out, const int8_t* w, const uint8_t* w_scales,
                            const uint32_t* xe, int32_t pairs, float x_scale,
                            const Q8PairStrides* strides);
}
__asm__(
    ".macro LLMCU_Q8_ROWS8 op\n"
    "  ldmia r3!, {r7-r10}\n"
    "  ldrd r11, r12, [r1], #8\n"
    "  sxtb16 lr, r11\n"
    "  .ifc \\op, smuad\n"
    "  smuad r5, lr, r7\n"
    "  .else\n"
    "  smlad r5, lr, r7, r5\n"
    "  .endif\n"
    "  sxtb16 lr, r11, ror #8\n"
    "  smlad r5, lr, r8, r5\n"
    "  sxtb16 lr, r12\n"
    "  smlad r5, lr, r9, r5\n"
    "  sxtb16 lr, r12, ror #8\n"
    "  smlad r5, lr, r10, r5\n"
    "  ldrd r11, r12, [r4], #8\n"
    "  sxtb16 lr, r11\n"
    "  .ifc \\op, smuad\n"
    "  smuad r6, lr, r7\n"
    "  .else\n"
    "  smlad r6, lr, r7, r6\n"
    "  .endif\n"
    "  sxtb16 lr, r11, ror #8\n"
    "  smlad r6, lr, r8, r6\n"
    "  sxtb16 lr, r12\n"
    "  smlad r6, lr, r9, r6\n"
    "  sxtb16 lr, r12, ror #8\n"
    "  smlad r6, lr, r10, r6\n"
    ".endm\n"
    ".macro LLMCU_Q8_PAIRS name, gs\n"
    "  .section .text.\\name,\"ax\",%progbits\n"
    "  .syntax unified\n"
    "  .thumb\n"
    "  .align 2\n"
    "  .global \\name\n"
    "  .hidden \\name\n"
    "  .type \\name, %function\n"
    "  .thumb_func\n"
    "\\name:\n"
    "  push {r4-r11, lr}\n"
    "  ldr r4, [sp, #36]\n"       // pairs
    "  add r4, r0, r4, lsl #3\n"  // out + 2 * pairs
    "  vmov s1, r4\n"
    "  movs r4, #0\n"
    "  vmov s6, r4\n"        // +0.0f
    "  add r4, r1, #\\gs\n"  // row b
    "1:\n"
    "  LLMCU_Q8_ROWS8 smuad\n"
    "  .rept \\gs / 8 - 1\n"
    "  LLMCU_Q8_ROWS8 smlad\n"
    "  .endr\n"
    "  vmov s2, r5\n"
    "  vmov s4, r6\n"
    "  ldr r5, [r2], #4\n"
    "  ldr r6, [r2], #4\n"
    "  vcvt.f32.s32 s2, s2\n"
    "  vcvt.f32.s32 s4, s4\n"
    "  vmov s3, r5\n"
    "  vmov s5, r6\n"
    "  vmul.f32 s2, s2, s3\n"
    "  vmul.f32 s4, s4, s5\n"
    "  vmul.f32 s2, s2, s0\n"
    "  vmul.f32 s3, s4, s0\n"
    "  vadd.f32 s2, s6, s2\n"
    "  vadd.f32 s3, s6, s3\n"
    "  vstmia r0!, {s2-s3}\n"
    "  sub r3, r3, #2 * \\gs\n"  // xe back to the group's start
    "  mov r1, r4\n"             // the next pair follows row b
    "  add r4, r4, #\\gs\n"
    "  vmov r5, s1\n"
    "  cmp r0, r5\n"
    "  bne 1b\n"
    "  pop {r4-r11, pc}\n"
    "  .size \\name, . - \\name\n"
    "  .text\n"
    ".endm\n"
    ".macro LLMCU_Q8_PAIRS_ACC name, gs\n"
    "  .section .text.\\name,\"ax\",%progbits\n"
    "  .syntax unified\n"
    "  .thumb\n"
    "  .align 2\n"
    "  .global \\name\n"
    "  .hidden \\name\n"
    "  .type \\name, %function\n"
    "  .thumb_func\n"
    "\\name:\n"
    "  push {r4-r11, lr}\n"
    "  ldr r4, [sp, #36]\n"       // pairs
    "  add r4, r0, r4, lsl #3\n"  // out + 2 * pairs
    "  vmov s1, r4\n"
    "  ldr r4, [sp, #40]\n"   // strides
    "  vldmia r4, {s7-s9}\n"  // row_advance, scale_b, scale_advance
    "  ldr r4, [sp, #40]\n"
    "  ldr r4, [r4]\n"
    "  add r4, r4, #\\gs\n"       // cols = (row_advance + gs) / 2
    "  add r4, r1, r4, lsr #1\n"  // row b
    "1:\n"
    "  LLMCU_Q8_ROWS8 smuad\n"
    "  .rept \\gs / 8 - 1\n"
    "  LLMCU_Q8_ROWS8 smlad\n"
    "  .endr\n"
    "  vmov s2, r5\n"
    "  vmov s4, r6\n"
    "  vmov r6, s8\n"
    "  ldr r5, [r2], #4\n"
    "  ldr r6, [r2, r6]\n"
    "  vcvt.f32.s32 s2, s2\n"
    "  vcvt.f32.s32 s4, s4\n"
    "  vmov s3, r5\n"
    "  vmov s5, r6\n"
    "  vmul.f32 s2, s2, s3\n"
    "  vmul.f32 s4, s4, s5\n"
    "  vmul.f32 s2, s2, s0\n"
    "  vmul.f32 s3, s4, s0\n"
    "  vldmia r0, {s4-s5}\n"
    "  vadd.f32 s2, s4, s2\n"
    "  vadd.f32 s3, s5, s3\n"
    "  vstmia r0!, {s2-s3}\n"
    "  vmov r5, s9\n"
    "  add r2, r2, r5\n"
    "  sub r3, r3, #2 * \\gs\n"
    "  vmov r5, s7\n"
    "  add r1, r1, r5\n"
    "  add r4, r4, r5\n"
    "  vmov r5, s1\n"
    "  cmp r0, r5\n"
    "  bne 1b\n"
    "  pop {r4-r11, pc}\n"
    "  .size \\name, . - \\name\n"
    "  .text\n"
    ".endm\n"
    "LLMCU_Q8_PAIRS llmcu_q8_pairs_g16, 16\n"
    "LLMCU_Q8_PAIRS llmcu_q8_pairs_g32, 32\n"
    "LLMCU_Q8_PAIRS llmcu_q8_pairs_g64, 64\n"
    "LLMCU_Q8_PAIRS_ACC llmcu_q8_pairs_acc_g16, 16\n"
    "LLMCU_Q8_PAIRS_ACC llmcu_q8_pairs_acc_g32, 32\n"
    "LLMCU_Q8_PAIRS_ACC llmcu_q8_pairs_acc_g64, 64\n"
    ".purgem LLMCU_Q8_PAIRS_ACC\n"
    ".purgem LLMCU_Q8_PAIRS\n"
    ".purgem LLMCU_Q8_ROWS8\n");

template <int kGs>
void q8_pairs_asm(float* out, const int8_t* w, const uint8_t* w_scales, const uint32_t* xe,
                  int32_t pairs, float x_scale) {
  if constexpr (kGs == 16) {
    llmcu_q8_pairs_g16(out, w, w_scales, xe, pairs, x_scale);
  } else if constexpr (kGs == 32) {
    llmcu_q8_pairs_g32(out, w, w_scales, xe, pairs, x_scale);
  } else {
    llmcu_q8_pairs_g64(out, w, w_scales, xe, pairs, x_scale);
  }
}

template <int kGs>
void q8_pairs_acc_asm(float* out, const int8_t* w, const uint8_t* w_scales, const uint32_t* xe,
                      int32_t pairs, float x_scale, const Q8PairStrides* strides) {
  if constexpr (kGs == 16) {
    llmcu_q8_pairs_acc_g16(out, w, w_scales, xe, pairs, x_scale, strides);
  } else if constexpr (kGs == 32) {
    llmcu_q8_pairs_acc_g32(out, w, w_scales, xe, pairs, x_scale, strides);
  } else {
    llmcu_q8_pairs_acc_g64(out, w, w_scales, xe, pairs, x_scale, strides);
  }
}

// The assembly when every row starts on a word, else row_pairs; returns the
// row after the last pair (r_end - 1 for an odd count: that row is left).
template <int kGs>
int32_t row_pairs_any(float* out, const int8_t* w, const uint8_t* w_scales, const uint32_t* xe,
                      const float* x_scales, int32_t cols, int32_t groups, int32_t g0,
                      int32_t g_end, int32_t r, int32_t r_end, bool first) {
  if (((reinterpret_cast<uintptr_t>(w) | static_cast<uintptr_t>(cols)) & 3) == 0) {
    if (groups == 1 && r_end - r >= 2) {
      const int32_t pairs = (r_end - r) / 2;
      q8_pairs_asm<kGs>(out + r, w + static_cast<size_t>(r) * kGs,
                        w_scales + static_cast<size_t>(r) * 4, xe, pairs, x_scales[0]);
      return r + 2 * pairs;
    }
    if (r_end - r >= 2) {
      const int32_t pairs = (r_end - r) / 2;
      const Q8PairStrides strides = {2 * cols - kGs, groups * 4 - 4, 2 * groups * 4 - 4};
      float* o = out + r;
      if (first) memset(o, 0, static_cast<size_t>(2 * pairs) * sizeof(float));  // +0.0f
      const int8_t* wg =
          w + static_cast<size_t>(r) * static_cast<size_t>(cols) + static_cast<size_t>(g0) * kGs;
      const uint8_t* sg =
          w_scales + (static_cast<size_t>(r) * static_cast<size_t>(groups) + g0) * 4;
      const uint32_t* xg = xe;
      for (int32_t g = g0; g < g_end; ++g, wg += kGs, sg += 4, xg += kGs / 2) {
        q8_pairs_acc_asm<kGs>(o, wg, sg, xg, pairs, x_scales[g], &strides);
      }
      return r + 2 * pairs;
    }
    return r;
  }
  return row_pairs<kGs>(out, w, w_scales, xe, x_scales, cols, groups, g0, g_end, r, r_end, first);
}

inline int32_t dot1(const int8_t* a, const uint32_t* xe, int32_t gs) {
  int32_t acc = 0;
  for (int32_t k = 0; k < gs; k += 4, xe += 2) {
    const uint32_t v = load_word(a + k);
    acc = __smlad(__sxtb16(v), xe[0], acc);
    acc = __smlad(odd_bytes(v), xe[1], acc);
  }
  return acc;
}

// Group sizes that are multiples of 8 (up to kChunk): the columns in chunks
// of whole groups, the input extended once per chunk, rows in pairs. A row's
// running sum waits in out[] between chunks, so its groups still add in order.
void matvec_extended(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
                     const float* x_scales, int32_t cols, int32_t gs, int32_t row_begin,
                     int32_t row_end) {
  uint32_t xe[kChunk / 2];
  const int32_t groups = cols / gs;

  const int32_t chunk = kChunk / gs * gs;
  for (int32_t c0 = 0; c0 < cols; c0 += chunk) {
    const int32_t n = cols - c0 < chunk ? cols - c0 : chunk;
    extend_input(xe, xq + c0, n);
    const int32_t g0 = c0 / gs, g_end = g0 + n / gs;
    int32_t r = row_begin;
    const bool first = c0 == 0;
    switch (gs) {
      case 16:
        r = row_pairs_any<16>(out, w, w_scales, xe, x_scales, cols, groups, g0, g_end, r, row_end,
                              first);
        break;
      case 32:
        r = row_pairs_any<32>(out, w, w_scales, xe, x_scales, cols, groups, g0, g_end, r, row_end,
                              first);
        break;
      case 64:
        r = row_pairs_any<64>(out, w, w_scales, xe, x_scales, cols, groups, g0, g_end, r, row_end,
                              first);
        break;
      default:
        for (; r + 2 <= row_end; r += 2) {
          const int8_t* wa = w + static_cast<size_t>(r) * static_cast<size_t>(cols) + c0;
          const int8_t* wb = wa + cols;
          const uint8_t* sa_row =
              w_scales + static_cast<size_t>(r) * static_cast<size_t>(groups) * 4;
          const uint8_t* sb_row = sa_row + static_cast<size_t>(groups) * 4;
          float sum_a = first ? 0.0f : out[r];
          float sum_b = first ? 0.0f : out[r + 1];
          const uint32_t* xg = xe;
          for (int32_t g = g0; g < g_end; ++g, wa += gs, wb += gs, xg += gs / 2) {
            int32_t acc_a, acc_b;
            dot2(wa, wb, xg, gs, &acc_a, &acc_b);
            const float xs = x_scales[g];
            sum_a += static_cast<float>(acc_a) * load_scale(sa_row, static_cast<size_t>(g)) * xs;
            sum_b += static_cast<float>(acc_b) * load_scale(sb_row, static_cast<size_t>(g)) * xs;
          }
          out[r] = sum_a;
          out[r + 1] = sum_b;
        }
    }
    if (r < row_end) {
      const int8_t* wa = w + static_cast<size_t>(r) * static_cast<size_t>(cols) + c0;
      const uint8_t* sa_row = w_scales + static_cast<size_t>(r) * static_cast<size_t>(groups) * 4;
      float sum = c0 == 0 ? 0.0f : out[r];
      const uint32_t* xg = xe;
      for (int32_t g = g0; g < g_end; ++g, wa += gs, xg += gs / 2) {
        sum += static_cast<float>(dot1(wa, xg, gs)) * load_scale(sa_row, static_cast<size_t>(g)) *
               x_scales[g];
      }
      out[r] = sum;
    }
  }
}

// roundf(v) for |v| < 2^29, from one truncation: t = trunc(2v) (2v is exact;
// VCVT rounds toward zero), and
//   v >= 0: roundf(v) = floor(v + 1/2) = floor((floor(2v) + 1) / 2) = (t + 1) >> 1
//   v < 0:  roundf(v) = -((-t + 1) >> 1) = t >> 1   (arithmetic shifts)
// so roundf(v) = (t + 1 + (t >> 31)) >> 1: VCVT, VMOV and three integer
// instructions. NaN converts to 0, as ref maps it.
inline int32_t round_half_away(float v) {
  const auto t = static_cast<int32_t>(v + v);
  return (t + 1 + (t >> 31)) >> 1;
}

}  // namespace

void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end) {
  if (group_size % 8 == 0 && group_size <= kChunk) {
    matvec_extended(out, w, w_scales, xq, x_scales, cols, group_size, row_begin, row_end);
  } else {
    matvec_by_group(out, w, w_scales, xq, x_scales, cols, group_size, row_begin, row_end);
  }
}

namespace {

// max |x[i]| over n values as ref finds it (+0.0f when there are none), from
// the bits: floats that are not NaN order by magnitude as their bit patterns
// shifted left once (the sign dropped) order as unsigned integers, and +-0.0f
// give 0. CMP with a shifted operand and a conditional LSL: 4 instructions a
// value. A NaN (above 0xFF000000 once shifted), which ref's comparisons skip,
// sends the group to those comparisons.
float max_abs(const float* x, int32_t n) {
  uint32_t m = 0;
  const float* p = x;
  if (int32_t blocks = n >> 2; blocks > 0) {
    uint32_t a, b, c, d;
    __asm__(
        "1:\n\t"
        "ldrd %[a], %[b], [%[p]], #8\n\t"
        "ldrd %[c], %[d], [%[p]], #8\n\t"
        "cmp.w %[m], %[a], lsl #1\n\t"
        "it lo\n\t"
        "lsllo %[m], %[a], #1\n\t"
        "cmp.w %[m], %[b], lsl #1\n\t"
        "it lo\n\t"
        "lsllo %[m], %[b], #1\n\t"
        "cmp.w %[m], %[c], lsl #1\n\t"
        "it lo\n\t"
        "lsllo %[m], %[c], #1\n\t"
        "cmp.w %[m], %[d], lsl #1\n\t"
        "it lo\n\t"
        "lsllo %[m], %[d], #1\n\t"
        "subs %[blocks], %[blocks], #1\n\t"
        "bne 1b"
        : [p] "+r"(p), [blocks] "+r"(blocks), [m] "+r"(m), [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c),
          [d] "=&r"(d)
        : "m"(*(const float(*)[])x)
        : "cc");
  }
  for (int32_t i = 0; i < (n & 3); ++i) {
    uint32_t bits;
    memcpy(&bits, p + i, sizeof bits);
    bits <<= 1;
    if (bits > m) m = bits;
  }
  if (m > 0xFF000000u) {
    float wmax = 0.0f;
    for (int32_t i = 0; i < n; ++i) {
      const float v = fabsf(x[i]);
      if (v > wmax) wmax = v;
    }
    return wmax;
  }
  m >>= 1;
  float wmax;
  memcpy(&wmax, &m, sizeof wmax);
  return wmax;
}

// q[i] = roundf(x[i] / scale) for i < n (round_half_away), four values at a
// time: VDIV (ref's division), VCVT to fixed point with one fraction bit
// (trunc(2v) in one instruction), then the three integer steps per value.
void quantize_values(int8_t* q, const float* x, int32_t n, float scale) {
  if (int32_t blocks = n >> 2; blocks > 0) {
    uint32_t a, b, c, d;
    __asm__ volatile(
        "1:\n\t"
        "vldmia %[x]!, {s0-s3}\n\t"
        "vdiv.f32 s0, s0, %[scale]\n\t"
        "vdiv.f32 s1, s1, %[scale]\n\t"
        "vdiv.f32 s2, s2, %[scale]\n\t"
        "vdiv.f32 s3, s3, %[scale]\n\t"
        "vcvt.s32.f32 s0, s0, #1\n\t"
        "vcvt.s32.f32 s1, s1, #1\n\t"
        "vcvt.s32.f32 s2, s2, #1\n\t"
        "vcvt.s32.f32 s3, s3, #1\n\t"
        "vmov %[a], %[b], s0, s1\n\t"
        "vmov %[c], %[d], s2, s3\n\t"
        "add %[a], %[a], %[a], asr #31\n\t"
        "add %[b], %[b], %[b], asr #31\n\t"
        "add %[c], %[c], %[c], asr #31\n\t"
        "add %[d], %[d], %[d], asr #31\n\t"
        "add %[a], %[a], #1\n\t"
        "add %[b], %[b], #1\n\t"
        "add %[c], %[c], #1\n\t"
        "add %[d], %[d], #1\n\t"
        "asr %[a], %[a], #1\n\t"
        "asr %[b], %[b], #1\n\t"
        "asr %[c], %[c], #1\n\t"
        "asr %[d], %[d], #1\n\t"
        "strb %[a], [%[q]], #1\n\t"
        "strb %[b], [%[q]], #1\n\t"
        "strb %[c], [%[q]], #1\n\t"
        "strb %[d], [%[q]], #1\n\t"
        "subs %[blocks], %[blocks], #1\n\t"
        "bne 1b"
        : [x] "+r"(x), [q] "+r"(q), [blocks] "+r"(blocks), [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c),
          [d] "=&r"(d)
        : [scale] "t"(scale)
        : "s0", "s1", "s2", "s3", "cc", "memory");
  }
  for (int32_t i = 0; i < (n & 3); ++i) q[i] = static_cast<int8_t>(round_half_away(x[i] / scale));
}

}  // namespace

void quantize_q8(int8_t* q, float* scales, const float* x, int32_t n, int32_t group_size) {
  for (int32_t g = 0, j = 0; j < n; ++g, j += group_size) {
    const float* xg = x + j;
    int8_t* qg = q + j;
    const int32_t len = n - j < group_size ? n - j : group_size;
    if (len < group_size) memset(qg + len, 0, static_cast<size_t>(group_size - len));
    const float scale = max_abs(xg, len) / 127.0f;
    scales[g] = scale;
    if (scale == 0.0f) {
      memset(qg, 0, static_cast<size_t>(len));
      continue;
    }
    // |x / scale| <= 127 (plus rounding), well inside int32.
    quantize_values(qg, xg, len, scale);
  }
}

}  // namespace llmcu::kernels::cortex_m
