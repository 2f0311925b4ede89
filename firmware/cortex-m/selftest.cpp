// `llmcu_mcu_app.elf --selftest`: the image's kernels (kernels::Active)
// against the reference on the target itself, because the Cortex-M kernels
// are inline assembly that no host test executes. Every kernel goes through
// the harness the host tests run (src/kernels/testing/kernel_checks.h: the
// family's bit-exact kernels must give ref's bits, the rest stay within its
// tolerances); then what only this family has: its polynomial exp against
// newlib's expf over the whole range, and the assembly softmax and SiLU loops
// against the same exp written in C, bit for bit.
#include "selftest.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "kernels/kernels.h"
#include "kernels/testing/kernel_checks.h"
#if defined(LLMCU_KERNELS_CORTEX_M)
#include "kernels/cortex_m/fast_exp.h"
#include "kernels/cortex_m/half.h"
#endif

namespace llmcu_mcu {
namespace {

using Active = llmcu::kernels::Active;
using llmcu::kernels::checks::Context;

void report_failure(void*, const char* line) {
  fprintf(stderr, "selftest: FAIL %s\n", line);
}

#if defined(LLMCU_KERNELS_CORTEX_M)
using llmcu::kernels::cortex_m::fast_exp;
using llmcu::kernels::cortex_m::softmax_exp;

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

// `exp_fn` against newlib's expf on [from, to] in steps of `step`: printed,
// and within 2 ulp.
void compare_with_expf(Context& ctx, const char* name, float (*exp_fn)(float), float from, float to,
                       float step) {
  uint32_t worst = 0, differ = 0, total = 0;
  float worst_x = 0.0f;
  for (float x = from; x <= to; x += step) {
    const uint32_t d = ulps(exp_fn(x), expf(x));
    if (d > worst) {
      worst = d;
      worst_x = x;
    }
    differ += d != 0;
    ++total;
  }
  char range[48];
  snprintf(range, sizeof(range), "[%g, %g]", static_cast<double>(from), static_cast<double>(to));
  fprintf(stderr,
          "selftest: %s vs newlib expf over %s: %lu inputs, %lu differ, at most %lu ulp (x = "
          "%.7g)\n",
          name, range, static_cast<unsigned long>(total), static_cast<unsigned long>(differ),
          static_cast<unsigned long>(worst), static_cast<double>(worst_x));
  ctx.expect_true(worst <= 2, Active::kName, "exp within 2 ulp of expf", range);
}

void check_fast_exp(Context& ctx) {
  compare_with_expf(ctx, "fast_exp", fast_exp, -87.0f, 88.5f, 0.0173f);
  compare_with_expf(ctx, "softmax_exp", softmax_exp, -87.0f, 0.0f, 0.0091f);
  const float special[] = {-INFINITY, -1000.0f, -87.5f, 89.0f, INFINITY};
  const float expected[] = {0.0f, 0.0f, 0.0f, INFINITY, INFINITY};
  for (int i = 0; i < 5; ++i) {
    const float got = fast_exp(special[i]);
    ctx.expect(Active::kName, "fast_exp at the ends of its range", "special values", &got,
               &expected[i], nullptr, 1);
  }
  ctx.expect_true(std::isnan(fast_exp(NAN)), Active::kName, "fast_exp(NaN) is NaN", "NaN");
}

// The ggml kernels read fp16 scales with VCVTB (half.h): every half must
// convert as ggml::fp16_to_f32 does (a NaN to a NaN).
void check_half_conversion(Context& ctx) {
  uint32_t differ = 0, first = 0;
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float hw = llmcu::kernels::cortex_m::fp16_to_f32(static_cast<uint16_t>(h));
    const float sw = llmcu::kernels::ggml::fp16_to_f32(static_cast<uint16_t>(h));
    if (bits(hw) != bits(sw) && !(std::isnan(hw) && std::isnan(sw))) {
      if (differ++ == 0) first = h;
    }
  }
  if (differ != 0) {
    fprintf(stderr, "selftest: VCVTB differs from ggml::fp16_to_f32 on %lu halves, first 0x%04lx\n",
            static_cast<unsigned long>(differ), static_cast<unsigned long>(first));
  }
  ctx.expect_true(differ == 0, Active::kName, "VCVTB converts every half as ggml::fp16_to_f32",
                  "65536 halves");
}

// The assembly softmax and SiLU loops promise softmax_exp's and fast_exp's
// bits exactly: check them against the same arithmetic written in C,
// including the paths for underflow (0), overflow (+inf) and -inf inputs.
void check_exp_loops(Context& ctx) {
  static const int32_t sizes[] = {1, 2, 3, 4, 5, 17, 200, 512};
  for (int32_t n : sizes) {
    ctx.begin_case();
    float* got = ctx.take<float>(n);
    float* want = ctx.take<float>(n);
    float* x = ctx.take<float>(n);
    const llmcu::kernels::checks::Shape s =
        llmcu::kernels::checks::shape("n %d", static_cast<int>(n));
    ctx.fill(got, n, 60.0f);
    if (n > 3) {
      got[1] = -INFINITY;
      got[2] = -1e30f;
    }
    memcpy(want, got, sizeof(float) * static_cast<size_t>(n));
    Active::softmax(got, n);
    float max_value = want[0];
    for (int32_t i = 1; i < n; ++i) max_value = want[i] > max_value ? want[i] : max_value;
    float sum = 0.0f;
    for (int32_t i = 0; i < n; ++i) {
      want[i] = softmax_exp(want[i] - max_value);
      sum += want[i];
    }
    for (int32_t i = 0; i < n; ++i) want[i] /= sum;
    ctx.expect(Active::kName, "softmax vs softmax_exp in C", s.text, got, want, nullptr, n);

    ctx.fill(got, n, 120.0f);  // beyond +-88: both saturating paths
    memcpy(want, got, sizeof(float) * static_cast<size_t>(n));
    ctx.fill(x, n, 2.0f);
    Active::swiglu(got, x, n);
    for (int32_t i = 0; i < n; ++i) {
      float value = want[i];
      value *= 1.0f / (1.0f + fast_exp(-value));
      want[i] = value * x[i];
    }
    ctx.expect(Active::kName, "swiglu vs fast_exp in C", s.text, got, want, nullptr, n);
  }
}
#endif

}  // namespace

size_t selftest_scratch_bytes() {
  return 256 * 1024;
}

bool run_selftest(std::span<uint8_t> scratch) {
  if (scratch.size() < selftest_scratch_bytes()) {
    fprintf(stderr, "selftest: needs %lu bytes of scratch memory\n",
            static_cast<unsigned long>(selftest_scratch_bytes()));
    return false;
  }
  Context ctx(scratch.data(), scratch.size(), report_failure, nullptr);
  llmcu::kernels::checks::check_all<Active>(ctx);
  fprintf(stderr, "selftest: kernel checks: %d cases too large for %lu bytes of scratch, skipped\n",
          ctx.skipped(), static_cast<unsigned long>(scratch.size()));
#if defined(LLMCU_KERNELS_CORTEX_M)
  check_fast_exp(ctx);
  check_exp_loops(ctx);
  check_half_conversion(ctx);
#endif
  fprintf(stderr, "selftest: kernels %s: %d checks, %d failed\n", Active::kName, ctx.checks(),
          ctx.failures());
  return ctx.failures() == 0;
}

}  // namespace llmcu_mcu
