// A single-precision exp for the Cortex-M kernels (softmax, SiLU), portable
// so that a host test can check it against the double-precision exp.
//
// Why not expf: newlib's expf on an FPv4 core is fdlibm's code behind an
// errno/finite wrapper, ~72 instructions a call, and softmax over the cached
// positions calls it n_heads * n_layers times per position. This one is
// straight-line float code of ~25 instructions.
//
// How: exp(x) = 2^k * exp(r) with k = round(x / ln2) and r = x - k ln2 in
// [-ln2/2, ln2/2] (ln2 split in two so that k * ln2_hi is exact), exp(r) =
// 1 + r + r^2 q(r) with q a degree-4 polynomial (Chebyshev interpolation of
// (exp(r) - 1 - r) / r^2 on that interval, rounded to float), then 2^k is
// added to the exponent bits.
//
// Accuracy (every third float in (-87.3, 88.7), against exp() in double):
// at most 1.15 ulp, mean 0.06 ulp; it differs from glibc's expf in under 1%
// of inputs. Not bit-exact with any libm, so the golden text, not the bits,
// is what the Cortex-M tests check. Below -87.33 (where exp(x) is subnormal)
// it returns 0: softmax and SiLU then add it to at least 1, where a
// subnormal changes nothing. Above 88.72 it returns +inf, NaN stays NaN.
// Compile it with -ffp-contract=off, like the rest of the core: a fused
// multiply-add would change the roundings this accuracy was measured with.
#pragma once

#include <cstdint>
#include <cstring>

namespace llmcu::kernels::cortex_m {

// The constants, shared with the assembly loops in kernels_cortex_m.cpp.
namespace exp_constants {
inline constexpr float kLow = -87.33654f;  // below: exp(x) is subnormal, returned as 0
inline constexpr float kHigh = 88.72283f;  // above: exp(x) overflows, returned as +inf
inline constexpr float kInvLn2 = 1.44269504f;
inline constexpr float kRound = 12582912.0f;         // 1.5 * 2^23
inline constexpr float kLn2Hi = 0.693145751953125f;  // 16 significant bits: k * kLn2Hi is exact
inline constexpr float kLn2Lo = 1.4286068e-6f;       // ln2 - kLn2Hi
inline constexpr float kC6 = 0.0013942160f;
inline constexpr float kC5 = 0.0083759679f;
inline constexpr float kC4 = 0.041666340f;
inline constexpr float kC3 = 0.16666405f;
}  // namespace exp_constants

inline float fast_exp(float x) {
  using namespace exp_constants;
  if (!(x > kLow)) return x != x ? x : 0.0f;  // NaN: x != x
  if (x > kHigh) return __builtin_inff();
  // round(x / ln2): adding 1.5 * 2^23 leaves no fraction bits (|x / ln2| < 2^22).
  const float kf = (x * kInvLn2 + kRound) - kRound;
  const auto k = static_cast<int32_t>(kf);
  const float r = (x - kf * kLn2Hi) - kf * kLn2Lo;
  float q = kC6;
  q = kC5 + r * q;
  q = kC4 + r * q;
  q = kC3 + r * q;
  q = 0.5f + r * q;
  float p = 1.0f + (r + (r * r) * q);  // in [0.70, 1.42]: a normal float
  uint32_t bits;
  memcpy(&bits, &p, sizeof bits);
  bits += static_cast<uint32_t>(k) << 23;  // k in [-126, 128]: the result stays normal or inf
  memcpy(&p, &bits, sizeof p);
  return p;
}

}  // namespace llmcu::kernels::cortex_m
