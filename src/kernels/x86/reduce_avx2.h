// Horizontal sums shared by the AVX2 and AVX-512 kernels, so that a row
// summed by either ends in the same additions (and the same bits).
#pragma once

#include <immintrin.h>

namespace llmcu::kernels::x86 {

// The four horizontal sums of a, b, c, d as one vector {sum a, sum b, sum c, sum d}.
inline __m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 ab = _mm256_hadd_ps(a, b);
  const __m256 cd = _mm256_hadd_ps(c, d);
  const __m256 abcd = _mm256_hadd_ps(ab, cd);
  return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

}  // namespace llmcu::kernels::x86
