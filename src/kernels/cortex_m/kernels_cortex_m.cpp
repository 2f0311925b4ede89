// Cortex-M4F/M7 kernels (family.h says which are exact and why).
//
// Where the instructions go. ref's dot loop compiles to vldmia, vldmia, vmul,
// vadd, cmp, bne: six instructions per multiply-add. Here VLDM loads eight
// floats with one instruction and VMLA multiplies and adds in one; matvec
// works on two rows at once so each block of x is loaded once for both, 16
// columns per loop iteration: 40 instructions per 32 multiply-adds. The
// attention kernels keep one head's query or output (head_size 8) in
// registers across all positions (~15 instructions per position each), and
// attention_heads takes the two query heads of a kv head together (~12 per
// position and head each). SiLU runs fast_exp as assembly (~21 instructions
// against ~72 for newlib's expf, or ~40 for GCC's code of fast_exp in a loop
// short of registers); softmax runs softmax_exp, from a table (18).
//
// The running sums are single dependency chains, which a real M4 pays for in
// stall cycles (VMLA latency); splitting them into several accumulators would
// hide that but change the rounding, and these kernels must print exactly
// the reference text.
#include <cstring>

#include "kernels/cortex_m/family.h"
#include "kernels/cortex_m/fast_exp.h"

namespace llmcu::kernels::cortex_m {
namespace {

// sum += a[i] * b[i] for i in [0, n), in index order; advances a and b past
// the n values. s0-s15 are caller-saved: these blocks need no register saves.
inline float dot_accumulate(float sum, const float*& a, const float*& b, int32_t n) {
  if (int32_t blocks = n >> 3; blocks > 0) {
    __asm__ volatile(
        "1:\n\t"
        "vldmia %[a]!, {s0-s7}\n\t"
        "vldmia %[b]!, {s8-s15}\n\t"
        "vmla.f32 %[sum], s0, s8\n\t"
        "vmla.f32 %[sum], s1, s9\n\t"
        "vmla.f32 %[sum], s2, s10\n\t"
        "vmla.f32 %[sum], s3, s11\n\t"
        "vmla.f32 %[sum], s4, s12\n\t"
        "vmla.f32 %[sum], s5, s13\n\t"
        "vmla.f32 %[sum], s6, s14\n\t"
        "vmla.f32 %[sum], s7, s15\n\t"
        "subs %[blocks], %[blocks], #1\n\t"
        "bne 1b"
        : [a] "+r"(a), [b] "+r"(b), [blocks] "+r"(blocks), [sum] "+t"(sum)
        :
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13",
          "s14", "s15", "cc", "memory");
  }
  if (n & 4) {
    __asm__ volatile(
        "vldmia %[a]!, {s0-s3}\n\t"
        "vldmia %[b]!, {s8-s11}\n\t"
        "vmla.f32 %[sum], s0, s8\n\t"
        "vmla.f32 %[sum], s1, s9\n\t"
        "vmla.f32 %[sum], s2, s10\n\t"
        "vmla.f32 %[sum], s3, s11"
        : [a] "+r"(a), [b] "+r"(b), [sum] "+t"(sum)
        :
        : "s0", "s1", "s2", "s3", "s8", "s9", "s10", "s11", "memory");
  }
  for (int32_t i = 0; i < (n & 3); ++i) sum += *a++ * *b++;
  return sum;
}

// One block of 8 columns of two rows: x[0..8) into s8-s15, the rows into s0-s7
// and s16-s23, then the 16 multiply-adds, each row's in column order.
#define LLMCU_DOT2_BLOCK8          \
  "vldmia %[x]!, {s8-s15}\n\t"     \
  "vldmia %[w0]!, {s0-s7}\n\t"     \
  "vldmia %[w1]!, {s16-s23}\n\t"   \
  "vmla.f32 %[sum0], s0, s8\n\t"   \
  "vmla.f32 %[sum1], s16, s8\n\t"  \
  "vmla.f32 %[sum0], s1, s9\n\t"   \
  "vmla.f32 %[sum1], s17, s9\n\t"  \
  "vmla.f32 %[sum0], s2, s10\n\t"  \
  "vmla.f32 %[sum1], s18, s10\n\t" \
  "vmla.f32 %[sum0], s3, s11\n\t"  \
  "vmla.f32 %[sum1], s19, s11\n\t" \
  "vmla.f32 %[sum0], s4, s12\n\t"  \
  "vmla.f32 %[sum1], s20, s12\n\t" \
  "vmla.f32 %[sum0], s5, s13\n\t"  \
  "vmla.f32 %[sum1], s21, s13\n\t" \
  "vmla.f32 %[sum0], s6, s14\n\t"  \
  "vmla.f32 %[sum1], s22, s14\n\t" \
  "vmla.f32 %[sum0], s7, s15\n\t"  \
  "vmla.f32 %[sum1], s23, s15\n\t"

#define LLMCU_DOT2_OPERANDS                                                                 \
  : [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [blocks] "+r"(blocks), [sum0] "+t"(sum0), \
    [sum1] "+t"(sum1)                                                                \
  :                                                                                  \
  : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", \
    "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "cc", "memory"

// Two adjacent rows (w0, then w1 = w0 + n) against the same x: sums into
// *out0 and *out1, each in index order. Leaves w0 at the start of w1. The
// loop does 16 columns per iteration (two blocks: 40 instructions for 32
// multiply-adds), then one block of 8, one of 4 and single columns.
inline void dot2(float* out0, float* out1, const float*& w0, const float* x, int32_t n) {
  const float* w1 = w0 + n;
  float sum0 = 0.0f, sum1 = 0.0f;
  if (int32_t blocks = n >> 4; blocks > 0) {
    __asm__ volatile("1:\n\t" LLMCU_DOT2_BLOCK8 LLMCU_DOT2_BLOCK8
                     "subs %[blocks], %[blocks], #1\n\t"
                     "bne 1b" LLMCU_DOT2_OPERANDS);
  }
  if (n & 8) {
    int32_t blocks = 0;  // unused by the block; keeps one operand list
    __asm__ volatile(LLMCU_DOT2_BLOCK8 LLMCU_DOT2_OPERANDS);
  }
  if (n & 4) {
    __asm__ volatile(
        "vldmia %[x]!, {s8-s11}\n\t"
        "vldmia %[w0]!, {s0-s3}\n\t"
        "vldmia %[w1]!, {s16-s19}\n\t"
        "vmla.f32 %[sum0], s0, s8\n\t"
        "vmla.f32 %[sum1], s16, s8\n\t"
        "vmla.f32 %[sum0], s1, s9\n\t"
        "vmla.f32 %[sum1], s17, s9\n\t"
        "vmla.f32 %[sum0], s2, s10\n\t"
        "vmla.f32 %[sum1], s18, s10\n\t"
        "vmla.f32 %[sum0], s3, s11\n\t"
        "vmla.f32 %[sum1], s19, s11"
        : [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [sum0] "+t"(sum0), [sum1] "+t"(sum1)
        :
        : "s0", "s1", "s2", "s3", "s8", "s9", "s10", "s11", "s16", "s17", "s18", "s19", "memory");
  }
  for (int32_t i = 0; i < (n & 3); ++i) {
    sum0 += *w0++ * x[i];
    sum1 += *w1++ * x[i];
  }
  *out0 = sum0;
  *out1 = sum1;
}

}  // namespace

float dot_f32(const float* a, const float* b, int32_t n) {
  return dot_accumulate(0.0f, a, b, n);
}

void matvec_f32(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end) {
  const float* row = w + static_cast<size_t>(row_begin) * static_cast<size_t>(cols);
  int32_t r = row_begin;
  for (; r + 1 < row_end; r += 2) {
    dot2(&out[r], &out[r + 1], row, x, cols);
    row += cols;  // dot2 left it at the second row
  }
  if (r < row_end) {
    const float* in = x;
    out[r] = dot_accumulate(0.0f, row, in, cols);
  }
}

void axpy_f32(float* y, float a, const float* x, int32_t n) {
  if (int32_t blocks = n >> 3; blocks > 0) {
    __asm__ volatile(
        "1:\n\t"
        "vldmia %[y], {s0-s7}\n\t"
        "vldmia %[x]!, {s8-s15}\n\t"
        "vmla.f32 s0, s8, %[a]\n\t"
        "vmla.f32 s1, s9, %[a]\n\t"
        "vmla.f32 s2, s10, %[a]\n\t"
        "vmla.f32 s3, s11, %[a]\n\t"
        "vmla.f32 s4, s12, %[a]\n\t"
        "vmla.f32 s5, s13, %[a]\n\t"
        "vmla.f32 s6, s14, %[a]\n\t"
        "vmla.f32 s7, s15, %[a]\n\t"
        "vstmia %[y]!, {s0-s7}\n\t"
        "subs %[blocks], %[blocks], #1\n\t"
        "bne 1b"
        : [y] "+r"(y), [x] "+r"(x), [blocks] "+r"(blocks)
        : [a] "t"(a)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13",
          "s14", "s15", "cc", "memory");
  }
  for (int32_t i = 0; i < (n & 7); ++i) y[i] += a * x[i];
}

void attention_scores(float* att, const float* q, const float* keys, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size, float divisor) {
  if (head_size == 8 && n_pos > 0) {
    // q stays in s16-s23; per position: load the key, 8 VMLA from zero, divide.
    const float zero = 0.0f;
    const int32_t stride_bytes = kv_stride * static_cast<int32_t>(sizeof(float));
    __asm__ volatile(
        "vldmia %[q], {s16-s23}\n\t"
        "1:\n\t"
        "vldmia %[k], {s0-s7}\n\t"
        "add %[k], %[k], %[stride]\n\t"
        "vmov.f32 s8, %[zero]\n\t"
        "vmla.f32 s8, s16, s0\n\t"
        "vmla.f32 s8, s17, s1\n\t"
        "vmla.f32 s8, s18, s2\n\t"
        "vmla.f32 s8, s19, s3\n\t"
        "vmla.f32 s8, s20, s4\n\t"
        "vmla.f32 s8, s21, s5\n\t"
        "vmla.f32 s8, s22, s6\n\t"
        "vmla.f32 s8, s23, s7\n\t"
        "vdiv.f32 s8, s8, %[divisor]\n\t"
        "vstmia %[att]!, {s8}\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b"
        : [k] "+r"(keys), [att] "+r"(att), [n] "+r"(n_pos)
        : [q] "r"(q), [stride] "r"(stride_bytes), [zero] "t"(zero), [divisor] "t"(divisor)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s16", "s17", "s18", "s19", "s20",
          "s21", "s22", "s23", "cc", "memory");
    return;
  }
  for (int32_t t = 0; t < n_pos; ++t) {
    const float* a = q;
    const float* key = keys + static_cast<size_t>(t) * static_cast<size_t>(kv_stride);
    att[t] = dot_accumulate(0.0f, a, key, head_size) / divisor;
  }
}

void attention_values(float* out, const float* att, const float* values, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size) {
  memset(out, 0, sizeof(float) * static_cast<size_t>(head_size));
  if (head_size == 8 && n_pos > 0) {
    // The output stays in s16-s23; per position: one weight, one value row.
    const int32_t stride_bytes = kv_stride * static_cast<int32_t>(sizeof(float));
    __asm__ volatile(
        "vldmia %[out], {s16-s23}\n\t"
        "1:\n\t"
        "vldmia %[att]!, {s0}\n\t"
        "vldmia %[v], {s8-s15}\n\t"
        "add %[v], %[v], %[stride]\n\t"
        "vmla.f32 s16, s8, s0\n\t"
        "vmla.f32 s17, s9, s0\n\t"
        "vmla.f32 s18, s10, s0\n\t"
        "vmla.f32 s19, s11, s0\n\t"
        "vmla.f32 s20, s12, s0\n\t"
        "vmla.f32 s21, s13, s0\n\t"
        "vmla.f32 s22, s14, s0\n\t"
        "vmla.f32 s23, s15, s0\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        "vstmia %[out], {s16-s23}"
        : [v] "+r"(values), [att] "+r"(att), [n] "+r"(n_pos)
        : [out] "r"(out), [stride] "r"(stride_bytes)
        : "s0", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19",
          "s20", "s21", "s22", "s23", "cc", "memory");
    return;
  }
  for (int32_t t = 0; t < n_pos; ++t) {
    axpy_f32(out, att[t], values + static_cast<size_t>(t) * static_cast<size_t>(kv_stride),
             head_size);
  }
}

namespace {

// attention_scores for two query heads of head_size 8 that share their keys
// (q: both, 16 floats): each key is loaded once for both; each score is
// computed exactly as attention_scores computes it.
void attention_scores_pair(float* att_a, float* att_b, const float* q, const float* keys,
                           int32_t kv_stride, int32_t n_pos, float divisor) {
  const float zero = 0.0f;
  const int32_t stride_bytes = kv_stride * static_cast<int32_t>(sizeof(float));
  __asm__ volatile(
      "vldmia %[q], {s16-s31}\n\t"
      "1:\n\t"
      "vldmia %[k], {s0-s7}\n\t"
      "add %[k], %[k], %[stride]\n\t"
      "vmov.f32 s8, %[zero]\n\t"
      "vmov.f32 s9, %[zero]\n\t"
      "vmla.f32 s8, s16, s0\n\t"
      "vmla.f32 s9, s24, s0\n\t"
      "vmla.f32 s8, s17, s1\n\t"
      "vmla.f32 s9, s25, s1\n\t"
      "vmla.f32 s8, s18, s2\n\t"
      "vmla.f32 s9, s26, s2\n\t"
      "vmla.f32 s8, s19, s3\n\t"
      "vmla.f32 s9, s27, s3\n\t"
      "vmla.f32 s8, s20, s4\n\t"
      "vmla.f32 s9, s28, s4\n\t"
      "vmla.f32 s8, s21, s5\n\t"
      "vmla.f32 s9, s29, s5\n\t"
      "vmla.f32 s8, s22, s6\n\t"
      "vmla.f32 s9, s30, s6\n\t"
      "vmla.f32 s8, s23, s7\n\t"
      "vmla.f32 s9, s31, s7\n\t"
      "vdiv.f32 s8, s8, %[divisor]\n\t"
      "vdiv.f32 s9, s9, %[divisor]\n\t"
      "vstmia %[a]!, {s8}\n\t"
      "vstmia %[b]!, {s9}\n\t"
      "subs %[n], %[n], #1\n\t"
      "bne 1b"
      : [k] "+r"(keys), [a] "+r"(att_a), [b] "+r"(att_b), [n] "+r"(n_pos)
      : [q] "r"(q), [stride] "r"(stride_bytes), [zero] "t"(zero), [divisor] "t"(divisor)
      : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s16", "s17", "s18", "s19",
        "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27", "s28", "s29", "s30", "s31", "cc",
        "memory");
}

// attention_values for two heads of head_size 8 that share their values
// (out: both, 16 floats): each value row is loaded once for both.
void attention_values_pair(float* out, const float* att_a, const float* att_b, const float* values,
                           int32_t kv_stride, int32_t n_pos) {
  memset(out, 0, sizeof(float) * 16);
  const int32_t stride_bytes = kv_stride * static_cast<int32_t>(sizeof(float));
  __asm__ volatile(
      "vldmia %[out], {s16-s31}\n\t"
      "1:\n\t"
      "vldmia %[a]!, {s0}\n\t"
      "vldmia %[b]!, {s1}\n\t"
      "vldmia %[v], {s8-s15}\n\t"
      "add %[v], %[v], %[stride]\n\t"
      "vmla.f32 s16, s8, s0\n\t"
      "vmla.f32 s24, s8, s1\n\t"
      "vmla.f32 s17, s9, s0\n\t"
      "vmla.f32 s25, s9, s1\n\t"
      "vmla.f32 s18, s10, s0\n\t"
      "vmla.f32 s26, s10, s1\n\t"
      "vmla.f32 s19, s11, s0\n\t"
      "vmla.f32 s27, s11, s1\n\t"
      "vmla.f32 s20, s12, s0\n\t"
      "vmla.f32 s28, s12, s1\n\t"
      "vmla.f32 s21, s13, s0\n\t"
      "vmla.f32 s29, s13, s1\n\t"
      "vmla.f32 s22, s14, s0\n\t"
      "vmla.f32 s30, s14, s1\n\t"
      "vmla.f32 s23, s15, s0\n\t"
      "vmla.f32 s31, s15, s1\n\t"
      "subs %[n], %[n], #1\n\t"
      "bne 1b\n\t"
      "vstmia %[out], {s16-s31}"
      : [v] "+r"(values), [a] "+r"(att_a), [b] "+r"(att_b), [n] "+r"(n_pos)
      : [out] "r"(out), [stride] "r"(stride_bytes)
      : "s0", "s1", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15", "s16", "s17", "s18",
        "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27", "s28", "s29", "s30", "s31",
        "cc", "memory");
}

}  // namespace

void attention_heads(float* out, float* att, int32_t att_stride, const float* q, int32_t n_heads,
                     const float* keys, const float* values, int32_t kv_stride, int32_t n_pos,
                     int32_t head_size, float divisor) {
  int32_t h = 0;
  if (head_size == 8 && n_pos > 0) {
    for (; h + 2 <= n_heads; h += 2) {
      float* att_a = att + static_cast<size_t>(h) * static_cast<size_t>(att_stride);
      float* att_b = att_a + att_stride;
      const size_t offset = static_cast<size_t>(h) * 8;
      attention_scores_pair(att_a, att_b, q + offset, keys, kv_stride, n_pos, divisor);
      softmax(att_a, n_pos);
      softmax(att_b, n_pos);
      attention_values_pair(out + offset, att_a, att_b, values, kv_stride, n_pos);
    }
  }
  for (; h < n_heads; ++h) {
    float* scores = att + static_cast<size_t>(h) * static_cast<size_t>(att_stride);
    const size_t offset = static_cast<size_t>(h) * static_cast<size_t>(head_size);
    attention_scores(scores, q + offset, keys, kv_stride, n_pos, head_size, divisor);
    softmax(scores, n_pos);
    attention_values(out + offset, scores, values, kv_stride, n_pos, head_size);
  }
}

// fast_exp (fast_exp.h) as assembly for the softmax and SiLU loops: the same
// operations in the same order, so the same bits, in ~24 instructions instead
// of the ~40 GCC makes of the C version when it runs out of registers in a
// loop. In: s0 = x (already known to be in (kLow, kHigh]), constants in
// s17-s29 as kExpConstants below. Out: s0 = exp(x). Uses s1-s4 and the two core
// registers %[k], %[bits]. VMLA/VMLS round the product before the add, like
// the C code's separate operations.
#define LLMCU_FAST_EXP                                    \
  "vmov.f32 s1, s19\n\t"     /* 1.5 * 2^23 */             \
  "vmla.f32 s1, s0, s18\n\t" /* + x / ln2 */              \
  "vsub.f32 s1, s1, s19\n\t" /* kf = round(x/ln2) */      \
  "vcvt.s32.f32 s2, s1\n\t"                               \
  "vmls.f32 s0, s1, s20\n\t" /* r = x - kf ln2_hi */      \
  "vmls.f32 s0, s1, s21\n\t" /*     - kf ln2_lo */        \
  "vmov %[k], s2\n\t"                                     \
  "vmov.f32 s3, s23\n\t"                                  \
  "vmla.f32 s3, s0, s22\n\t" /* q = c5 + r c6 */          \
  "vmov.f32 s1, s24\n\t"                                  \
  "vmla.f32 s1, s0, s3\n\t" /* q = c4 + r q */            \
  "vmov.f32 s3, s25\n\t"                                  \
  "vmla.f32 s3, s0, s1\n\t" /* q = c3 + r q */            \
  "vmov.f32 s1, s26\n\t"                                  \
  "vmla.f32 s1, s0, s3\n\t" /* q = 1/2 + r q */           \
  "vmul.f32 s4, s0, s0\n\t"                               \
  "vmla.f32 s0, s4, s1\n\t"  /* p = r + r^2 q */          \
  "vadd.f32 s0, s0, s27\n\t" /* p = 1 + p */              \
  "vmov %[bits], s0\n\t"                                  \
  "add %[bits], %[bits], %[k], lsl #23\n\t" /* p * 2^k */ \
  "vmov s0, %[bits]\n\t"

// softmax_exp (fast_exp.h) as assembly, bit for bit: the same registers in
// and out as LLMCU_FAST_EXP, constants in s17-s29 as kSoftmaxExpConstants,
// the table's address in %[table]; 18 instructions, s0-s5.
#define LLMCU_SOFTMAX_EXP                                           \
  "vmov.f32 s1, s19\n\t"     /* 1.5 * 2^23 */                       \
  "vmla.f32 s1, s0, s18\n\t" /* + x * 128/ln2: k in the low bits */ \
  "vmov %[k], s1\n\t"                                               \
  "vsub.f32 s1, s1, s19\n\t" /* kf */                               \
  "vmls.f32 s0, s1, s20\n\t" /* r = x - kf ln2/128 (high) */        \
  "vmls.f32 s0, s1, s21\n\t" /*     - kf ln2/128 (low) */           \
  "and %[bits], %[k], #127\n\t"                                     \
  "add %[bits], %[table], %[bits], lsl #3\n\t"                      \
  "vldmia %[bits], {s4-s5}\n\t" /* hi, lo of 2^(j/128) */           \
  "vmov.f32 s3, s27\n\t"                                            \
  "vmla.f32 s3, s0, s26\n\t" /* 1 + r/2 */                          \
  "vmul.f32 s3, s3, s0\n\t"  /* p = (1 + r/2) r */                  \
  "vmla.f32 s5, s4, s3\n\t"  /* lo + hi p */                        \
  "vadd.f32 s0, s4, s5\n\t"  /* hi + (lo + hi p) */                 \
  "vmov %[bits], s0\n\t"                                            \
  "bic %[k], %[k], #127\n\t"                                        \
  "add %[bits], %[bits], %[k], lsl #16\n\t" /* * 2^(k >> 7) */      \
  "vmov s0, %[bits]\n\t"

namespace {

// Loaded into s17-s29 by one VLDM.
alignas(8) const float kExpConstants[13] = {
    exp_constants::kLow,     // s17
    exp_constants::kInvLn2,  // s18
    exp_constants::kRound,   // s19
    exp_constants::kLn2Hi,   // s20
    exp_constants::kLn2Lo,   // s21
    exp_constants::kC6,      // s22
    exp_constants::kC5,      // s23
    exp_constants::kC4,      // s24
    exp_constants::kC3,      // s25
    0.5f,                    // s26
    1.0f,                    // s27
    exp_constants::kHigh,    // s28
    __builtin_inff(),        // s29
};

// softmax_exp's, in the same slots where they are shared.
alignas(8) const float kSoftmaxExpConstants[13] = {
    exp_constants::kLow,                 // s17
    softmax_exp_constants::kInvLn2x128,  // s18
    exp_constants::kRound,               // s19
    softmax_exp_constants::kLn2Hi,       // s20
    softmax_exp_constants::kLn2Lo,       // s21
    0.0f,                                // s22-s25: unused
    0.0f,
    0.0f,
    0.0f,
    0.5f,                  // s26
    1.0f,                  // s27
    exp_constants::kHigh,  // s28-s29: unused by softmax (x <= 0), kept as in kExpConstants
    __builtin_inff(),
};

}  // namespace

// The three passes of ref::softmax (max, exp and sum, divide), each keeping
// ref's order, with softmax_exp for expf.
void softmax(float* x, int32_t n) {
  if (n <= 0) return;
  float max_value = x[0];
  const float* p = x + 1;
  int32_t rest = n - 1;
  if (int32_t blocks = rest >> 2; blocks > 0) {
    __asm__ volatile(
        "1:\n\t"
        "vldmia %[p]!, {s0-s3}\n\t"
        "vcmp.f32 s0, %[max]\n\t"
        "vmrs APSR_nzcv, fpscr\n\t"
        "it gt\n\t"
        "vmovgt.f32 %[max], s0\n\t"
        "vcmp.f32 s1, %[max]\n\t"
        "vmrs APSR_nzcv, fpscr\n\t"
        "it gt\n\t"
        "vmovgt.f32 %[max], s1\n\t"
        "vcmp.f32 s2, %[max]\n\t"
        "vmrs APSR_nzcv, fpscr\n\t"
        "it gt\n\t"
        "vmovgt.f32 %[max], s2\n\t"
        "vcmp.f32 s3, %[max]\n\t"
        "vmrs APSR_nzcv, fpscr\n\t"
        "it gt\n\t"
        "vmovgt.f32 %[max], s3\n\t"
        "subs %[blocks], %[blocks], #1\n\t"
        "bne 1b"
        : [p] "+r"(p), [blocks] "+r"(blocks), [max] "+t"(max_value)
        :
        : "s0", "s1", "s2", "s3", "cc", "memory");
  }
  for (int32_t i = 0; i < (rest & 3); ++i) {
    if (p[i] > max_value) max_value = p[i];
  }

  // x - max <= 0, so only the underflow/NaN test of fast_exp is needed: a NaN
  // max makes every x - max NaN, and NaN and x - max <= -87.33654 both take
  // the branch at 3 (result NaN or 0).
  float sum = 0.0f;
  {
    float* q = x;
    int32_t count = n;
    uint32_t k, bits;
    __asm__ volatile(
        "vldmia %[c], {s17-s29}\n\t"
        "1:\n\t"
        "vldr s0, [%[q]]\n\t"
        "vsub.f32 s0, s0, %[max]\n\t"
        "vcmp.f32 s0, s17\n\t"
        "vmrs APSR_nzcv, fpscr\n\t"
        "ble 3f\n\t" LLMCU_SOFTMAX_EXP
        "2:\n\t"
        "vstmia %[q]!, {s0}\n\t"
        "vadd.f32 %[sum], %[sum], s0\n\t"
        "subs %[count], %[count], #1\n\t"
        "bne 1b\n\t"
        "b 4f\n"
        "3:\n\t"
        "vcmp.f32 s0, s0\n\t"  // NaN stays NaN; anything else is 0
        "vmrs APSR_nzcv, fpscr\n\t"
        "it eq\n\t"
        "vsubeq.f32 s0, s27, s27\n\t"
        "b 2b\n"
        "4:"
        : [q] "+r"(q), [count] "+r"(count), [sum] "+t"(sum), [k] "=&r"(k), [bits] "=&r"(bits)
        : [c] "r"(kSoftmaxExpConstants), [table] "r"(softmax_exp_constants::kExp2Table),
          [max] "t"(max_value)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s17", "s18", "s19", "s20", "s21", "s22", "s23",
          "s24", "s25", "s26", "s27", "s28", "s29", "cc", "memory");
  }

  float* q = x;
  if (int32_t blocks = n >> 2; blocks > 0) {
    __asm__ volatile(
        "1:\n\t"
        "vldmia %[q], {s0-s3}\n\t"
        "vdiv.f32 s0, s0, %[sum]\n\t"
        "vdiv.f32 s1, s1, %[sum]\n\t"
        "vdiv.f32 s2, s2, %[sum]\n\t"
        "vdiv.f32 s3, s3, %[sum]\n\t"
        "vstmia %[q]!, {s0-s3}\n\t"
        "subs %[blocks], %[blocks], #1\n\t"
        "bne 1b"
        : [q] "+r"(q), [blocks] "+r"(blocks)
        : [sum] "t"(sum)
        : "s0", "s1", "s2", "s3", "cc", "memory");
  }
  for (int32_t i = 0; i < (n & 3); ++i) q[i] /= sum;
}

// ref::swiglu with fast_exp: hb = hb * (1 / (1 + exp(-hb))) * hb2.
void swiglu(float* hb, const float* hb2, int32_t n) {
  if (n <= 0) return;
  uint32_t k, bits;
  __asm__ volatile(
      "vldmia %[c], {s17-s29}\n\t"
      "1:\n\t"
      "vldr s5, [%[hb]]\n\t"  // value
      "vneg.f32 s0, s5\n\t"   // x = -value
      "vcmp.f32 s0, s17\n\t"
      "vmrs APSR_nzcv, fpscr\n\t"
      "ble 3f\n\t"  // x <= -87.33654 or NaN
      "vcmp.f32 s0, s28\n\t"
      "vmrs APSR_nzcv, fpscr\n\t"
      "bgt 5f\n\t" LLMCU_FAST_EXP  // x > 88.72283: +inf
      "2:\n\t"
      "vadd.f32 s0, s0, s27\n\t"  // 1 + exp(-value)
      "vdiv.f32 s0, s27, s0\n\t"  // 1 / (...)
      "vmul.f32 s5, s5, s0\n\t"   // value *= ...
      "vldmia %[hb2]!, {s1}\n\t"
      "vmul.f32 s5, s5, s1\n\t"  // value * hb2
      "vstmia %[hb]!, {s5}\n\t"
      "subs %[n], %[n], #1\n\t"
      "bne 1b\n\t"
      "b 6f\n"
      "3:\n\t"
      "vcmp.f32 s0, s0\n\t"  // NaN stays NaN; anything else is 0
      "vmrs APSR_nzcv, fpscr\n\t"
      "it eq\n\t"
      "vsubeq.f32 s0, s27, s27\n\t"
      "b 2b\n"
      "5:\n\t"
      "vmov.f32 s0, s29\n\t"  // +inf
      "b 2b\n"
      "6:"
      : [hb] "+r"(hb), [hb2] "+r"(hb2), [n] "+r"(n), [k] "=&r"(k), [bits] "=&r"(bits)
      : [c] "r"(kExpConstants)
      : "s0", "s1", "s2", "s3", "s4", "s5", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24",
        "s25", "s26", "s27", "s28", "s29", "cc", "memory");
}

}  // namespace llmcu::kernels::cortex_m
