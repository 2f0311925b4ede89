// AVX2 int8 steps shared by the llama2.c int8 and the ggml Q8_0/Q4_0
// kernels: the signed dot of quads, and the layout batched prefill uses,
// where lane k of a vector holds four bytes of row k.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace llmcu::kernels::x86 {

// Lane i: the dot of the 4 bytes of lane i of w and of x, in int32, given
// abs_w = |w| (unsigned, so -128 is 128): maddubs of |w| and x carrying w's
// sign. A pair is at most 2 * 128 * 127 (activations are quantized to
// [-127, 127]), so maddubs never saturates.
inline __m256i dot_quads(__m256i abs_w, __m256i w, __m256i x) {
  const __m256i pairs = _mm256_maddubs_epi16(abs_w, _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

// q[j], lane k, for j < 8: dword j of q[k] (an 8 x 8 transpose of dwords).
// Eight rows' 32 bytes become eight vectors of one quad of every row.
inline void transpose_dwords(__m256i q[8]) {
  __m256i pairs[8];
  for (int k = 0; k < 8; k += 2) {  // in each 128-bit half: rows k, k+1 by dword
    pairs[k] = _mm256_unpacklo_epi32(q[k], q[k + 1]);
    pairs[k + 1] = _mm256_unpackhi_epi32(q[k], q[k + 1]);
  }
  __m256i rows4[8];  // [h + j]: rows h..h+3 of dwords j (low half) and j + 4
  for (int h = 0; h < 8; h += 4) {
    rows4[h] = _mm256_unpacklo_epi64(pairs[h], pairs[h + 2]);
    rows4[h + 1] = _mm256_unpackhi_epi64(pairs[h], pairs[h + 2]);
    rows4[h + 2] = _mm256_unpacklo_epi64(pairs[h + 1], pairs[h + 3]);
    rows4[h + 3] = _mm256_unpackhi_epi64(pairs[h + 1], pairs[h + 3]);
  }
  for (int j = 0; j < 4; ++j) {
    q[j] = _mm256_permute2x128_si256(rows4[j], rows4[j + 4], 0x20);
    q[j + 4] = _mm256_permute2x128_si256(rows4[j], rows4[j + 4], 0x31);
  }
}

// The 4 bytes at p in every lane.
inline __m256i broadcast_quad(const void* p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return _mm256_set1_epi32(v);
}

}  // namespace llmcu::kernels::x86
