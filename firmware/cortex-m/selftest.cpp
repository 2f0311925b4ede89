// `llmcu_mcu_app.elf --selftest`: runs the kernels the image uses
// (kernels::active) and the reference kernels on the same pseudo-random data,
// on the target itself, because the Cortex-M kernels are inline assembly that
// no host test executes. matvec (f32 and int8), dot, axpy and attention must be bit-exact
// (their contract); softmax and SiLU use a polynomial exp, so they are held to
// a few ulp, and that exp is compared with newlib's expf over its range.
#include "selftest.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "kernels/kernels.h"
#if defined(LLMCU_KERNELS_CORTEX_M)
#include "kernels/cortex_m/fast_exp.h"
#endif

namespace llmcu_mcu {
namespace {

namespace ref = llmcu::kernels::ref;
namespace active = llmcu::kernels::active;

constexpr int32_t kMax = 16384;  // floats per vector: 200 positions x kv_dim 64 fit
// Test vectors, carved from the caller's scratch memory (no static RAM of their own).
float *g_a, *g_b, *g_x, *g_got, *g_want;

uint32_t g_rng = 0x12345678u;
float random_float() {  // xorshift32, uniform in [-1, 1)
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return static_cast<float>(g_rng >> 8) / 8388608.0f - 1.0f;
}
int8_t random_int8() {  // uniform in [-127, 127], as quantized values are
  random_float();
  return static_cast<int8_t>(static_cast<int32_t>(g_rng % 255u) - 127);
}
void fill(float* v, int32_t n, float scale) {
  for (int32_t i = 0; i < n; ++i) v[i] = scale * random_float();
}

uint32_t bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}
// Distance in units in the last place between two finite floats of the same sign.
uint32_t ulps(float a, float b) {
  const uint32_t x = bits(a), y = bits(b);
  return x > y ? x - y : y - x;
}

int g_checks = 0, g_failures = 0;

void expect_same(const char* what, int32_t n, int32_t case_id) {
  ++g_checks;
  for (int32_t i = 0; i < n; ++i) {
    if (bits(g_got[i]) != bits(g_want[i])) {
      ++g_failures;
      fprintf(stderr, "selftest: FAIL %s (case %ld): element %ld is %.9g, ref %.9g\n", what,
              static_cast<long>(case_id), static_cast<long>(i), static_cast<double>(g_got[i]),
              static_cast<double>(g_want[i]));
      return;
    }
  }
}

void expect_close(const char* what, int32_t n, int32_t case_id, uint32_t max_ulps) {
  ++g_checks;
  for (int32_t i = 0; i < n; ++i) {
    const bool tiny = std::fabs(g_want[i]) < 1e-30f && std::fabs(g_got[i]) < 1e-30f;
    if (!tiny && ulps(g_got[i], g_want[i]) > max_ulps) {
      ++g_failures;
      fprintf(stderr, "selftest: FAIL %s (case %ld): element %ld is %.9g, ref %.9g\n", what,
              static_cast<long>(case_id), static_cast<long>(i), static_cast<double>(g_got[i]),
              static_cast<double>(g_want[i]));
      return;
    }
  }
}

void check_dot_axpy() {
  static const int32_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 64, 172, 173};
  int32_t id = 0;
  for (int32_t n : sizes) {
    fill(g_a, n, 1.0f);
    fill(g_b, n, 3.0f);
    g_got[0] = active::dot_f32(g_a, g_b, n);
    g_want[0] = ref::dot_f32(g_a, g_b, n);
    expect_same("dot_f32", 1, id);
    fill(g_got, n, 1.0f);
    memcpy(g_want, g_got, sizeof(float) * static_cast<size_t>(n));
    active::axpy_f32(g_got, 0.37f, g_a, n);
    ref::axpy_f32(g_want, 0.37f, g_a, n);
    expect_same("axpy_f32", n, id);
    ++id;
  }
}

void check_matvec() {
  static const int32_t cols_list[] = {1, 3, 4, 8, 12, 64, 172};
  int32_t id = 0;
  for (int32_t cols : cols_list) {
    for (int32_t rows = 1; rows <= 6; ++rows) {
      for (int32_t begin = 0; begin < rows; begin += 2) {
        fill(g_a, rows * cols, 0.5f);
        fill(g_x, cols, 2.0f);
        memset(g_got, 0, sizeof(float) * static_cast<size_t>(rows));
        memset(g_want, 0, sizeof(float) * static_cast<size_t>(rows));
        active::matvec_f32(g_got, g_a, g_x, cols, begin, rows);
        ref::matvec_f32(g_want, g_a, g_x, cols, begin, rows);
        expect_same("matvec_f32", rows, id++);
      }
    }
  }
}

// int8 matvec (Q8_0 groups): bit-exact, on unaligned rows and scales, for
// group sizes below, at and past one 4-byte word.
void check_matvec_q8() {
  static const int32_t group_sizes[] = {1, 3, 4, 6, 8, 32, 64};
  int32_t id = 0;
  for (int32_t group_size : group_sizes) {
    for (int32_t groups = 1; groups <= 3; ++groups) {
      const int32_t cols = group_size * groups;
      for (int32_t rows = 1; rows <= 5; rows += 2) {
        for (int32_t offset = 0; offset < 4; offset += 3) {
          auto* w = reinterpret_cast<int8_t*>(g_a) + offset;
          auto* w_scales = reinterpret_cast<uint8_t*>(g_b) + offset;
          auto* xq = reinterpret_cast<int8_t*>(g_x) + offset;
          float* x_scales = g_x + kMax / 2;
          for (int32_t i = 0; i < rows * cols; ++i) w[i] = random_int8();
          for (int32_t i = 0; i < cols; ++i) xq[i] = random_int8();
          for (int32_t i = 0; i < rows * groups; ++i) {
            const float scale = random_float() / 127.0f;
            memcpy(w_scales + i * sizeof(float), &scale, sizeof scale);
          }
          fill(x_scales, groups, 1.0f / 127.0f);
          llmcu::kernels::active_q8::matvec_q8(g_got, w, w_scales, xq, x_scales, cols, group_size,
                                               0, rows);
          ref::matvec_q8(g_want, w, w_scales, xq, x_scales, cols, group_size, 0, rows);
          expect_same("matvec_q8", rows, id++);
        }
      }
    }
  }
}

void check_attention() {
  static const int32_t head_sizes[] = {8, 16, 6};
  static const int32_t positions[] = {1, 2, 9, 50, 200};
  int32_t id = 0;
  for (int32_t hs : head_sizes) {
    for (int32_t n_pos : positions) {
      const int32_t stride = 4 * hs;    // kv_dim: other heads' entries in between
      fill(g_a, hs, 1.0f);              // q
      fill(g_b, n_pos * stride, 1.0f);  // keys, then used as values
      active::attention_scores(g_got, g_a, g_b + hs, stride, n_pos, hs, 2.828427f);
      ref::attention_scores(g_want, g_a, g_b + hs, stride, n_pos, hs, 2.828427f);
      expect_same("attention_scores", n_pos, id);
      fill(g_x, n_pos, 0.1f);  // attention weights
      active::attention_values(g_got, g_x, g_b + hs, stride, n_pos, hs);
      ref::attention_values(g_want, g_x, g_b + hs, stride, n_pos, hs);
      expect_same("attention_values", hs, id);
      ++id;
    }
  }
}

void check_softmax_swiglu() {
  static const int32_t sizes[] = {1, 2, 17, 200, 512};
  int32_t id = 0;
  for (int32_t n : sizes) {
    fill(g_got, n, 8.0f);
    memcpy(g_want, g_got, sizeof(float) * static_cast<size_t>(n));
    active::softmax(g_got, n);
    ref::softmax(g_want, n);
    expect_close("softmax", n, id, 8);
    fill(g_got, n, 6.0f);
    memcpy(g_want, g_got, sizeof(float) * static_cast<size_t>(n));
    fill(g_x, n, 2.0f);
    active::swiglu(g_got, g_x, n);
    ref::swiglu(g_want, g_x, n);
    expect_close("swiglu", n, id, 4);
    ++id;
  }
}

#if defined(LLMCU_KERNELS_CORTEX_M)
void check_fast_exp() {
  uint32_t worst = 0, differ = 0, total = 0;
  float worst_x = 0.0f;
  for (float x = -87.0f; x < 88.5f; x += 0.0173f) {
    const float got = llmcu::kernels::cortex_m::fast_exp(x), want = expf(x);
    const uint32_t d = ulps(got, want);
    if (d > worst) {
      worst = d;
      worst_x = x;
    }
    differ += d != 0;
    ++total;
  }
  ++g_checks;
  fprintf(stderr,
          "selftest: fast_exp vs newlib expf over (-87, 88.5): %lu inputs, %lu differ, at most "
          "%lu ulp (x = %.7g)\n",
          static_cast<unsigned long>(total), static_cast<unsigned long>(differ),
          static_cast<unsigned long>(worst), static_cast<double>(worst_x));
  if (worst > 2) {
    ++g_failures;
    fprintf(stderr, "selftest: FAIL fast_exp: more than 2 ulp from expf\n");
  }
  const float special[] = {-INFINITY, -1000.0f, -87.5f, 89.0f, INFINITY};
  const float expected[] = {0.0f, 0.0f, 0.0f, INFINITY, INFINITY};
  for (int i = 0; i < 5; ++i) {
    ++g_checks;
    if (bits(llmcu::kernels::cortex_m::fast_exp(special[i])) != bits(expected[i])) {
      ++g_failures;
      fprintf(stderr, "selftest: FAIL fast_exp(%g)\n", static_cast<double>(special[i]));
    }
  }
  ++g_checks;
  if (!std::isnan(llmcu::kernels::cortex_m::fast_exp(NAN))) {
    ++g_failures;
    fprintf(stderr, "selftest: FAIL fast_exp(NaN) is not NaN\n");
  }
}

// The assembly softmax and SiLU loops promise fast_exp's bits exactly: check
// them against the same arithmetic written in C, including the paths for
// underflow (0), overflow (+inf) and -inf inputs.
void check_exp_loops() {
  using llmcu::kernels::cortex_m::fast_exp;
  static const int32_t sizes[] = {1, 2, 3, 4, 5, 17, 200, 512};
  int32_t id = 0;
  for (int32_t n : sizes) {
    fill(g_got, n, 60.0f);
    if (n > 3) {
      g_got[1] = -INFINITY;
      g_got[2] = -1e30f;
    }
    memcpy(g_want, g_got, sizeof(float) * static_cast<size_t>(n));
    active::softmax(g_got, n);
    float max_value = g_want[0];
    for (int32_t i = 1; i < n; ++i) {
      if (g_want[i] > max_value) max_value = g_want[i];
    }
    float sum = 0.0f;
    for (int32_t i = 0; i < n; ++i) {
      g_want[i] = fast_exp(g_want[i] - max_value);
      sum += g_want[i];
    }
    for (int32_t i = 0; i < n; ++i) g_want[i] /= sum;
    expect_same("softmax vs fast_exp in C", n, id);

    fill(g_got, n, 120.0f);  // beyond +-88: both saturating paths
    memcpy(g_want, g_got, sizeof(float) * static_cast<size_t>(n));
    fill(g_x, n, 2.0f);
    active::swiglu(g_got, g_x, n);
    for (int32_t i = 0; i < n; ++i) {
      float value = g_want[i];
      value *= 1.0f / (1.0f + fast_exp(-value));
      g_want[i] = value * g_x[i];
    }
    expect_same("swiglu vs fast_exp in C", n, id);
    ++id;
  }
}
#endif

}  // namespace

size_t selftest_scratch_bytes() {
  return 5 * kMax * sizeof(float);
}

bool run_selftest(std::span<uint8_t> scratch) {
  if (scratch.size() < selftest_scratch_bytes()) {
    fprintf(stderr, "selftest: needs %lu bytes of scratch memory\n",
            static_cast<unsigned long>(selftest_scratch_bytes()));
    return false;
  }
  float* vectors[] = {nullptr, nullptr, nullptr, nullptr, nullptr};
  for (int i = 0; i < 5; ++i) vectors[i] = reinterpret_cast<float*>(scratch.data()) + i * kMax;
  g_a = vectors[0];
  g_b = vectors[1];
  g_x = vectors[2];
  g_got = vectors[3];
  g_want = vectors[4];
#if defined(LLMCU_KERNELS_CORTEX_M)
  const char* kernels = "cortex_m";
#else
  const char* kernels = "ref (nothing to compare)";
#endif
  check_dot_axpy();
  check_matvec();
  check_matvec_q8();
  check_attention();
  check_softmax_swiglu();
#if defined(LLMCU_KERNELS_CORTEX_M)
  check_fast_exp();
  check_exp_loops();
#endif
  fprintf(stderr, "selftest: kernels %s: %d checks, %d failed\n", kernels, g_checks, g_failures);
  return g_failures == 0;
}

}  // namespace llmcu_mcu
