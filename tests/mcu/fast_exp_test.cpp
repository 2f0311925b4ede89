// Accuracy of the Cortex-M kernels' polynomial exp (src/kernels/cortex_m/fast_exp.h), which is
// plain C++ and so can be checked here against exp() in double precision.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "../test_internals.h"

namespace {

using llmcu::kernels::cortex_m::fast_exp;

// Error in units in the last place of the correctly rounded float result.
double ulp_error(float got, double want) {
  int exponent = 0;
  std::frexp(static_cast<float>(want), &exponent);
  return std::fabs(static_cast<double>(got) - want) / std::ldexp(1.0, exponent - 24);
}

TEST(FastExp, WithinOneAndAQuarterUlpOverTheNormalRange) {
  double worst = 0.0, total = 0.0;
  float worst_x = 0.0f;
  int64_t n = 0;
  // Every 257th float bit pattern: both signs, all exponents, in the range where exp(x) is a
  // normal float.
  for (uint64_t b = 0; b <= 0xFFFFFFFFull; b += 257) {
    const auto bits = static_cast<uint32_t>(b);
    float x;
    memcpy(&x, &bits, sizeof x);
    if (!(x > -87.3f && x < 88.7f)) continue;
    const double e = ulp_error(fast_exp(x), std::exp(static_cast<double>(x)));
    total += e;
    ++n;
    if (e > worst) {
      worst = e;
      worst_x = x;
    }
  }
  EXPECT_LT(worst, 1.25) << "at x = " << worst_x;
  EXPECT_LT(total / static_cast<double>(n), 0.1);
}

TEST(FastExp, ExactWhereExpIsExact) {
  EXPECT_EQ(fast_exp(0.0f), 1.0f);
  EXPECT_EQ(fast_exp(-0.0f), 1.0f);
}

TEST(FastExp, SaturatesOutsideTheFloatRange) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(fast_exp(-87.5f), 0.0f);  // exp would be subnormal: flushed
  EXPECT_EQ(fast_exp(-1000.0f), 0.0f);
  EXPECT_EQ(fast_exp(-inf), 0.0f);
  EXPECT_EQ(fast_exp(88.8f), inf);
  EXPECT_EQ(fast_exp(inf), inf);
  EXPECT_TRUE(std::isnan(fast_exp(std::numeric_limits<float>::quiet_NaN())));
  // Just inside the edges of the range: normal, finite and accurate.
  const float low = std::nextafter(-87.33654f, 0.0f), high = 88.72283f;
  EXPECT_TRUE(std::isnormal(fast_exp(low)));
  EXPECT_LT(ulp_error(fast_exp(low), std::exp(static_cast<double>(low))), 1.25);
  EXPECT_TRUE(std::isfinite(fast_exp(high)));
  EXPECT_LT(ulp_error(fast_exp(high), std::exp(static_cast<double>(high))), 1.25);
}

}  // namespace
