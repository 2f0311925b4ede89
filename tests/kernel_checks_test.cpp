// The shared kernel checks (src/kernels/testing/kernel_checks.h) for every
// family this build has: the active one, the reference itself, on x86 the
// kernels of int8 models (x86::Avx2Q8, or x86::Avx512VnniQ8 with its VNNI
// matvec), and on AVX-512 builds the AVX2 family too. The ESP32-S3 family runs them in
// esp32s3_kernels_test.cpp, over the fake esp-dsp; the Cortex-M family in the
// image's --selftest under QEMU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "test_internals.h"
#include "test_support.h"

namespace llmcu::kernels {
namespace {

using test::random_floats;

template <class F>
class KernelChecks : public ::testing::Test {
 protected:
  using Check = void (*)(checks::Context&);

  // Runs one check with room for every case: none may be skipped here.
  static void run(Check check) {
    std::vector<uint8_t> scratch(16u << 20);
    const auto base = reinterpret_cast<uintptr_t>(scratch.data());
    uint8_t* aligned = scratch.data() + (64 - base % 64) % 64;
    checks::Context ctx(aligned, scratch.size() - 64, report, nullptr);
    check(ctx);
    EXPECT_GT(ctx.checks(), 0);
    EXPECT_EQ(ctx.skipped(), 0);
  }
  static void report(void*, const char* line) { ADD_FAILURE() << line; }
};

// Active::Q8Path, the kernels of int8 models, where it is a family of its own.
#if defined(LLMCU_KERNELS_AVX512) || defined(LLMCU_KERNELS_AVX512VNNI)
using Families = ::testing::Types<Active, x86::Avx2, Active::Q8Path, ref::Ref>;
#elif defined(LLMCU_KERNELS_AVX2)
using Families = ::testing::Types<Active, Active::Q8Path, ref::Ref>;
#elif defined(LLMCU_KERNELS_REF)
using Families = ::testing::Types<ref::Ref>;
#else
using Families = ::testing::Types<Active, ref::Ref>;
#endif

struct FamilyName {
  template <class F>
  static std::string GetName(int) {
    return F::kName;
  }
};
TYPED_TEST_SUITE(KernelChecks, Families, FamilyName);

TYPED_TEST(KernelChecks, DotAndAxpy) {
  this->run(checks::check_dot_axpy<TypeParam>);
}
TYPED_TEST(KernelChecks, MatvecF32) {
  this->run(checks::check_matvec_f32<TypeParam>);
}
TYPED_TEST(KernelChecks, Elementwise) {
  this->run(checks::check_elementwise<TypeParam>);
}
TYPED_TEST(KernelChecks, Rope) {
  this->run(checks::check_rope<TypeParam>);
}
TYPED_TEST(KernelChecks, Argmax) {
  this->run(checks::check_argmax<TypeParam>);
}
TYPED_TEST(KernelChecks, Attention) {
  this->run(checks::check_attention<TypeParam>);
}
TYPED_TEST(KernelChecks, MatvecQ8) {
  this->run(checks::check_matvec_q8<TypeParam>);
}
TYPED_TEST(KernelChecks, QuantizeQ8) {
  this->run(checks::check_quantize_q8<TypeParam>);
}
TYPED_TEST(KernelChecks, MatmulIsTheMatvecOfEachToken) {
  this->run(checks::check_matmul<TypeParam>);
}
TYPED_TEST(KernelChecks, GgmlDequantizeRows) {
  this->run(checks::check_ggml_dequantize<TypeParam>);
}
TYPED_TEST(KernelChecks, GgmlQuantizeRowQ8_0) {
  this->run(checks::check_ggml_quantize<TypeParam>);
}
TYPED_TEST(KernelChecks, GgmlMatvecF16) {
  this->run(checks::check_ggml_matvec_f16<TypeParam>);
}
TYPED_TEST(KernelChecks, GgmlMatvecQ8_0) {
  this->run(checks::check_ggml_matvec_q8_0<TypeParam>);
}
TYPED_TEST(KernelChecks, GgmlMatvecQ4_0) {
  this->run(checks::check_ggml_matvec_q4_0<TypeParam>);
}

#if defined(LLMCU_KERNELS_AVX512) || defined(LLMCU_KERNELS_AVX512VNNI)
TEST(X86Kernels, Avx512MatvecIsBitIdenticalToAvx2) {
  // Around the block (16), four-row (256) and register (384) limits.
  const int32_t cols_list[] = {1,   3,   7,   15,  16,  17,  64,  172, 255,
                               256, 257, 288, 383, 384, 385, 400, 768, 1000};
  const int32_t rows_list[] = {1, 3, 4, 5, 9, 33};
  for (int32_t cols : cols_list) {
    for (int32_t rows : rows_list) {
      std::vector<float> w = random_floats(static_cast<size_t>(rows) * cols + 1, 13);
      std::vector<float> x = random_floats(cols, 14);
      const float* wp = w.data() + 1;  // rows 4 bytes past alignment
      std::vector<float> narrow(rows, -7.0f), wide(rows, -7.0f);
      x86::matvec_f32_avx2(narrow.data(), wp, x.data(), cols, 0, rows);
      x86::matvec_f32_avx512(wide.data(), wp, x.data(), cols, 0, 1);
      x86::matvec_f32_avx512(wide.data(), wp, x.data(), cols, 1, rows);
      ASSERT_EQ(memcmp(narrow.data(), wide.data(), sizeof(float) * rows), 0) << rows << "x" << cols;
    }
  }
}
#endif

#if defined(LLMCU_KERNELS_AVX512VNNI)
// The VNNI matvec against ref beyond the harness: blocks of 16 rows and row
// ranges that start inside one, passes of 64 groups and tiles of 16, weights
// over the whole int8 range (-128 too: vpdpbusd sums the flipped weights
// exactly) and activations over theirs ([-127, 127], as quantize_q8 makes
// them), the largest magnitudes in every lane, group sizes that fall back to
// the AVX2 kernel (32), scales unaligned as in version-2 files.
TEST(X86Kernels, VnniMatvecQ8IsBitIdenticalToRef) {
  uint32_t seed = 7;
  const auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  for (int32_t gs : {32, 64, 128, 192}) {
    for (int32_t groups : {1, 2, 3, 5, 12, 13, 16, 17, 32, 64, 65, 150}) {
      const int32_t cols = gs * groups;
      for (int32_t rows : {1, 15, 16, 17, 33}) {
        for (int extremes = 0; extremes < 3; ++extremes) {
          const size_t n = static_cast<size_t>(rows) * cols;
          std::vector<int8_t> w(n + 1), xq(static_cast<size_t>(cols) + 1);
          std::vector<uint8_t> w_scales(static_cast<size_t>(rows) * groups * 4 + 1);
          std::vector<float> x_scales(groups);
          for (size_t i = 0; i < n; ++i) {
            // 0: any byte; 1: -128 and 127 only; 2: all -128.
            w[i + 1] = static_cast<int8_t>(extremes == 0 ? static_cast<int32_t>(next() % 256) - 128
                                           : extremes == 1 ? (next() % 2 ? 127 : -128)
                                                           : -128);
          }
          for (int32_t i = 0; i < cols; ++i) {
            xq[i + 1] = static_cast<int8_t>(extremes == 0 ? static_cast<int32_t>(next() % 255) - 127
                                                          : (next() % 2 ? 127 : -127));
          }
          for (size_t i = 0; i < static_cast<size_t>(rows) * groups; ++i) {
            const float scale = static_cast<float>(next() % 100000 + 1) * 1e-7f;
            memcpy(w_scales.data() + 1 + i * 4, &scale, 4);
          }
          for (float& s : x_scales) s = static_cast<float>(next() % 100000 + 1) * 1e-7f;
          std::vector<float> want(rows, -7.0f), got(rows, -7.0f);
          ref::matvec_q8(want.data(), w.data() + 1, w_scales.data() + 1, xq.data() + 1,
                         x_scales.data(), cols, gs, 0, rows);
          // Two row ranges, the second starting inside a block of 16.
          const int32_t split = rows / 3;
          x86::matvec_q8_vnni(got.data(), w.data() + 1, w_scales.data() + 1, xq.data() + 1,
                              x_scales.data(), cols, gs, 0, split);
          x86::matvec_q8_vnni(got.data(), w.data() + 1, w_scales.data() + 1, xq.data() + 1,
                              x_scales.data(), cols, gs, split, rows);
          ASSERT_EQ(memcmp(want.data(), got.data(), sizeof(float) * rows), 0)
              << rows << "x" << cols << ", group " << gs << ", extremes " << extremes;
        }
      }
    }
  }
}
#endif

// A broken kernel must be caught: the reference with one wrong matvec row.
void off_by_one_ulp(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                    int32_t row_end) {
  ref::matvec_f32(out, w, x, cols, row_begin, row_end);
  if (row_end - row_begin > 2) out[row_begin + 2] = std::nextafter(out[row_begin + 2], 1e9f);
}
struct Broken : ReferenceKernels<Broken> {
  static constexpr const char kName[] = "broken";
  static constexpr KernelSet kApproximate = {};
  static constexpr auto matvec_f32 = off_by_one_ulp;
};

TEST(KernelChecksHarness, CatchesAKernelOneUlpOffTheReference) {
  std::vector<uint8_t> scratch(1u << 20);
  int reported = 0;
  checks::Context ctx(
      scratch.data(), scratch.size(), [](void* user, const char*) { ++*static_cast<int*>(user); },
      &reported);
  checks::check_matvec_f32<Broken>(ctx);
  EXPECT_GT(ctx.failures(), 0);
  EXPECT_EQ(reported, ctx.failures());
}

// ggml's kernels as llama.cpp's AVX2 code computes them: activations rounded
// half to even (nearbyint) and Q4_0 scaled by (w.d * x.d), as Q8_0 is. Both
// differ from ref in a few bits only, and both must be caught.
void quantize_row_q8_0_ties_to_even(uint8_t* out, const float* x, int32_t cols) {
  ref::quantize_row_q8_0(out, x, cols);
  for (int32_t b = 0; b < cols / ggml::kBlockValues; ++b) {
    uint8_t* block = out + static_cast<size_t>(b) * ggml::kQ8_0BlockBytes;
    const float* xb = x + static_cast<size_t>(b) * ggml::kBlockValues;
    float amax = 0.0f;
    for (int32_t j = 0; j < ggml::kBlockValues; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int32_t j = 0; j < ggml::kBlockValues; ++j) {
      const float v = xb[j] * id;
      if (std::isfinite(v)) {
        block[ggml::kQsOffset + j] = static_cast<uint8_t>(static_cast<int8_t>(std::nearbyint(v)));
      }
    }
  }
}
void matvec_q4_0_one_scale(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols,
                           int32_t row_begin, int32_t row_end) {
  const size_t row_bytes = ggml::q4_0_row_bytes(cols);
  for (int32_t r = row_begin; r < row_end; ++r) {
    float sum = 0.0f;
    for (int32_t b = 0; b < cols / ggml::kBlockValues; ++b) {
      const uint8_t* wb = w + r * row_bytes + static_cast<size_t>(b) * ggml::kQ4_0BlockBytes;
      const uint8_t* xb = xq + static_cast<size_t>(b) * ggml::kQ8_0BlockBytes;
      int32_t dot = 0;
      for (int32_t j = 0; j < ggml::kBlockValues / 2; ++j) {
        dot += ((wb[2 + j] & 0x0f) - 8) * static_cast<int8_t>(xb[2 + j]);
        dot += ((wb[2 + j] >> 4) - 8) * static_cast<int8_t>(xb[2 + j + 16]);
      }
      sum += static_cast<float>(dot) * (ggml::load_fp16(wb) * ggml::load_fp16(xb));
    }
    out[r] = sum;
  }
}
struct LlamaCppRounding : ReferenceKernels<LlamaCppRounding> {
  static constexpr const char kName[] = "llama.cpp-rounding";
  static constexpr KernelSet kApproximate = {};
  static constexpr auto quantize_row_q8_0 = quantize_row_q8_0_ties_to_even;
  static constexpr auto matvec_q4_0 = matvec_q4_0_one_scale;
};

TEST(KernelChecksHarness, CatchesGgmlKernelsThatRoundOtherwise) {
  std::vector<uint8_t> scratch(1u << 20);
  int reported = 0;
  checks::Context ctx(
      scratch.data(), scratch.size(), [](void* user, const char*) { ++*static_cast<int*>(user); },
      &reported);
  checks::check_ggml_quantize<LlamaCppRounding>(ctx);
  const int quantize_failures = ctx.failures();
  EXPECT_GT(quantize_failures, 0);
  checks::check_ggml_matvec_q4_0<LlamaCppRounding>(ctx);
  EXPECT_GT(ctx.failures(), quantize_failures);
  checks::check_ggml_matvec_q8_0<LlamaCppRounding>(ctx);  // the reference's own
  EXPECT_EQ(reported, ctx.failures());
  EXPECT_EQ(ctx.skipped(), 0);
}

}  // namespace
}  // namespace llmcu::kernels
