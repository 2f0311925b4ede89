// The shared kernel checks (src/kernels/testing/kernel_checks.h) for every
// family this build has: the active one, the reference itself, on x86 the
// kernels of int8 models (x86::Avx2Q8), and on AVX-512 builds the AVX2
// family too. The ESP32-S3 family runs them in
// esp32s3_kernels_test.cpp, over the fake esp-dsp; the Cortex-M family in the
// image's --selftest under QEMU.
#include <gtest/gtest.h>

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
#if defined(LLMCU_KERNELS_AVX512)
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

#if defined(LLMCU_KERNELS_AVX512)
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

}  // namespace
}  // namespace llmcu::kernels
