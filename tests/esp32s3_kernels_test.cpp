// The ESP32-S3 kernel wrappers, built on the host against a fake esp-dsp that
// behaves as the real one is documented to: each row must take the path the
// alignment rules promise, and every result must match ref (exactly for
// int8, within float rounding for the re-ordered fp32 sum).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "dsps_dotprod.h"
#include "kernels/esp32s3/kernels_esp32s3.h"
#include "kernels/kernels.h"

namespace llmcu::kernels {
namespace {

template <typename T>
T* aligned(std::vector<uint8_t>& storage, size_t count, size_t misalign) {
  storage.assign(count * sizeof(T) + 64 + 16, 0);
  auto base = reinterpret_cast<uintptr_t>(storage.data());
  base = (base + 63) / 64 * 64 + misalign;
  return reinterpret_cast<T*>(base);
}

TEST(Esp32s3Kernels, Fp32TakesTheVectorPathOnlyWhenAlignedAndMatchesRef) {
  std::vector<uint8_t> ws, xs;
  const int32_t rows = 6, cols = 64;
  float* w = aligned<float>(ws, rows * cols, 0);
  float* x = aligned<float>(xs, cols, 0);
  for (int i = 0; i < rows * cols; ++i) w[i] = std::sin(0.37f * i);
  for (int i = 0; i < cols; ++i) x[i] = std::cos(0.11f * i);
  float out[rows], expected[rows];
  fake_esp_dsp::calls = {};
  esp32s3::matvec_f32(out, w, x, cols, 0, rows);
  ref::matvec_f32(expected, w, x, cols, 0, rows);
  EXPECT_EQ(fake_esp_dsp::calls.f32_vector, rows);
  EXPECT_EQ(fake_esp_dsp::calls.f32_fallback, 0);
  for (int r = 0; r < rows; ++r) EXPECT_NEAR(out[r], expected[r], 1e-5f) << r;

  // Misaligned by one float, or a length that is not a multiple of 4: ref,
  // never esp-dsp's hidden fallback.
  fake_esp_dsp::calls = {};
  EXPECT_EQ(esp32s3::dot_f32(w + 1, x, 60), ref::dot_f32(w + 1, x, 60));
  EXPECT_EQ(esp32s3::dot_f32(w, x, 62), ref::dot_f32(w, x, 62));
  EXPECT_EQ(esp32s3::dot_f32(w, x, 0), 0.0f);
  EXPECT_EQ(fake_esp_dsp::calls.f32_vector + fake_esp_dsp::calls.f32_fallback, 0);
  EXPECT_FALSE(esp32s3::f32_fast_path(w, x + 2, 64));
  EXPECT_TRUE(esp32s3::f32_fast_path(w + 4, x + 8, 4));
}

TEST(Esp32s3Kernels, Int8DotIsExactOnEitherPath) {
  std::vector<uint8_t> as, bs;
  for (int n : {0, 3, 4, 16, 20, 64, 176}) {
    for (size_t misalign : {0u, 1u}) {
      int8_t* a = aligned<int8_t>(as, n, misalign);
      int8_t* b = aligned<int8_t>(bs, n, 0);
      int32_t expected = 0;
      for (int i = 0; i < n; ++i) {
        a[i] = static_cast<int8_t>((i * 37) % 255 - 127);
        b[i] = static_cast<int8_t>(127 - (i * 11) % 255);
        expected += int32_t{a[i]} * b[i];
      }
      fake_esp_dsp::calls = {};
      EXPECT_EQ(esp32s3::dot_q8(a, b, n), expected) << n << " " << misalign;
      const bool vector = misalign == 0 && n > 0 && n % 16 == 0;
      EXPECT_EQ(fake_esp_dsp::calls.s8_vector, vector ? 1 : 0) << n << " " << misalign;
      EXPECT_EQ(fake_esp_dsp::calls.s8_fallback, 0)
          << "lengths esp-dsp would not vectorise stay here";
    }
  }
  // Extremes: 176 products of -128 * -128 fit easily in int32.
  int8_t* a = aligned<int8_t>(as, 176, 0);
  int8_t* b = aligned<int8_t>(bs, 176, 0);
  memset(a, 0x80, 176);
  memset(b, 0x80, 176);
  EXPECT_EQ(esp32s3::dot_q8(a, b, 176), 176 * 128 * 128);
}

TEST(Esp32s3Kernels, EverythingElseIsRef) {
  // The using-directive supplies the rest of the family unchanged.
  EXPECT_EQ(&esp32s3::rmsnorm, &ref::rmsnorm);
  EXPECT_EQ(&esp32s3::softmax, &ref::softmax);
  EXPECT_EQ(&esp32s3::axpy_f32, &ref::axpy_f32);
}

}  // namespace
}  // namespace llmcu::kernels
