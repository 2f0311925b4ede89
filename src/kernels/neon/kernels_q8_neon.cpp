// NEON int8 matvec (AArch64), beside the fp32 NEON kernels; selected with the
// neon kernel family (src/kernels/kernels.h).
//
// 16 int8 products at a time: vmull_s8 gives exact int16 products, vpaddlq
// widens pairs to int32 and vpaddq folds them to four int32 lanes of 4
// consecutive products each (with the dot-product extension, one vdotq_s32
// does the same). Group size 4: each lane is a group. Group sizes 8 and 16:
// lanes are folded again until each is a group. Multiples of 16: int32 sums
// over the whole group, one float multiply per group. Others use the reference.
// Nothing saturates: every sum is formed in int32.
#include <arm_neon.h>

#include <cstring>

#include "kernels/neon/family.h"

namespace llmcu::kernels::neon {
namespace {

// Lane i: w[4i..4i+3] . x[4i..4i+3] in int32.
inline int32x4_t dot16(const int8_t* w, const int8_t* x) {
  const int8x16_t vw = vld1q_s8(w);
  const int8x16_t vx = vld1q_s8(x);
#if defined(__ARM_FEATURE_DOTPROD)
  return vdotq_s32(vdupq_n_s32(0), vw, vx);
#else
  const int16x8_t lo = vmull_s8(vget_low_s8(vw), vget_low_s8(vx));
  const int16x8_t hi = vmull_high_s8(vw, vx);
  return vpaddq_s32(vpaddlq_s16(lo), vpaddlq_s16(hi));
#endif
}

inline float load_scale(const uint8_t* p) {
  float s;
  memcpy(&s, p, sizeof(s));
  return s;
}

// Four consecutive (possibly unaligned) weight scales times four activation scales.
inline float32x4_t scales4(const uint8_t* ws, const float* xs) {
  return vmulq_f32(vreinterpretq_f32_u8(vld1q_u8(ws)), vld1q_f32(xs));
}

// The groups of [j, cols) of one row, one at a time.
float tail_groups(const int8_t* w, const uint8_t* ws, const int8_t* x, const float* xs, int32_t j,
                  int32_t cols, int32_t gs) {
  float sum = 0.0f;
  for (; j < cols; j += gs) {
    int32_t acc = 0;
    for (int32_t k = 0; k < gs; ++k) acc += int32_t{w[j + k]} * int32_t{x[j + k]};
    const int32_t g = j / gs;
    sum += static_cast<float>(acc) * load_scale(ws + static_cast<size_t>(g) * 4) * xs[g];
  }
  return sum;
}

// Group size a multiple of 16: int32 sums per group, one scale per group.
void matvec_wide_groups(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
                        const float* xs, int32_t cols, int32_t gs, int32_t row_begin,
                        int32_t row_end) {
  const int32_t groups = cols / gs;
  for (int32_t r = row_begin; r < row_end; ++r) {
    const int8_t* wr = w + static_cast<size_t>(r) * cols;
    const uint8_t* ws = w_scales + static_cast<size_t>(r) * groups * 4;
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int32_t g = 0; g < groups; ++g) {
      const int32_t j0 = g * gs;
      int32x4_t isum = dot16(wr + j0, xq + j0);
      for (int32_t j = j0 + 16; j < j0 + gs; j += 16) isum = vaddq_s32(isum, dot16(wr + j, xq + j));
      const float scale = load_scale(ws + static_cast<size_t>(g) * 4) * xs[g];
      acc = vfmaq_n_f32(acc, vcvtq_f32_s32(isum), scale);
    }
    out[r] = vaddvq_f32(acc);
  }
}

// Group size 4, 8 or 16: blocks of 4 groups, each folded to one int32 lane
// and scaled by its own weight and activation scales.
template <int kGroupSize>
void matvec_narrow_groups(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
                          const float* xs, int32_t cols, int32_t row_begin, int32_t row_end) {
  constexpr int32_t kBlock = 4 * kGroupSize;  // values per block of 4 groups
  const int32_t groups = cols / kGroupSize;
  const int32_t blocked = cols / kBlock * kBlock;
  for (int32_t r = row_begin; r < row_end; ++r) {
    const int8_t* wr = w + static_cast<size_t>(r) * cols;
    const uint8_t* ws = w_scales + static_cast<size_t>(r) * groups * 4;
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int32_t j = 0; j < blocked; j += kBlock) {
      int32x4_t sums;
      if constexpr (kGroupSize == 4) {
        sums = dot16(wr + j, xq + j);
      } else if constexpr (kGroupSize == 8) {
        sums = vpaddq_s32(dot16(wr + j, xq + j), dot16(wr + j + 16, xq + j + 16));
      } else {
        const int32x4_t a = vpaddq_s32(dot16(wr + j, xq + j), dot16(wr + j + 16, xq + j + 16));
        const int32x4_t b =
            vpaddq_s32(dot16(wr + j + 32, xq + j + 32), dot16(wr + j + 48, xq + j + 48));
        sums = vpaddq_s32(a, b);
      }
      const int32_t g = j / kGroupSize;
      acc = vfmaq_f32(acc, vcvtq_f32_s32(sums), scales4(ws + static_cast<size_t>(g) * 4, xs + g));
    }
    out[r] = vaddvq_f32(acc) + tail_groups(wr, ws, xq, xs, blocked, cols, kGroupSize);
  }
}

}  // namespace

void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end) {
  switch (group_size) {
    case 4:
      return matvec_narrow_groups<4>(out, w, w_scales, xq, x_scales, cols, row_begin, row_end);
    case 8:
      return matvec_narrow_groups<8>(out, w, w_scales, xq, x_scales, cols, row_begin, row_end);
    case 16:
      return matvec_narrow_groups<16>(out, w, w_scales, xq, x_scales, cols, row_begin, row_end);
    default: break;
  }
  if (group_size % 16 == 0) {
    return matvec_wide_groups(out, w, w_scales, xq, x_scales, cols, group_size, row_begin, row_end);
  }
  ref::matvec_q8(out, w, w_scales, xq, x_scales, cols, group_size, row_begin, row_end);
}

}  // namespace llmcu::kernels::neon
