// The ESP32-S3 kernel wrappers, built on the host against a fake esp-dsp that
// behaves as the real one is documented to: each row must take the path the
// alignment rules promise, and every result must match ref (exactly for
// int8, within float rounding for the re-ordered fp32 sum).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "dsps_dotprod.h"
#include "test_internals.h"

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

// Weights, scales and input for matvec_q8 with every group's scale different
// and values covering the whole int8 range; `w` and `xq` 16-byte aligned plus
// `misalign` bytes, each followed by the 16 bytes the vector path reads.
struct Q8Case {
  std::vector<uint8_t> w_storage, x_storage, s_storage;
  int8_t* w;
  int8_t* xq;
  const uint8_t* w_scales;
  std::vector<float> x_scales;

  Q8Case(int32_t rows, int32_t cols, int32_t group_size, size_t w_misalign, size_t x_misalign) {
    w = aligned<int8_t>(w_storage, static_cast<size_t>(rows) * cols + 16, w_misalign);
    xq = aligned<int8_t>(x_storage, static_cast<size_t>(cols) + 16, x_misalign);
    for (int32_t i = 0; i < rows * cols; ++i) w[i] = static_cast<int8_t>((i * 73 + 11) % 256 - 128);
    for (int32_t i = 0; i < cols; ++i) xq[i] = static_cast<int8_t>(127 - (i * 29) % 255);
    const int32_t groups = rows * cols / group_size;
    // One byte in: version-2 files leave the scales unaligned.
    s_storage.assign(static_cast<size_t>(groups) * sizeof(float) + 1, 0);
    for (int32_t g = 0; g < groups; ++g) {
      const float scale = 0.001f + 0.0007f * static_cast<float>((g * 7) % 13);
      memcpy(s_storage.data() + 1 + static_cast<size_t>(g) * sizeof(float), &scale, sizeof(scale));
    }
    w_scales = s_storage.data() + 1;
    for (int32_t g = 0; g < cols / group_size; ++g) x_scales.push_back(0.01f + 0.003f * g);
  }
};

// Each row's sum of |terms|: the bound for a float-rounding difference.
float row_magnitude(const Q8Case& c, int32_t r, int32_t cols, int32_t group_size) {
  float total = 0.0f;
  for (int32_t g = 0; g < cols / group_size; ++g) {
    int32_t acc = 0;
    for (int32_t k = 0; k < group_size; ++k) {
      acc += int32_t{c.w[r * cols + g * group_size + k]} * c.xq[g * group_size + k];
    }
    float scale;
    memcpy(&scale, c.w_scales + (static_cast<size_t>(r) * (cols / group_size) + g) * sizeof(float),
           sizeof(scale));
    total += std::fabs(static_cast<float>(acc) * scale * c.x_scales[g]);
  }
  return total;
}

TEST(Esp32s3Kernels, Int8MatvecTakesOneVectorDotPerGroupAndMatchesRef) {
  struct Shape {
    int32_t rows, cols, group_size;
  };
  // Odd row counts and ranges; 3, 11 and 1 groups per row (one group per row:
  // one esp-dsp call per row).
  for (const Shape sh :
       {Shape{7, 48, 16}, Shape{5, 352, 32}, Shape{9, 176, 176}, Shape{3, 64, 64}}) {
    Q8Case c(sh.rows, sh.cols, sh.group_size, 0, 0);
    const int32_t begin = 1, end = sh.rows;  // not from row 0
    std::vector<float> out(sh.rows, -1.0f), expected(sh.rows, -1.0f);
    ASSERT_TRUE(esp32s3::matvec_q8_fast_path(c.w, c.xq, sh.group_size));
    fake_esp_dsp::calls = {};
    esp32s3::matvec_q8(out.data(), c.w, c.w_scales, c.xq, c.x_scales.data(), sh.cols, sh.group_size,
                       begin, end);
    ref::matvec_q8(expected.data(), c.w, c.w_scales, c.xq, c.x_scales.data(), sh.cols,
                   sh.group_size, begin, end);
    EXPECT_EQ(fake_esp_dsp::calls.s8_vector, (end - begin) * (sh.cols / sh.group_size));
    EXPECT_EQ(fake_esp_dsp::calls.s8_fallback, 0);
    EXPECT_EQ(out[0], -1.0f) << "row 0 is outside the range";
    for (int32_t r = begin; r < end; ++r) {
      // Exact int32 per group and ref's float expression: equal up to the
      // compiler's contraction choices (none in the firmware's build).
      EXPECT_NEAR(out[r], expected[r], 1e-6f * row_magnitude(c, r, sh.cols, sh.group_size))
          << sh.cols << "/" << sh.group_size << " row " << r;
      EXPECT_NE(out[r], 0.0f);
    }
  }
}

TEST(Esp32s3Kernels, Int8MatvecFallsBackToRefForOtherLayouts) {
  struct Layout {
    int32_t rows, cols, group_size;
    size_t w_misalign, x_misalign;
  };
  // Groups not a multiple of 16 (4, 8, 20, 24), or rows/input off the 16-byte grid.
  for (const Layout l : {Layout{5, 40, 4, 0, 0}, Layout{3, 24, 8, 0, 0}, Layout{7, 60, 20, 0, 0},
                         Layout{3, 72, 24, 0, 0}, Layout{5, 64, 32, 1, 0}, Layout{5, 64, 32, 0, 8},
                         Layout{4, 96, 16, 4, 4}}) {
    Q8Case c(l.rows, l.cols, l.group_size, l.w_misalign, l.x_misalign);
    std::vector<float> out(l.rows), expected(l.rows);
    EXPECT_FALSE(esp32s3::matvec_q8_fast_path(c.w, c.xq, l.group_size));
    fake_esp_dsp::calls = {};
    esp32s3::matvec_q8(out.data(), c.w, c.w_scales, c.xq, c.x_scales.data(), l.cols, l.group_size,
                       0, l.rows);
    ref::matvec_q8(expected.data(), c.w, c.w_scales, c.xq, c.x_scales.data(), l.cols, l.group_size,
                   0, l.rows);
    EXPECT_EQ(fake_esp_dsp::calls.s8_vector + fake_esp_dsp::calls.s8_fallback, 0);
    // ref itself: bit for bit.
    for (int32_t r = 0; r < l.rows; ++r) EXPECT_EQ(out[r], expected[r]) << l.cols << " " << r;
  }
}

// A C model of kernels_esp32s3_pie.S (llmcu_s3_dot_q8_groups), which no CI
// machine can assemble: the contract the C++ relies on, including the block
// it loads past the last group.
int g_pie_calls = 0;
void pie_model(const int8_t* w, const int8_t* x, int32_t* sums, int32_t groups, int32_t blocks) {
  ++g_pie_calls;
  EXPECT_TRUE(esp32s3::q8_fast_path(w, x, 16));
  EXPECT_GE(blocks, 1);
  if (groups == 0) return;
  const int32_t n = blocks * 16;
  for (int32_t g = 0; g < groups; ++g) {
    int32_t acc = 0;
    for (int32_t i = 0; i < n; ++i) acc += int32_t{w[g * n + i]} * x[g * n + i];
    sums[g] = acc;
  }
  volatile int8_t past = static_cast<int8_t>(w[groups * n + 15] ^ x[groups * n + 15]);
  (void)past;
}

TEST(Esp32s3Kernels, Int8MatvecWithTheAssemblyContractTakesRowsInChunksOf64Groups) {
  struct Shape {
    int32_t rows, cols, group_size;
  };
  // 70 groups per row: a chunk of 64 and one of 6; 3 and 1 group per row.
  for (const Shape sh : {Shape{3, 1120, 16}, Shape{5, 192, 64}, Shape{7, 176, 176}}) {
    Q8Case c(sh.rows, sh.cols, sh.group_size, 0, 0);
    std::vector<float> with_model(sh.rows), with_esp_dsp(sh.rows), expected(sh.rows);
    g_pie_calls = 0;
    esp32s3::matvec_q8_with(pie_model, with_model.data(), c.w, c.w_scales, c.xq, c.x_scales.data(),
                            sh.cols, sh.group_size, 0, sh.rows);
    const int32_t groups = sh.cols / sh.group_size;
    EXPECT_EQ(g_pie_calls, sh.rows * ((groups + 63) / 64)) << sh.cols;
    esp32s3::matvec_q8(with_esp_dsp.data(), c.w, c.w_scales, c.xq, c.x_scales.data(), sh.cols,
                       sh.group_size, 0, sh.rows);
    ref::matvec_q8(expected.data(), c.w, c.w_scales, c.xq, c.x_scales.data(), sh.cols,
                   sh.group_size, 0, sh.rows);
    for (int32_t r = 0; r < sh.rows; ++r) {
      // The same float code after exact integer sums: identical to the
      // esp-dsp path, and ref's result up to the compiler's rounding choices.
      EXPECT_EQ(with_model[r], with_esp_dsp[r]) << sh.cols << " row " << r;
      EXPECT_NEAR(with_model[r], expected[r], 1e-6f * row_magnitude(c, r, sh.cols, sh.group_size));
    }
  }
}

TEST(Esp32s3Kernels, PassTheSharedKernelChecks) {
  std::vector<uint8_t> storage;
  uint8_t* scratch = aligned<uint8_t>(storage, 16u << 20, 0);
  checks::Context ctx(
      scratch, 16u << 20, [](void*, const char* line) { ADD_FAILURE() << line; }, nullptr);
  ctx.allow_reads_past_end(16);  // dot_q8's documented read-ahead
  checks::check_all<esp32s3::Esp32s3>(ctx);
  EXPECT_GT(ctx.checks(), 1000);
  EXPECT_EQ(ctx.skipped(), 0);
}

TEST(Esp32s3Kernels, EverythingElseIsRef) {
  // ReferenceKernels supplies the rest of the family unchanged.
  EXPECT_EQ(esp32s3::Esp32s3::rmsnorm, &ref::rmsnorm);
  EXPECT_EQ(esp32s3::Esp32s3::softmax, &ref::softmax);
  EXPECT_EQ(esp32s3::Esp32s3::axpy_f32, &ref::axpy_f32);
  EXPECT_EQ(esp32s3::Esp32s3::quantize_q8, &ref::quantize_q8);
  EXPECT_EQ(esp32s3::Esp32s3::dequantize_q8, &ref::dequantize_q8);
  EXPECT_EQ(esp32s3::Esp32s3::matvec_q8, &esp32s3::matvec_q8);
}

}  // namespace
}  // namespace llmcu::kernels
