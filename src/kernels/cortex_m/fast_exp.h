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

// exp(x) for softmax, where x = score - max <= 0, nearly correctly rounded
// (so, like glibc's expf, and unlike fast_exp, it rounds to the nearest float
// almost always), from a table of 2^(j/128) in two parts; ~18 instructions as
// assembly against fast_exp's ~21.
//
// exp(x) = 2^(k/128) * exp(r) with k = round(x * 128/ln2) and |r| <= ln2/256
// (ln2/128 split in two so that k * its high part is exact for |k| < 2^14);
// exp(r) - 1 = r + r^2/2 = p (the next term, r^3/6 < 3.4e-9, is far below a
// float's precision). With j = k & 127 and 2^(j/128) = hi + lo (hi the
// nearest float, lo the nearest float to the rest), 2^(j/128) exp(r) =
// hi + (lo + hi p) in [0.99, 2), one rounding at the end, then 2^(k >> 7) is
// added to its exponent. k comes out of the rounding itself: x * 128/ln2 +
// 1.5 * 2^23 leaves it in the low bits of the float (`raw` = 0x4B400000 + k).
//
// Accuracy (tests/mcu/fast_exp_test.cpp): within 0.57 ulp of exp() on
// (-87.33, 0]. x <= kLow (or NaN) is the caller's to handle, as with fast_exp:
// 0 (NaN).
namespace softmax_exp_constants {
inline constexpr float kInvLn2x128 = 184.664963f;  // 128 / ln2
inline constexpr float kLn2Hi = 0.00541687012f;    // 355/512 / 128: 9 significant bits
inline constexpr float kLn2Lo = -1.65776908e-06f;  // (ln2 - 355/512) / 128
// The bits of hi and lo of 2^(j/128) for j = 0..127, made with 80-digit
// decimal arithmetic and checked against exp2 in tests/mcu/fast_exp_test.cpp.
alignas(8) inline constexpr uint32_t kExp2Table[256] = {
    0x3F800000, 0x00000000, 0x3F80B1ED, 0x331FB333, 0x3F8164D2, 0xB1C43FD0, 0x3F8218AF, 0x3306E7F8,
    0x3F82CD87, 0xB34EA7A9, 0x3F838359, 0x331DDF6E, 0x3F843A29, 0xB2F14C87, 0x3F84F1F6, 0x332C6F38,
    0x3F85AAC3, 0x334F9891, 0x3F866491, 0x3337247F, 0x3F871F62, 0xB352C2E6, 0x3F87DB35, 0x337FED32,
    0x3F88980F, 0xB37EDA4B, 0x3F8955EE, 0x30D86398, 0x3F8A14D5, 0x336A92DE, 0x3F8AD4C6, 0x330A58E5,
    0x3F8B95C2, 0xB260ABA1, 0x3F8C57CA, 0xB2EE6E43, 0x3F8D1ADF, 0x3336FCB7, 0x3F8DDF04, 0x32808B9A,
    0x3F8EA43A, 0xB3697465, 0x3F8F6A81, 0x323F3647, 0x3F9031DC, 0x330628CD, 0x3F90FA4D, 0xB3682237,
    0x3F91C3D3, 0x33675624, 0x3F928E72, 0x337B2A64, 0x3F935A2B, 0x32BC4F9C, 0x3F9426FF, 0x31FAB1C0,
    0x3F94F4F0, 0xB32E0212, 0x3F95C3FF, 0xB3725267, 0x3F96942D, 0x32DC8061, 0x3F97657D, 0x3313E2F5,
    0x3F9837F0, 0x33231B71, 0x3F990B88, 0xB26CC9F4, 0x3F99E046, 0xB359BE90, 0x3F9AB62B, 0xB0DAC01E,
    0x3F9B8D3A, 0xB30C5563, 0x3F9C6573, 0x33505D86, 0x3F9D3EDA, 0xB331A601, 0x3F9E196E, 0x3244EA39,
    0x3F9EF532, 0x33412342, 0x3F9FD228, 0x32959003, 0x3FA0B051, 0x31FB9715, 0x3FA18FAF, 0xB2D5EAED,
    0x3FA27043, 0x30C3125A, 0x3FA3520F, 0x3351D005, 0x3FA43516, 0xB323EC33, 0x3FA51958, 0xB37282C2,
    0x3FA5FED7, 0xB32C9D5E, 0x3FA6E595, 0xB2C0445E, 0x3FA7CD94, 0xB3162D36, 0x3FA8B6D5, 0x3233D990,
    0x3FA9A15B, 0xB3162B08, 0x3FAA8D26, 0x3325D921, 0x3FAB7A3A, 0xB314AD82, 0x3FAC6897, 0xB3368380,
    0x3FAD583F, 0xB22DEAF6, 0x3FAE4934, 0x3325946B, 0x3FAF3B79, 0xB3252DEB, 0x3FB02F0E, 0xB2D1247F,
    0x3FB123F6, 0xB37C5AA8, 0x3FB21A32, 0xB33333CE, 0x3FB311C4, 0x32154889, 0x3FB40AAF, 0xB33B3569,
    0x3FB504F3, 0x32CFE77A, 0x3FB60094, 0xB32F4254, 0x3FB6FD92, 0xB266B974, 0x3FB7FBF0, 0xB2D5CD70,
    0x3FB8FBAF, 0x330EC5F7, 0x3FB9FCD2, 0x330A5817, 0x3FBAFF5B, 0xB31BD983, 0x3FBC034A, 0x337DE5D4,
    0x3FBD08A4, 0xB3414FE8, 0x3FBE0F68, 0x31986099, 0x3FBF179A, 0xB3130B1A, 0x3FC0213B, 0xB33C1E5F,
    0x3FC12C4D, 0xB2D6663E, 0x3FC238D2, 0x32C478F6, 0x3FC346CD, 0xB2976DA2, 0x3FC4563F, 0xB2CEB32D,
    0x3FC5672A, 0x320AA837, 0x3FC67991, 0xB314ABB7, 0x3FC78D75, 0xB2DD5119, 0x3FC8A2D8, 0x33391FFC,
    0x3FC9B9BE, 0xB37323A2, 0x3FCAD226, 0x333C8521, 0x3FCBEC15, 0xB006C6C2, 0x3FCD078C, 0xB3735F84,
    0x3FCE248C, 0x3228FC24, 0x3FCF4319, 0xB2C39B9C, 0x3FD06334, 0xB2944353, 0x3FD184DF, 0x3344A2D3,
    0x3FD2A81E, 0xB35C1DAA, 0x3FD3CCF1, 0xB34CF4CA, 0x3FD4F35B, 0xB3286024, 0x3FD61B5E, 0xB0303219,
    0x3FD744FD, 0xB2D4A58A, 0x3FD87039, 0x3318DB66, 0x3FD99D16, 0xB2F61D41, 0x3FDACB94, 0x335E5594,
    0x3FDBFBB8, 0xB3504A1C, 0x3FDD2D82, 0xB375EF9B, 0x3FDE60F5, 0xB37B43E3, 0x3FDF9613, 0xB2851C3F,
    0x3FE0CCDF, 0xB21EAB59, 0x3FE2055B, 0xAC3E164C, 0x3FE33F89, 0x33657D15, 0x3FE47B6D, 0xB33F9185,
    0x3FE5B907, 0xB2441BE6, 0x3FE6F85B, 0xB32A23C0, 0x3FE8396A, 0x33207898, 0x3FE97C38, 0x3300D89F,
    0x3FEAC0C7, 0xB24116DE, 0x3FEC0719, 0xB31367C7, 0x3FED4F30, 0x3276CCA1, 0x3FEE9910, 0xB34FE4BA,
    0x3FEFE4BA, 0xB348464A, 0x3FF13231, 0xB330A5ED, 0x3FF28177, 0x32F167FF, 0x3FF3D290, 0xB2871670,
    0x3FF5257D, 0x32292436, 0x3FF67A41, 0x3358E67F, 0x3FF7D0DF, 0x336615A2, 0x3FF9295A, 0xB3094457,
    0x3FFA83B3, 0xB2923758, 0x3FFBDFED, 0x3359CBE1, 0x3FFD3E0C, 0x31CF486C, 0x3FFE9E11, 0x3338F71F,
};
}  // namespace softmax_exp_constants

inline float softmax_exp(float x) {
  using namespace softmax_exp_constants;
  if (!(x > exp_constants::kLow)) return x != x ? x : 0.0f;
  const float shifted = x * kInvLn2x128 + exp_constants::kRound;
  uint32_t raw;
  memcpy(&raw, &shifted, sizeof raw);
  const float kf = shifted - exp_constants::kRound;
  const float r = (x - kf * kLn2Hi) - kf * kLn2Lo;
  float hi, lo;
  memcpy(&hi, &kExp2Table[2 * (raw & 127)], sizeof hi);
  memcpy(&lo, &kExp2Table[2 * (raw & 127) + 1], sizeof lo);
  const float p = (1.0f + r * 0.5f) * r;
  float e = hi + (lo + hi * p);
  uint32_t bits;
  memcpy(&bits, &e, sizeof bits);
  bits += (raw & ~127u) << 16;  // (k >> 7) << 23: 0x4B400000 shifts out
  memcpy(&e, &bits, sizeof e);
  return e;
}

}  // namespace llmcu::kernels::cortex_m
