// Accuracy of the Cortex-M kernels' polynomial exp (src/kernels/cortex_m/fast_exp.h), which is
// plain C++ and so can be checked here against exp() in double precision.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>

#include "../test_internals.h"

namespace {

using llmcu::kernels::cortex_m::fast_exp;
using llmcu::kernels::cortex_m::softmax_exp;

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

TEST(SoftmaxExp, NearlyCorrectlyRoundedWhereSoftmaxUsesIt) {
  double worst = 0.0;
  float worst_x = 0.0f;
  int64_t n = 0, rounded_wrong = 0;
  // Every 7th negative float in (-87.33654, 0] (about 160 million inputs).
  for (uint32_t bits = 0x80000000u; bits <= 0xC2AEAC4Fu; bits += 7) {
    float x;
    memcpy(&x, &bits, sizeof x);
    if (!(x > -87.33654f)) continue;
    const double want = std::exp(static_cast<double>(x));
    const float got = softmax_exp(x);
    const double e = ulp_error(got, want);
    rounded_wrong += got != static_cast<float>(want);
    ++n;
    if (e > worst) {
      worst = e;
      worst_x = x;
    }
  }
  EXPECT_LT(worst, 0.6) << "at x = " << worst_x;
  EXPECT_LT(static_cast<double>(rounded_wrong) / static_cast<double>(n), 2e-3);
  printf("softmax_exp: at most %.3f ulp; %lld of %lld not the nearest float\n", worst,
         static_cast<long long>(rounded_wrong), static_cast<long long>(n));
}

TEST(SoftmaxExp, TableHoldsTwoToTheJOver128) {
  for (uint32_t j = 0; j < 128; ++j) {
    const auto want = static_cast<float>(std::exp2(static_cast<double>(j) / 128.0));
    uint32_t want_bits;
    memcpy(&want_bits, &want, sizeof want_bits);
    const uint32_t* entry = &llmcu::kernels::cortex_m::softmax_exp_constants::kExp2Table[2 * j];
    EXPECT_EQ(entry[0], want_bits) << "j = " << j;
    // lo: the rest, to within a float's precision.
    float hi, lo;
    memcpy(&hi, &entry[0], sizeof hi);
    memcpy(&lo, &entry[1], sizeof lo);
    const double rest = std::exp2(static_cast<double>(j) / 128.0) - hi;
    EXPECT_LE(std::fabs(lo - rest), std::fabs(rest) * 0x1p-23 + 0x1p-52) << "j = " << j;
  }
}

TEST(SoftmaxExp, EndsOfItsRange) {
  EXPECT_EQ(softmax_exp(0.0f), 1.0f);
  EXPECT_EQ(softmax_exp(-0.0f), 1.0f);
  EXPECT_EQ(softmax_exp(-87.5f), 0.0f);
  EXPECT_EQ(softmax_exp(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_TRUE(std::isnan(softmax_exp(std::numeric_limits<float>::quiet_NaN())));
  const float low = std::nextafter(-87.33654f, 0.0f);
  EXPECT_TRUE(std::isnormal(softmax_exp(low)));
  EXPECT_LT(ulp_error(softmax_exp(low), std::exp(static_cast<double>(low))), 0.6);
}

}  // namespace
