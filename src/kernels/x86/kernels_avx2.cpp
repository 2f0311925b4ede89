// x86-64 AVX2 + FMA kernels. Compiled with -mavx2 -mfma (CMake option
// LLMCU_KERNELS=avx2, or auto on a host that has both).
//
// They sum in a different order than the reference (eight lanes, several
// accumulators, FMA), so results differ from ref in the last bits; the
// per-kernel tests state the tolerance. rope and argmax stay bit-exact.
// Rows of the weight matrices may be only 4-byte aligned (version-0 files),
// so every load is unaligned; tails shorter than a vector use masked loads,
// which never touch the masked-out memory.
#include <immintrin.h>

#include <cmath>

#include "kernels/x86/family.h"
#include "kernels/x86/reduce_avx2.h"

namespace llmcu::kernels::x86 {
namespace {

// Lane i is all ones for i < n (0 <= n <= 8): the mask for a tail of n floats.
inline __m256i tail_mask(int32_t n) {
  alignas(32) static const int32_t kRamp[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                0,  0,  0,  0,  0,  0,  0,  0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kRamp + 8 - n));
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// The eight horizontal sums of p[0..7] as one vector.
inline __m256 hsum8(const __m256 p[8]) {
  const __m256 s01 = _mm256_hadd_ps(p[0], p[1]);
  const __m256 s23 = _mm256_hadd_ps(p[2], p[3]);
  const __m256 s45 = _mm256_hadd_ps(p[4], p[5]);
  const __m256 s67 = _mm256_hadd_ps(p[6], p[7]);
  const __m256 s0123 = _mm256_hadd_ps(s01, s23);  // low lane: halves 0..3, high lane: halves 0..3
  const __m256 s4567 = _mm256_hadd_ps(s45, s67);
  return _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20),
                       _mm256_permute2f128_ps(s0123, s4567, 0x31));
}

// exp(x) for eight floats: Cody-Waite range reduction x = n ln2 + r with
// |r| <= ln2/2, a degree-6 polynomial for exp(r) (Cephes expf's), then 2^n
// put into the exponent. Relative error below 2e-7 over the clamped range;
// inputs below -87.3 give 0 (as expf underflows), above 88 saturate.
inline __m256 exp8(__m256 x) {
  const __m256 hi = _mm256_set1_ps(88.0f);  // keeps 2^n finite
  const __m256 lo = _mm256_set1_ps(-87.3365447504f);
  const __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  const __m256 result = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  return _mm256_andnot_ps(underflow, result);
}

// The scalar form of exp8 for tails, so a value's result does not depend on
// where it sits in the array.
inline float exp1(float x) {
  alignas(32) float lanes[8] = {x, x, x, x, x, x, x, x};
  _mm256_store_ps(lanes, exp8(_mm256_load_ps(lanes)));
  return lanes[0];
}

}  // namespace

float dot_f32(const float* a, const float* b, int32_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  int32_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  }
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    acc1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), acc1);
  }
  return hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
}

namespace {

// Every matvec row is summed the same way, whichever path below takes it:
// even 8-float blocks into one accumulator, odd blocks into another, the
// (masked) tail likewise, then a + b reduced with hsum4's tree. So a row's
// result depends neither on its neighbours nor on how rows were split
// between workers.
struct RowTail {
  int32_t full;  // floats covered by whole 16-float blocks
  int32_t rest;  // 0..15
  __m256i lo, hi;
  explicit RowTail(int32_t cols)
      : full(cols & ~15),
        rest(cols - full),
        lo(tail_mask(rest < 8 ? rest : 8)),
        hi(tail_mask(rest > 8 ? rest - 8 : 0)) {}
};

inline __m256 row_sum(const float* w, const float* x, const RowTail& t) {
  __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
  for (int32_t c = 0; c < t.full; c += 16) {
    a = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), a);
    b = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 8), _mm256_loadu_ps(x + c + 8), b);
  }
  if (t.rest > 0) {
    a = _mm256_fmadd_ps(_mm256_maskload_ps(w + t.full, t.lo), _mm256_maskload_ps(x + t.full, t.lo),
                        a);
    b = _mm256_fmadd_ps(_mm256_maskload_ps(w + t.full + 8, t.hi),
                        _mm256_maskload_ps(x + t.full + 8, t.hi), b);
  }
  return _mm256_add_ps(a, b);
}

// Four rows at once, each with exactly row_sum's operations: the loads of x
// are shared, and eight independent FMA chains fill the pipeline.
inline __m128 four_row_sums(const float* w0, size_t stride, const float* x, const RowTail& t) {
  const float* w1 = w0 + stride;
  const float* w2 = w1 + stride;
  const float* w3 = w2 + stride;
  __m256 a0 = _mm256_setzero_ps(), b0 = _mm256_setzero_ps();
  __m256 a1 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
  __m256 a2 = _mm256_setzero_ps(), b2 = _mm256_setzero_ps();
  __m256 a3 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps();
  for (int32_t c = 0; c < t.full; c += 16) {
    const __m256 xa = _mm256_loadu_ps(x + c), xb = _mm256_loadu_ps(x + c + 8);
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c), xa, a0);
    b0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c + 8), xb, b0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + c), xa, a1);
    b1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + c + 8), xb, b1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + c), xa, a2);
    b2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + c + 8), xb, b2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + c), xa, a3);
    b3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + c + 8), xb, b3);
  }
  if (t.rest > 0) {
    const int32_t f = t.full;
    const __m256 xa = _mm256_maskload_ps(x + f, t.lo), xb = _mm256_maskload_ps(x + f + 8, t.hi);
    a0 = _mm256_fmadd_ps(_mm256_maskload_ps(w0 + f, t.lo), xa, a0);
    b0 = _mm256_fmadd_ps(_mm256_maskload_ps(w0 + f + 8, t.hi), xb, b0);
    a1 = _mm256_fmadd_ps(_mm256_maskload_ps(w1 + f, t.lo), xa, a1);
    b1 = _mm256_fmadd_ps(_mm256_maskload_ps(w1 + f + 8, t.hi), xb, b1);
    a2 = _mm256_fmadd_ps(_mm256_maskload_ps(w2 + f, t.lo), xa, a2);
    b2 = _mm256_fmadd_ps(_mm256_maskload_ps(w2 + f + 8, t.hi), xb, b2);
    a3 = _mm256_fmadd_ps(_mm256_maskload_ps(w3 + f, t.lo), xa, a3);
    b3 = _mm256_fmadd_ps(_mm256_maskload_ps(w3 + f + 8, t.hi), xb, b3);
  }
  return hsum4(_mm256_add_ps(a0, b0), _mm256_add_ps(a1, b1), _mm256_add_ps(a2, b2),
               _mm256_add_ps(a3, b3));
}

}  // namespace

void matvec_f32_avx2(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                     int32_t row_end) {
  const auto stride = static_cast<size_t>(cols);
  const RowTail tail(cols);
  int32_t r = row_begin;
  // Short rows: four at a time (1.4-1.6x faster from cache). Long rows are
  // read one at a time, front to back: one sequential stream that the
  // prefetcher follows at full memory bandwidth; four interleaved 288-float
  // rows ran at half of it from DRAM on Zen 4.
  constexpr int32_t kMaxInterleavedCols = 256;
  if (cols <= kMaxInterleavedCols) {
    for (; r + 4 <= row_end; r += 4) {
      _mm_storeu_ps(out + r, four_row_sums(w + static_cast<size_t>(r) * stride, stride, x, tail));
    }
  }
  for (; r < row_end; ++r) {
    const __m256 s = row_sum(w + static_cast<size_t>(r) * stride, x, tail);
    out[r] = _mm_cvtss_f32(hsum4(s, s, s, s));
  }
}

namespace {

// Batched prefill. Each (row, token) sum must have row_sum's bits: even
// 8-float blocks in one FMA chain, odd blocks in another, each ending with
// its half of the masked tail, then even + odd reduced by hsum4. The two
// chains never meet before that, so a tile can run all the even blocks of a
// column chunk, then all the odd ones: only one half's accumulators are live
// at a time. That frees the registers for four rows by three tokens (twelve
// FMAs per three input loads and four weight loads, no spills), where keeping
// both halves live allowed two rows by three, with spills, at about half the
// FMA rate. Chunks of 512 columns keep a tile's four rows and three inputs in
// L1 (14 KiB) for the second half; between passes a half's accumulators wait
// in memory, and a float stored and loaded back is the same float.
constexpr int kTileRows = 4;
constexpr int kTileTokens = 3;
constexpr int32_t kTileChunk = 512;  // columns; a multiple of 16 keeps the halves' parity

// One half's accumulators over columns [begin, end), begin at that half's
// first block: acc[i][t] += w[row i] · x[token t], 16 columns apart.
template <int kRows, int kTokens, typename Load>
inline void half_pass(__m256 (&saved)[kRows][kTokens], const float* const (&rows)[kRows],
                      const float* x, size_t x_stride, int32_t begin, int32_t end, Load load) {
  __m256 acc[kRows][kTokens];
  for (int i = 0; i < kRows; ++i) {
    for (int t = 0; t < kTokens; ++t) acc[i][t] = saved[i][t];
  }
  for (int32_t c = begin; c < end; c += 16) {
    __m256 xs[kTokens];
    for (int t = 0; t < kTokens; ++t) {
      xs[t] = load(x + t * x_stride + c);
      __asm__("" : "+x"(xs[t]));  // in a register for every row, not reloaded
    }
    for (int i = 0; i < kRows; ++i) {
      __m256 wv = load(rows[i] + c);
      __asm__("" : "+x"(wv));  // one load per row, not one folded into each FMA
      for (int t = 0; t < kTokens; ++t) acc[i][t] = _mm256_fmadd_ps(wv, xs[t], acc[i][t]);
    }
  }
  for (int i = 0; i < kRows; ++i) {
    for (int t = 0; t < kTokens; ++t) saved[i][t] = acc[i][t];
  }
}

// Rows row..row+kRows-1 against tokens 0..kTokens-1.
template <int kRows, int kTokens>
void matmul_tile(float* out, size_t out_stride, const float* w, const float* x, size_t x_stride,
                 const RowTail& tail, size_t stride, int32_t row) {
  static_assert(kRows == 4 && kTileChunk % 16 == 0);
  const float* rows[kRows];
  for (int i = 0; i < kRows; ++i) rows[i] = w + (static_cast<size_t>(row) + i) * stride;
  __m256 even[kRows][kTokens], odd[kRows][kTokens];
  for (int i = 0; i < kRows; ++i) {
    for (int t = 0; t < kTokens; ++t) even[i][t] = odd[i][t] = _mm256_setzero_ps();
  }
  auto whole = [](const float* p) { return _mm256_loadu_ps(p); };
  for (int32_t c = 0; c < tail.full; c += kTileChunk) {
    const int32_t end = tail.full - c < kTileChunk ? tail.full : c + kTileChunk;
    half_pass(even, rows, x, x_stride, c, end, whole);
    half_pass(odd, rows, x, x_stride, c + 8, end + 8, whole);
  }
  if (tail.rest > 0) {
    const int32_t f = tail.full;
    half_pass(even, rows, x, x_stride, f, f + 16,
              [&](const float* p) { return _mm256_maskload_ps(p, tail.lo); });
    half_pass(odd, rows, x, x_stride, f + 8, f + 24,
              [&](const float* p) { return _mm256_maskload_ps(p, tail.hi); });
  }
  for (int t = 0; t < kTokens; ++t) {
    _mm_storeu_ps(
        out + t * out_stride + row,
        hsum4(_mm256_add_ps(even[0][t], odd[0][t]), _mm256_add_ps(even[1][t], odd[1][t]),
              _mm256_add_ps(even[2][t], odd[2][t]), _mm256_add_ps(even[3][t], odd[3][t])));
  }
}

}  // namespace

void matmul_f32_avx2(float* out, size_t out_stride, const float* w, const float* x, size_t x_stride,
                     int32_t n, int32_t cols, int32_t row_begin, int32_t row_end) {
  const auto stride = static_cast<size_t>(cols);
  const RowTail tail(cols);
  int32_t r = row_begin;
  for (; r + kTileRows <= row_end; r += kTileRows) {
    int32_t t = 0;
    for (; t + kTileTokens <= n; t += kTileTokens) {
      matmul_tile<kTileRows, kTileTokens>(out + t * out_stride, out_stride, w, x + t * x_stride,
                                          x_stride, tail, stride, r);
    }
    if (t + 2 <= n) {
      matmul_tile<kTileRows, 2>(out + t * out_stride, out_stride, w, x + t * x_stride, x_stride,
                                tail, stride, r);
      t += 2;
    }
    if (t < n) {
      matmul_tile<kTileRows, 1>(out + t * out_stride, out_stride, w, x + t * x_stride, x_stride,
                                tail, stride, r);
    }
  }
  if (r < row_end) {
    for (int32_t t = 0; t < n; ++t) {
      matvec_f32_avx2(out + t * out_stride, w, x + t * x_stride, cols, r, row_end);
    }
  }
}

void axpy_f32(float* y, float a, const float* x, int32_t n) {
  const __m256 va = _mm256_set1_ps(a);
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  }
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(
        y + i, m, _mm256_fmadd_ps(va, _mm256_maskload_ps(x + i, m), _mm256_maskload_ps(y + i, m)));
  }
}

void rmsnorm(float* out, const float* x, const float* weight, int32_t n, float eps) {
  float ss = dot_f32(x, x, n);
  ss /= static_cast<float>(n);
  ss += eps;
  ss = 1.0f / sqrtf(ss);
  const __m256 vs = _mm256_set1_ps(ss);
  int32_t i = 0;
  // Same two products per element as the reference; only ss differs.
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(weight + i),
                                            _mm256_mul_ps(vs, _mm256_loadu_ps(x + i))));
  }
  for (; i < n; ++i) out[i] = weight[i] * (ss * x[i]);
}

namespace {

// Softmax in three steps, so attention can skip the first and the last.
// Tails (n % 8 values) go through masked vectors: exp8 works lane by lane,
// so a value's result does not depend on where it sits, and a short
// attention row costs no scalar loop.

inline float max_of(__m256 v) {
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
  return _mm_cvtss_f32(m4);
}

float max_of(const float* x, int32_t n) {
  const int32_t full = n & ~7;
  __m256 vmax = _mm256_set1_ps(x[0]);
  for (int32_t i = 0; i < full; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
  if (full < n) {
    const __m256i tail = tail_mask(n - full);
    vmax = _mm256_max_ps(vmax, _mm256_blendv_ps(vmax, _mm256_maskload_ps(x + full, tail),
                                                _mm256_castsi256_ps(tail)));
  }
  return max_of(vmax);
}

// x = exp(x - max); returns the sum.
float exp_and_sum(float* x, int32_t n, float max_value) {
  const int32_t full = n & ~7;
  const __m256 vm = _mm256_set1_ps(max_value);
  __m256 vsum = _mm256_setzero_ps();
  for (int32_t i = 0; i < full; i += 8) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    _mm256_storeu_ps(x + i, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  if (full < n) {
    const __m256i tail = tail_mask(n - full);
    const __m256 e = _mm256_and_ps(exp8(_mm256_sub_ps(_mm256_maskload_ps(x + full, tail), vm)),
                                   _mm256_castsi256_ps(tail));
    _mm256_maskstore_ps(x + full, tail, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  return hsum(vsum);
}

void scale_in_place(float* x, int32_t n, float factor) {
  const int32_t full = n & ~7;
  const __m256 vf = _mm256_set1_ps(factor);
  for (int32_t i = 0; i < full; i += 8) {
    _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vf));
  }
  if (full < n) {
    const __m256i tail = tail_mask(n - full);
    _mm256_maskstore_ps(x + full, tail, _mm256_mul_ps(_mm256_maskload_ps(x + full, tail), vf));
  }
}

}  // namespace

void softmax(float* x, int32_t n) {
  // A multiply by the reciprocal (at most 1 ulp from the reference's
  // division): the divider takes 5 cycles per vector on Zen 4, and softmax
  // runs once per head, layer and token.
  scale_in_place(x, n, 1.0f / exp_and_sum(x, n, max_of(x, n)));
}

void rope(float* v, const float* cos_sin, int32_t n, int32_t head_size) {
  if (head_size % 8 != 0) {
    ref::rope(v, cos_sin, n, head_size);
    return;
  }
  // Eight floats are four pairs. v*cos, then addsub of swapped(v)*sin gives
  // v0 c - v1 s and v1 c + v0 s: the reference's products and sums exactly.
  for (int32_t h = 0; h < n; h += head_size) {
    for (int32_t i = 0; i < head_size; i += 8) {
      const __m256 cs = _mm256_loadu_ps(cos_sin + i);
      const __m256 c = _mm256_moveldup_ps(cs);
      const __m256 s = _mm256_movehdup_ps(cs);
      const __m256 x = _mm256_loadu_ps(v + h + i);
      const __m256 swapped = _mm256_permute_ps(x, 0xB1);
      _mm256_storeu_ps(v + h + i, _mm256_addsub_ps(_mm256_mul_ps(x, c), _mm256_mul_ps(swapped, s)));
    }
  }
}

void swiglu(float* hb, const float* hb2, int32_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 zero = _mm256_setzero_ps();
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(hb + i);
    const __m256 sig = _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(zero, v))));
    _mm256_storeu_ps(hb + i, _mm256_mul_ps(_mm256_mul_ps(v, sig), _mm256_loadu_ps(hb2 + i)));
  }
  for (; i < n; ++i) {
    float value = hb[i];
    value *= 1.0f / (1.0f + exp1(-value));
    hb[i] = value * hb2[i];
  }
}

int32_t argmax(const float* x, int32_t n) {
  if (n < 16) return ref::argmax(x, n);
  __m256 vmax = _mm256_loadu_ps(x);
  int32_t i = 8;
  for (; i + 8 <= n; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, vmax);
  float best = lanes[0];
  for (int j = 1; j < 8; ++j) best = lanes[j] > best ? lanes[j] : best;
  for (; i < n; ++i) best = x[i] > best ? x[i] : best;
  // The first index holding the maximum, as the reference's strict > keeps.
  const __m256 vb = _mm256_set1_ps(best);
  for (i = 0; i + 8 <= n; i += 8) {
    const int hits = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), vb, _CMP_EQ_OQ));
    if (hits != 0) return i + __builtin_ctz(static_cast<unsigned>(hits));
  }
  for (; i < n; ++i) {
    if (x[i] == best) return i;
  }
  return ref::argmax(x, n);  // NaNs: no lane compared equal
}

void attention_scores(float* att, const float* q, const float* keys, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size, float divisor) {
  if (head_size % 8 != 0 || head_size > 128) {
    ref::attention_scores(att, q, keys, kv_stride, n_pos, head_size, divisor);
    return;
  }
  const int32_t chunks = head_size / 8;
  __m256 vq[16];
  for (int32_t c = 0; c < chunks; ++c) vq[c] = _mm256_loadu_ps(q + 8 * c);
  const __m256 vd = _mm256_set1_ps(divisor);
  const auto stride = static_cast<size_t>(kv_stride);
  int32_t t = 0;
  // Eight positions at a time: eight independent accumulators, then one
  // transposing reduction gives their eight scores as a vector.
  for (; t + 8 <= n_pos; t += 8) {
    const float* k = keys + static_cast<size_t>(t) * stride;
    __m256 p[8];
    for (int j = 0; j < 8; ++j) p[j] = _mm256_mul_ps(vq[0], _mm256_loadu_ps(k + j * stride));
    for (int32_t c = 1; c < chunks; ++c) {
      for (int j = 0; j < 8; ++j) {
        p[j] = _mm256_fmadd_ps(vq[c], _mm256_loadu_ps(k + j * stride + 8 * c), p[j]);
      }
    }
    _mm256_storeu_ps(att + t, _mm256_div_ps(hsum8(p), vd));
  }
  if (t < n_pos) {
    // The last 1-7 positions: the same sums, the missing ones zero.
    const int32_t rest = n_pos - t;
    const float* k = keys + static_cast<size_t>(t) * stride;
    __m256 p[8];
    for (int j = 0; j < 8; ++j) p[j] = _mm256_setzero_ps();
    for (int j = 0; j < rest; ++j) p[j] = _mm256_mul_ps(vq[0], _mm256_loadu_ps(k + j * stride));
    for (int32_t c = 1; c < chunks; ++c) {
      for (int j = 0; j < rest; ++j) {
        p[j] = _mm256_fmadd_ps(vq[c], _mm256_loadu_ps(k + j * stride + 8 * c), p[j]);
      }
    }
    _mm256_maskstore_ps(att + t, tail_mask(rest), _mm256_div_ps(hsum8(p), vd));
  }
}

namespace {

// Scores of one tile: lane j sums q[i] * key_j[i] over i in order (the
// reference's order, with FMAs). q's broadcasts come in from registers.
template <int32_t kHeadSize>
inline __m256 tile_scores(const __m256* vq, const float* tile) {
  __m256 acc = _mm256_mul_ps(vq[0], _mm256_loadu_ps(tile));
  for (int32_t i = 1; i < kHeadSize; ++i) {
    acc = _mm256_fmadd_ps(vq[i], _mm256_loadu_ps(tile + i * kKeyTile), acc);
  }
  return acc;
}

inline __m256 tile_scores(const float* q, const float* tile, int32_t head_size) {
  __m256 acc = _mm256_mul_ps(_mm256_set1_ps(q[0]), _mm256_loadu_ps(tile));
  for (int32_t i = 1; i < head_size; ++i) {
    acc = _mm256_fmadd_ps(_mm256_set1_ps(q[i]), _mm256_loadu_ps(tile + i * kKeyTile), acc);
  }
  return acc;
}

// Stores the scores of the tile at position t (all 8, or the first n_pos - t
// of the last, partial tile) and folds them into the running maximum.
inline void store_tile_scores(float* att, int32_t t, int32_t n_pos, __m256 scores, __m256& vmax) {
  if (t + kKeyTile <= n_pos) {
    _mm256_storeu_ps(att + t, scores);
    vmax = _mm256_max_ps(vmax, scores);
  } else {
    const __m256i tail = tail_mask(n_pos - t);
    _mm256_maskstore_ps(att + t, tail, scores);
    vmax = _mm256_max_ps(vmax, _mm256_blendv_ps(vmax, scores, _mm256_castsi256_ps(tail)));
  }
}

// attention_scores_tiled, returning the largest score.
float scores_tiled(float* att, const float* q, const float* tiles, int32_t n_pos, int32_t head_size,
                   float divisor) {
  static_assert(kKeyTile == 8, "one AVX2 vector per tile row");
  // One multiply by the reciprocal, not a division per tile: the divider
  // takes 5 cycles per vector on Zen 4, more than the scores' FMAs.
  const __m256 scale = _mm256_set1_ps(1.0f / divisor);
  const auto tile_floats = static_cast<size_t>(head_size) * kKeyTile;
  const int32_t tiles_count = (n_pos + kKeyTile - 1) / kKeyTile;
  __m256 vq[8];
  if (head_size == 8) {  // stories260K: q's broadcasts stay in registers
    for (int32_t i = 0; i < 8; ++i) vq[i] = _mm256_set1_ps(q[i]);
  }
  __m256 vmax = _mm256_set1_ps(-INFINITY);
  for (int32_t tile = 0; tile < tiles_count; ++tile) {
    const float* keys = tiles + static_cast<size_t>(tile) * tile_floats;
    const __m256 scores = _mm256_mul_ps(
        head_size == 8 ? tile_scores<8>(vq, keys) : tile_scores(q, keys, head_size), scale);
    store_tile_scores(att, tile * kKeyTile, n_pos, scores, vmax);
  }
  return max_of(vmax);
}

}  // namespace

void attention_scores_tiled(float* att, const float* q, const float* tiles, int32_t n_pos,
                            int32_t head_size, float divisor) {
  scores_tiled(att, q, tiles, n_pos, head_size, divisor);
}

namespace {

void attention_head(float* out, float* att, const float* q, const float* tiles, const float* values,
                    int32_t kv_stride, int32_t n_pos, int32_t head_size, float divisor) {
  const float max_score = scores_tiled(att, q, tiles, n_pos, head_size, divisor);
  const float sum = exp_and_sum(att, n_pos, max_score);
  // The weights stay unnormalised; the weighted sum is scaled once instead:
  // head_size multiplies, not one per position.
  attention_values(out, att, values, kv_stride, n_pos, head_size);
  scale_in_place(out, head_size, 1.0f / sum);
}

// Two query heads of head size 8 over the same keys and values (grouped-query
// attention, stories260K): each key tile and value row is loaded once for
// both, and the two heads' dependency chains interleave. One such head alone
// is latency-bound: each step waits for the previous one's reduction.
void attention_pair8(float* out, float* att_a, float* att_b, const float* q, const float* tiles,
                     const float* values, int32_t kv_stride, int32_t n_pos, float divisor) {
  const __m256 scale = _mm256_set1_ps(1.0f / divisor);
  __m256 max_a = _mm256_set1_ps(-INFINITY), max_b = max_a;
  const int32_t tiles_count = (n_pos + kKeyTile - 1) / kKeyTile;
  for (int32_t tile = 0; tile < tiles_count; ++tile) {
    const float* keys = tiles + static_cast<size_t>(tile) * 8 * kKeyTile;
    __m256 key = _mm256_loadu_ps(keys);
    __m256 sa = _mm256_mul_ps(_mm256_set1_ps(q[0]), key);
    __m256 sb = _mm256_mul_ps(_mm256_set1_ps(q[8]), key);
    for (int32_t i = 1; i < 8; ++i) {
      key = _mm256_loadu_ps(keys + i * kKeyTile);
      sa = _mm256_fmadd_ps(_mm256_set1_ps(q[i]), key, sa);
      sb = _mm256_fmadd_ps(_mm256_set1_ps(q[8 + i]), key, sb);
    }
    store_tile_scores(att_a, tile * kKeyTile, n_pos, _mm256_mul_ps(sa, scale), max_a);
    store_tile_scores(att_b, tile * kKeyTile, n_pos, _mm256_mul_ps(sb, scale), max_b);
  }
  const float sum_a = exp_and_sum(att_a, n_pos, max_of(max_a));
  const float sum_b = exp_and_sum(att_b, n_pos, max_of(max_b));

  // Two accumulators per head over t: four independent FMA chains.
  const auto stride = static_cast<size_t>(kv_stride);
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, b0 = a0, b1 = a0;
  int32_t t = 0;
  for (; t + 2 <= n_pos; t += 2) {
    const __m256 v0 = _mm256_loadu_ps(values + static_cast<size_t>(t) * stride);
    const __m256 v1 = _mm256_loadu_ps(values + static_cast<size_t>(t + 1) * stride);
    a0 = _mm256_fmadd_ps(_mm256_set1_ps(att_a[t]), v0, a0);
    b0 = _mm256_fmadd_ps(_mm256_set1_ps(att_b[t]), v0, b0);
    a1 = _mm256_fmadd_ps(_mm256_set1_ps(att_a[t + 1]), v1, a1);
    b1 = _mm256_fmadd_ps(_mm256_set1_ps(att_b[t + 1]), v1, b1);
  }
  if (t < n_pos) {
    const __m256 v0 = _mm256_loadu_ps(values + static_cast<size_t>(t) * stride);
    a0 = _mm256_fmadd_ps(_mm256_set1_ps(att_a[t]), v0, a0);
    b0 = _mm256_fmadd_ps(_mm256_set1_ps(att_b[t]), v0, b0);
  }
  _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_add_ps(a0, a1), _mm256_set1_ps(1.0f / sum_a)));
  _mm256_storeu_ps(out + 8, _mm256_mul_ps(_mm256_add_ps(b0, b1), _mm256_set1_ps(1.0f / sum_b)));
}

}  // namespace

void attention_heads(float* out, float* att, int32_t att_stride, const float* q, int32_t n_heads,
                     const float* tiles, const float* values, int32_t kv_stride, int32_t n_pos,
                     int32_t head_size, float divisor) {
  const auto hs = static_cast<size_t>(head_size);
  const auto as = static_cast<size_t>(att_stride);
  int32_t h = 0;
  if (head_size == 8) {
    for (; h + 2 <= n_heads; h += 2) {
      attention_pair8(out + h * hs, att + h * as, att + (h + 1) * as, q + h * hs, tiles, values,
                      kv_stride, n_pos, divisor);
    }
  }
  for (; h < n_heads; ++h) {
    attention_head(out + h * hs, att + h * as, q + h * hs, tiles, values, kv_stride, n_pos,
                   head_size, divisor);
  }
}

void attention_values(float* out, const float* att, const float* values, int32_t kv_stride,
                      int32_t n_pos, int32_t head_size) {
  if (head_size % 8 != 0) {
    ref::attention_values(out, att, values, kv_stride, n_pos, head_size);
    return;
  }
  const auto stride = static_cast<size_t>(kv_stride);
  if (head_size == 8) {
    // One vector per position: four accumulators over t break the FMA chain.
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                     _mm256_setzero_ps()};
    int32_t t = 0;
    for (; t + 4 <= n_pos; t += 4) {
      for (int j = 0; j < 4; ++j) {
        acc[j] =
            _mm256_fmadd_ps(_mm256_set1_ps(att[t + j]),
                            _mm256_loadu_ps(values + static_cast<size_t>(t + j) * stride), acc[j]);
      }
    }
    for (; t < n_pos; ++t) {
      acc[0] = _mm256_fmadd_ps(_mm256_set1_ps(att[t]),
                               _mm256_loadu_ps(values + static_cast<size_t>(t) * stride), acc[0]);
    }
    _mm256_storeu_ps(out,
                     _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    return;
  }
  // Up to 64 floats of the output stay in registers across all positions.
  for (int32_t base = 0; base < head_size; base += 64) {
    const int32_t chunks = (head_size - base < 64 ? head_size - base : 64) / 8;
    __m256 acc[8];
    for (int32_t c = 0; c < chunks; ++c) acc[c] = _mm256_setzero_ps();
    for (int32_t t = 0; t < n_pos; ++t) {
      const __m256 a = _mm256_set1_ps(att[t]);
      const float* v = values + static_cast<size_t>(t) * stride + base;
      for (int32_t c = 0; c < chunks; ++c) {
        acc[c] = _mm256_fmadd_ps(a, _mm256_loadu_ps(v + 8 * c), acc[c]);
      }
    }
    for (int32_t c = 0; c < chunks; ++c) _mm256_storeu_ps(out + base + 8 * c, acc[c]);
  }
}

}  // namespace llmcu::kernels::x86
