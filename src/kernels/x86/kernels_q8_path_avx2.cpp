// The avx2 family's kernels for int8 models (x86::Avx2Q8, family.h): the
// same bits as ref, which are llama2.c runq.c's (compiled without fast-math
// or FMA contraction), so an int8 model tells runq.c's story for the same
// file and seed. Vectors run across what ref computes independently: the 8
// positions of a key tile, the elements of a value row, the elements of a
// normalised vector. Sums along a vector stay sequential, products are
// rounded before they are added (no FMA). Compiled with -mavx2 -mfma like the
// rest of the folder; the core's -ffp-contract=off keeps the scalar code
// from fusing.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "kernels/x86/family.h"

namespace llmcu::kernels::x86 {

void rmsnorm_exact(float* out, const float* x, const float* weight, int32_t n) {
  float ss = 0.0f;
  for (int32_t i = 0; i < n; ++i) ss += x[i] * x[i];
  ss /= static_cast<float>(n);
  ss += 1e-5f;
  ss = 1.0f / sqrtf(ss);
  const __m256 vss = _mm256_set1_ps(ss);
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 scaled = _mm256_mul_ps(vss, _mm256_loadu_ps(x + i));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(weight + i), scaled));
  }
  for (; i < n; ++i) out[i] = weight[i] * (ss * x[i]);
}

void attention_scores_tiled_exact(float* att, const float* q, const float* tiles, int32_t n_pos,
                                  int32_t head_size, float divisor) {
  const __m256 vdiv = _mm256_set1_ps(divisor);
  const auto tile_floats = static_cast<size_t>(head_size) * kKeyTile;
  for (int32_t t0 = 0; t0 < n_pos; t0 += kKeyTile) {
    // Lane p: position t0 + p, its products added in order of i from zero.
    const float* tile = tiles + static_cast<size_t>(t0 / kKeyTile) * tile_floats;
    __m256 score = _mm256_setzero_ps();
    for (int32_t i = 0; i < head_size; ++i) {
      const __m256 product =
          _mm256_mul_ps(_mm256_set1_ps(q[i]), _mm256_loadu_ps(tile + static_cast<size_t>(i) * 8));
      score = _mm256_add_ps(score, product);
    }
    score = _mm256_div_ps(score, vdiv);
    if (n_pos - t0 >= kKeyTile) {
      _mm256_storeu_ps(att + t0, score);
    } else {
      // The last tile's unwritten positions may hold anything: store only the real ones.
      alignas(32) float lanes[kKeyTile];
      _mm256_store_ps(lanes, score);
      memcpy(att + t0, lanes, sizeof(float) * static_cast<size_t>(n_pos - t0));
    }
  }
}

void attention_values_exact(float* out, const float* att, const float* values, int32_t kv_stride,
                            int32_t n_pos, int32_t head_size) {
  int32_t i = 0;
  // Eight elements at a time, each summed over positions in order from zero.
  for (; i + 8 <= head_size; i += 8) {
    __m256 sum = _mm256_setzero_ps();
    const float* v = values + i;
    for (int32_t t = 0; t < n_pos; ++t, v += kv_stride) {
      sum = _mm256_add_ps(sum, _mm256_mul_ps(_mm256_set1_ps(att[t]), _mm256_loadu_ps(v)));
    }
    _mm256_storeu_ps(out + i, sum);
  }
  for (; i < head_size; ++i) {
    float sum = 0.0f;
    const float* v = values + i;
    for (int32_t t = 0; t < n_pos; ++t, v += kv_stride) sum += att[t] * *v;
    out[i] = sum;
  }
}

}  // namespace llmcu::kernels::x86
