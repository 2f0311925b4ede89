// AArch64 NEON kernels (Advanced SIMD is part of every AArch64 core, so no
// extra compiler flags). Four-lane vectors, FMA (vfmaq), several
// accumulators: results differ from ref in the last bits, within the
// tolerances the per-kernel tests state; rope stays bit-exact.
#include <arm_neon.h>

#include <cmath>

#include "kernels/neon/family.h"

namespace llmcu::kernels::neon {
namespace {

// exp(x) for four floats, the same range reduction and polynomial as the
// AVX2 version (Cephes expf), so both families agree to the last bit or so.
inline float32x4_t exp4(float32x4_t x) {
  const float32x4_t lo = vdupq_n_f32(-87.3365447504f);
  const uint32x4_t underflow = vcltq_f32(x, lo);
  x = vminq_f32(vmaxq_f32(x, lo), vdupq_n_f32(88.0f));
  const float32x4_t n = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f));
  float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
  r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
  float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
  p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
  p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
  p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, vmulq_f32(r, r));
  const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
  const float32x4_t result = vmulq_f32(p, vreinterpretq_f32_s32(e));
  return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(result), underflow));
}

inline float exp1(float x) {
  return vgetq_lane_f32(exp4(vdupq_n_f32(x)), 0);
}

}  // namespace

float dot_f32(const float* a, const float* b, int32_t n) {
  float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
  float32x4_t acc2 = vdupq_n_f32(0), acc3 = vdupq_n_f32(0);
  int32_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = vfmaq_f32(acc0, vld1q_f32(a + i), vld1q_f32(b + i));
    acc1 = vfmaq_f32(acc1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
    acc2 = vfmaq_f32(acc2, vld1q_f32(a + i + 8), vld1q_f32(b + i + 8));
    acc3 = vfmaq_f32(acc3, vld1q_f32(a + i + 12), vld1q_f32(b + i + 12));
  }
  for (; i + 4 <= n; i += 4) acc0 = vfmaq_f32(acc0, vld1q_f32(a + i), vld1q_f32(b + i));
  float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc0, acc1), vaddq_f32(acc2, acc3)));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

namespace {

// Every matvec row is summed the same way on both paths below: 4-float
// blocks alternately into two accumulators, their sum reduced across lanes,
// then the scalar tail in order. A row's result therefore depends neither on
// its neighbours nor on how rows were split between workers.
inline float finish_row(float32x4_t a, float32x4_t b, const float* w, const float* x, int32_t full,
                        int32_t cols) {
  float sum = vaddvq_f32(vaddq_f32(a, b));
  for (int32_t c = full; c < cols; ++c) sum += w[c] * x[c];
  return sum;
}

}  // namespace

void matvec_f32(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end) {
  const auto stride = static_cast<size_t>(cols);
  const int32_t full = cols & ~7;
  int32_t r = row_begin;
  // Short rows four at a time, sharing the loads of x; long rows one at a
  // time so the weights stream front to back (see the AVX2 version).
  constexpr int32_t kMaxInterleavedCols = 256;
  if (cols <= kMaxInterleavedCols) {
    for (; r + 4 <= row_end; r += 4) {
      const float* w0 = w + static_cast<size_t>(r) * stride;
      const float* w1 = w0 + stride;
      const float* w2 = w1 + stride;
      const float* w3 = w2 + stride;
      float32x4_t a0 = vdupq_n_f32(0), b0 = vdupq_n_f32(0), a1 = vdupq_n_f32(0),
                  b1 = vdupq_n_f32(0);
      float32x4_t a2 = vdupq_n_f32(0), b2 = vdupq_n_f32(0), a3 = vdupq_n_f32(0),
                  b3 = vdupq_n_f32(0);
      for (int32_t c = 0; c < full; c += 8) {
        const float32x4_t xa = vld1q_f32(x + c), xb = vld1q_f32(x + c + 4);
        a0 = vfmaq_f32(a0, vld1q_f32(w0 + c), xa);
        b0 = vfmaq_f32(b0, vld1q_f32(w0 + c + 4), xb);
        a1 = vfmaq_f32(a1, vld1q_f32(w1 + c), xa);
        b1 = vfmaq_f32(b1, vld1q_f32(w1 + c + 4), xb);
        a2 = vfmaq_f32(a2, vld1q_f32(w2 + c), xa);
        b2 = vfmaq_f32(b2, vld1q_f32(w2 + c + 4), xb);
        a3 = vfmaq_f32(a3, vld1q_f32(w3 + c), xa);
        b3 = vfmaq_f32(b3, vld1q_f32(w3 + c + 4), xb);
      }
      out[r] = finish_row(a0, b0, w0, x, full, cols);
      out[r + 1] = finish_row(a1, b1, w1, x, full, cols);
      out[r + 2] = finish_row(a2, b2, w2, x, full, cols);
      out[r + 3] = finish_row(a3, b3, w3, x, full, cols);
    }
  }
  for (; r < row_end; ++r) {
    const float* w0 = w + static_cast<size_t>(r) * stride;
    float32x4_t a = vdupq_n_f32(0), b = vdupq_n_f32(0);
    for (int32_t c = 0; c < full; c += 8) {
      a = vfmaq_f32(a, vld1q_f32(w0 + c), vld1q_f32(x + c));
      b = vfmaq_f32(b, vld1q_f32(w0 + c + 4), vld1q_f32(x + c + 4));
    }
    out[r] = finish_row(a, b, w0, x, full, cols);
  }
}

void axpy_f32(float* y, float a, const float* x, int32_t n) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), vld1q_f32(x + i), a));
  for (; i < n; ++i) y[i] += a * x[i];
}

void rmsnorm(float* out, const float* x, const float* weight, int32_t n, float eps) {
  float ss = dot_f32(x, x, n);
  ss /= static_cast<float>(n);
  ss += eps;
  ss = 1.0f / sqrtf(ss);
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    vst1q_f32(out + i, vmulq_f32(vld1q_f32(weight + i), vmulq_n_f32(vld1q_f32(x + i), ss)));
  }
  for (; i < n; ++i) out[i] = weight[i] * (ss * x[i]);
}

void softmax(float* x, int32_t n) {
  float max_value = x[0];
  int32_t i = 0;
  if (n >= 4) {
    float32x4_t vmax = vld1q_f32(x);
    for (i = 4; i + 4 <= n; i += 4) vmax = vmaxq_f32(vmax, vld1q_f32(x + i));
    max_value = vmaxvq_f32(vmax);
  }
  for (; i < n; ++i) {
    if (x[i] > max_value) max_value = x[i];
  }
  const float32x4_t vm = vdupq_n_f32(max_value);
  float32x4_t vsum = vdupq_n_f32(0);
  for (i = 0; i + 4 <= n; i += 4) {
    const float32x4_t e = exp4(vsubq_f32(vld1q_f32(x + i), vm));
    vst1q_f32(x + i, e);
    vsum = vaddq_f32(vsum, e);
  }
  float sum = vaddvq_f32(vsum);
  for (; i < n; ++i) {
    x[i] = exp1(x[i] - max_value);
    sum += x[i];
  }
  const float32x4_t vd = vdupq_n_f32(sum);
  for (i = 0; i + 4 <= n; i += 4) vst1q_f32(x + i, vdivq_f32(vld1q_f32(x + i), vd));
  for (; i < n; ++i) x[i] /= sum;
}

void rope(float* v, const float* cos_sin, int32_t n, int32_t head_size) {
  if (head_size % 8 != 0) {
    ref::rope(v, cos_sin, n, head_size);
    return;
  }
  // De-interleave four pairs: the same two products and one sum per output
  // as the reference (no FMA), so the result is bit-exact.
  for (int32_t h = 0; h < n; h += head_size) {
    for (int32_t i = 0; i < head_size; i += 8) {
      const float32x4x2_t cs = vld2q_f32(cos_sin + i);
      float32x4x2_t p = vld2q_f32(v + h + i);
      const float32x4_t v0 = p.val[0], v1 = p.val[1];
      p.val[0] = vsubq_f32(vmulq_f32(v0, cs.val[0]), vmulq_f32(v1, cs.val[1]));
      p.val[1] = vaddq_f32(vmulq_f32(v0, cs.val[1]), vmulq_f32(v1, cs.val[0]));
      vst2q_f32(v + h + i, p);
    }
  }
}

void swiglu(float* hb, const float* hb2, int32_t n) {
  const float32x4_t one = vdupq_n_f32(1.0f);
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t value = vld1q_f32(hb + i);
    const float32x4_t sig = vdivq_f32(one, vaddq_f32(one, exp4(vnegq_f32(value))));
    vst1q_f32(hb + i, vmulq_f32(vmulq_f32(value, sig), vld1q_f32(hb2 + i)));
  }
  for (; i < n; ++i) {
    float value = hb[i];
    value *= 1.0f / (1.0f + exp1(-value));
    hb[i] = value * hb2[i];
  }
}

void attention_scores(float* att, const float* q, const float* keys, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size, float divisor) {
  if (head_size % 4 != 0 || head_size > 128) {
    ref::attention_scores(att, q, keys, kv_stride, n_pos, head_size, divisor);
    return;
  }
  const int32_t chunks = head_size / 4;
  float32x4_t vq[32];
  for (int32_t c = 0; c < chunks; ++c) vq[c] = vld1q_f32(q + 4 * c);
  const auto stride = static_cast<size_t>(kv_stride);
  int32_t t = 0;
  // Four positions at a time: four independent chains, reduced pairwise
  // into one vector of four scores.
  for (; t + 4 <= n_pos; t += 4) {
    const float* k = keys + static_cast<size_t>(t) * stride;
    float32x4_t p[4];
    for (int j = 0; j < 4; ++j) p[j] = vmulq_f32(vq[0], vld1q_f32(k + j * stride));
    for (int32_t c = 1; c < chunks; ++c) {
      for (int j = 0; j < 4; ++j) p[j] = vfmaq_f32(p[j], vq[c], vld1q_f32(k + j * stride + 4 * c));
    }
    const float32x4_t s = vpaddq_f32(vpaddq_f32(p[0], p[1]), vpaddq_f32(p[2], p[3]));
    vst1q_f32(att + t, vdivq_f32(s, vdupq_n_f32(divisor)));
  }
  for (; t < n_pos; ++t) {
    const float* k = keys + static_cast<size_t>(t) * stride;
    float32x4_t acc = vmulq_f32(vq[0], vld1q_f32(k));
    for (int32_t c = 1; c < chunks; ++c) acc = vfmaq_f32(acc, vq[c], vld1q_f32(k + 4 * c));
    att[t] = vaddvq_f32(acc) / divisor;
  }
}

void attention_values(float* out, const float* att, const float* values, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size) {
  if (head_size % 4 != 0) {
    ref::attention_values(out, att, values, kv_stride, n_pos, head_size);
    return;
  }
  const auto stride = static_cast<size_t>(kv_stride);
  // Up to 64 floats of the output stay in registers across all positions.
  for (int32_t base = 0; base < head_size; base += 64) {
    const int32_t chunks = (head_size - base < 64 ? head_size - base : 64) / 4;
    float32x4_t acc[16];
    for (int32_t c = 0; c < chunks; ++c) acc[c] = vdupq_n_f32(0);
    for (int32_t t = 0; t < n_pos; ++t) {
      const float a = att[t];
      const float* v = values + static_cast<size_t>(t) * stride + base;
      for (int32_t c = 0; c < chunks; ++c) acc[c] = vfmaq_n_f32(acc[c], vld1q_f32(v + 4 * c), a);
    }
    for (int32_t c = 0; c < chunks; ++c) vst1q_f32(out + base + 4 * c, acc[c]);
  }
}

}  // namespace llmcu::kernels::neon
