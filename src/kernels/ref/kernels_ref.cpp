// Portable reference kernels: plain loops in llama2.c's order of operations,
// so that, compiled without -ffast-math and without FMA contraction, they
// reproduce its results bit for bit. Every optimised kernel is tested
// against these.
#include <cmath>
#include <cstring>

#include "kernels/kernels.h"

namespace llmcu::kernels::ref {

void matvec_f32(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end) {
  for (int32_t r = row_begin; r < row_end; ++r) {
    out[r] = dot_f32(w + static_cast<size_t>(r) * static_cast<size_t>(cols), x, cols);
  }
}

float dot_f32(const float* a, const float* b, int32_t n) {
  float sum = 0.0f;
  for (int32_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void axpy_f32(float* y, float a, const float* x, int32_t n) {
  for (int32_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void rmsnorm(float* out, const float* x, const float* weight, int32_t n, float eps) {
  float ss = 0.0f;
  for (int32_t i = 0; i < n; ++i) ss += x[i] * x[i];
  ss /= static_cast<float>(n);
  ss += eps;
  ss = 1.0f / sqrtf(ss);
  for (int32_t i = 0; i < n; ++i) out[i] = weight[i] * (ss * x[i]);
}

void softmax(float* x, int32_t n) {
  float max_value = x[0];
  for (int32_t i = 1; i < n; ++i) {
    if (x[i] > max_value) max_value = x[i];
  }
  float sum = 0.0f;
  for (int32_t i = 0; i < n; ++i) {
    x[i] = expf(x[i] - max_value);
    sum += x[i];
  }
  for (int32_t i = 0; i < n; ++i) x[i] /= sum;
}

void rope(float* v, const float* cos_sin, int32_t n, int32_t head_size) {
  for (int32_t i = 0; i < n; i += 2) {
    const int32_t pair = (i % head_size) / 2;
    const float c = cos_sin[2 * pair], s = cos_sin[2 * pair + 1];
    const float v0 = v[i], v1 = v[i + 1];
    v[i] = v0 * c - v1 * s;
    v[i + 1] = v0 * s + v1 * c;
  }
}

void rope_halves(float* v, const float* cos_sin, int32_t n, int32_t head_size) {
  const int32_t half = head_size / 2;
  for (int32_t head = 0; head < n; head += head_size) {
    for (int32_t i = 0; i < half; ++i) {
      const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
      const float v0 = v[head + i], v1 = v[head + i + half];
      v[head + i] = v0 * c - v1 * s;
      v[head + i + half] = v0 * s + v1 * c;
    }
  }
}

void swiglu(float* hb, const float* hb2, int32_t n) {
  for (int32_t i = 0; i < n; ++i) {
    float value = hb[i];
    value *= 1.0f / (1.0f + expf(-value));
    hb[i] = value * hb2[i];
  }
}

int32_t argmax(const float* x, int32_t n) {
  int32_t best = 0;
  for (int32_t i = 1; i < n; ++i) {
    if (x[i] > x[best]) best = i;
  }
  return best;
}

}  // namespace llmcu::kernels::ref

namespace llmcu::kernels::ref {

void attention_scores(float* att, const float* q, const float* keys, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size, float divisor) {
  for (int32_t t = 0; t < n_pos; ++t) {
    att[t] = dot_f32(q, keys + static_cast<size_t>(t) * static_cast<size_t>(kv_stride), head_size) /
             divisor;
  }
}

void store_key_tiled(float* tiles, int32_t pos, const float* key, int32_t head_size) {
  float* tile =
      tiles + static_cast<size_t>(pos / kKeyTile) * static_cast<size_t>(head_size) * kKeyTile;
  for (int32_t i = 0; i < head_size; ++i) tile[i * kKeyTile + pos % kKeyTile] = key[i];
}

void attention_scores_tiled(float* att, const float* q, const float* tiles, int32_t n_pos,
                            int32_t head_size, float divisor) {
  for (int32_t t = 0; t < n_pos; ++t) {
    const float* tile =
        tiles + static_cast<size_t>(t / kKeyTile) * static_cast<size_t>(head_size) * kKeyTile;
    float score = 0.0f;
    for (int32_t i = 0; i < head_size; ++i) score += q[i] * tile[i * kKeyTile + t % kKeyTile];
    att[t] = score / divisor;
  }
}

void attention_values(float* out, const float* att, const float* values, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size) {
  memset(out, 0, sizeof(float) * static_cast<size_t>(head_size));
  for (int32_t t = 0; t < n_pos; ++t) {
    axpy_f32(out, att[t], values + static_cast<size_t>(t) * static_cast<size_t>(kv_stride),
             head_size);
  }
}

}  // namespace llmcu::kernels::ref
