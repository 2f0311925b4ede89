// The build's optimised kernels (kernels::active: AVX2, AVX-512, NEON, or ref itself)
// against the reference, on odd sizes so every vector tail is exercised.
//
// Tolerances, where the fast kernels sum in another order or use the
// polynomial exp:
//   matvec, dot, attention scores/values: |fast - ref| <= 1e-5 * sum |a_i b_i|
//   rmsnorm, swiglu:  relative 1e-5 (plus 1e-30 absolute)
//   softmax:          relative 1e-5 per probability
//   rope, argmax:     bit-exact
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/kernels.h"

namespace llmcu::kernels {
namespace {

namespace fast = active;

constexpr int32_t kSizes[] = {1, 3, 7, 17, 64, 172, 288, 1000};

std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

float abs_dot(const float* a, const float* b, int32_t n) {
  double s = 0;
  for (int32_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(a[i]) * b[i]);
  return static_cast<float>(s);
}

void expect_rel(float fast_value, float ref_value, float rel, const char* what, int32_t n) {
  EXPECT_LE(std::fabs(fast_value - ref_value), rel * std::fabs(ref_value) + 1e-30f)
      << what << " n=" << n << " fast=" << fast_value << " ref=" << ref_value;
}

TEST(SimdKernels, DotWithinTolerance) {
  for (int32_t n : kSizes) {
    // One float past an aligned start, as in version-0 checkpoints.
    std::vector<float> a = random_floats(n + 1, 1), b = random_floats(n + 1, 2);
    const float f = fast::dot_f32(a.data() + 1, b.data() + 1, n);
    const float r = ref::dot_f32(a.data() + 1, b.data() + 1, n);
    EXPECT_LE(std::fabs(f - r), 1e-5f * abs_dot(a.data() + 1, b.data() + 1, n)) << "n=" << n;
  }
}

TEST(SimdKernels, MatvecWithinToleranceOnUnalignedRows) {
  for (int32_t rows : kSizes) {
    for (int32_t cols : kSizes) {
      std::vector<float> w = random_floats(static_cast<size_t>(rows) * cols + 1, 3);
      std::vector<float> x = random_floats(cols, 4);
      const float* wp = w.data() + 1;
      std::vector<float> f(rows, -7.0f), r(rows, -7.0f);
      fast::matvec_f32(f.data(), wp, x.data(), cols, 0, rows);
      ref::matvec_f32(r.data(), wp, x.data(), cols, 0, rows);
      for (int32_t i = 0; i < rows; ++i) {
        const float bound = 1e-5f * abs_dot(wp + static_cast<size_t>(i) * cols, x.data(), cols);
        ASSERT_LE(std::fabs(f[i] - r[i]), bound) << rows << "x" << cols << " row " << i;
      }
    }
  }
}

TEST(SimdKernels, MatvecRowRangesAreIndependentOfTheSplit) {
  // Workers compute [begin, end) slices: every row must come out bit for bit
  // the same whatever slice it was in, or thread counts would change results.
  // 64 columns take the four-rows-at-a-time path, 288 the one-row path.
  const int32_t rows = 172;
  for (int32_t cols : {64, 288}) {
    std::vector<float> w = random_floats(static_cast<size_t>(rows) * cols, 5);
    std::vector<float> x = random_floats(cols, 6);
    std::vector<float> whole(rows), pieces(rows, -7.0f);
    fast::matvec_f32(whole.data(), w.data(), x.data(), cols, 0, rows);
    const int32_t cuts[] = {0, 1, 3, 7, 17, 64, 65, 100, 171, 172};
    for (size_t i = 0; i + 1 < std::size(cuts); ++i) {
      fast::matvec_f32(pieces.data(), w.data(), x.data(), cols, cuts[i], cuts[i + 1]);
    }
    EXPECT_EQ(memcmp(whole.data(), pieces.data(), sizeof(float) * rows), 0) << "cols " << cols;
  }
}

#if defined(LLMCU_KERNELS_AVX512)
TEST(SimdKernels, Avx512MatvecIsBitIdenticalToAvx2) {
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

TEST(SimdKernels, AxpyWithinTolerance) {
  for (int32_t n : kSizes) {
    std::vector<float> y = random_floats(n, 7), x = random_floats(n, 8);
    std::vector<float> yf = y, yr = y;
    fast::axpy_f32(yf.data(), 0.37f, x.data(), n);
    ref::axpy_f32(yr.data(), 0.37f, x.data(), n);
    for (int32_t i = 0; i < n; ++i) {
      // FMA rounds once where the reference rounds twice.
      EXPECT_LE(std::fabs(yf[i] - yr[i]), 1e-6f * (std::fabs(y[i]) + std::fabs(0.37f * x[i])));
    }
  }
}

TEST(SimdKernels, RmsnormWithinToleranceAndInPlace) {
  for (int32_t n : kSizes) {
    std::vector<float> x = random_floats(n, 9, 3.0f), w = random_floats(n, 10);
    std::vector<float> f(n), r(n);
    fast::rmsnorm(f.data(), x.data(), w.data(), n);
    ref::rmsnorm(r.data(), x.data(), w.data(), n);
    for (int32_t i = 0; i < n; ++i) expect_rel(f[i], r[i], 1e-5f, "rmsnorm", n);
    std::vector<float> in_place = x;
    fast::rmsnorm(in_place.data(), in_place.data(), w.data(), n);
    EXPECT_EQ(in_place, f);
  }
}

TEST(SimdKernels, SoftmaxWithinTolerance) {
  for (int32_t n : kSizes) {
    for (float scale : {1.0f, 30.0f, 200.0f}) {  // 200: most exps underflow
      std::vector<float> f = random_floats(n, 11, scale);
      std::vector<float> r = f;
      fast::softmax(f.data(), n);
      ref::softmax(r.data(), n);
      for (int32_t i = 0; i < n; ++i) expect_rel(f[i], r[i], 1e-5f, "softmax", n);
    }
  }
}

TEST(SimdKernels, SwigluWithinTolerance) {
  for (int32_t n : kSizes) {
    std::vector<float> hb = random_floats(n, 12, 12.0f), hb2 = random_floats(n, 13);
    std::vector<float> f = hb, r = hb;
    fast::swiglu(f.data(), hb2.data(), n);
    ref::swiglu(r.data(), hb2.data(), n);
    for (int32_t i = 0; i < n; ++i) expect_rel(f[i], r[i], 1e-5f, "swiglu", n);
  }
}

TEST(SimdKernels, RopeIsBitExact) {
  for (int32_t head_size : {2, 6, 8, 16, 48, 64}) {
    for (int32_t heads : {1, 3, 12}) {
      const int32_t n = head_size * heads;
      std::vector<float> cs(head_size);
      for (int32_t i = 0; i < head_size / 2; ++i) {
        cs[2 * i] = cosf(0.3f * static_cast<float>(i + 1));
        cs[2 * i + 1] = sinf(0.3f * static_cast<float>(i + 1));
      }
      std::vector<float> f = random_floats(n, 14), r = f;
      fast::rope(f.data(), cs.data(), n, head_size);
      ref::rope(r.data(), cs.data(), n, head_size);
      EXPECT_EQ(f, r) << "head_size " << head_size << " heads " << heads;
    }
  }
}

TEST(SimdKernels, ArgmaxIsBitExactIncludingTies) {
  for (int32_t n : kSizes) {
    std::vector<float> x = random_floats(n, 15);
    EXPECT_EQ(fast::argmax(x.data(), n), ref::argmax(x.data(), n)) << n;
    // Ties: the first index wins, also when the copies sit in other lanes.
    for (int32_t first : {0, n / 3, n - 1}) {
      std::vector<float> t = x;
      t[first] = 5.0f;
      for (int32_t j = first + 1; j < n; j += 5) t[j] = 5.0f;
      EXPECT_EQ(fast::argmax(t.data(), n), first) << n;
      EXPECT_EQ(ref::argmax(t.data(), n), first) << n;
    }
  }
  const std::vector<float> vocab = random_floats(32000, 16);
  EXPECT_EQ(fast::argmax(vocab.data(), 32000), ref::argmax(vocab.data(), 32000));
}

// Keys of one head stored both ways: rows kv_stride apart, and tiles.
struct BothKeyLayouts {
  std::vector<float> rows, tiles;
  BothKeyLayouts(int32_t n_pos, int32_t head_size, int32_t kv_stride, uint32_t seed)
      : rows(random_floats(static_cast<size_t>(n_pos) * kv_stride, seed)),
        tiles(static_cast<size_t>((n_pos + kKeyTile - 1) / kKeyTile) * kKeyTile * head_size,
              std::nanf("")) {  // unwritten lanes of the last tile must not matter
    for (int32_t t = 0; t < n_pos; ++t) {
      ref::store_key_tiled(tiles.data(), t, rows.data() + static_cast<size_t>(t) * kv_stride,
                           head_size);
    }
  }
};

TEST(SimdKernels, TiledAttentionScoresWithinTolerance) {
  for (int32_t head_size : {2, 6, 8, 16, 48, 64, 128}) {
    const int32_t kv_stride = head_size * 3 + 4;
    for (int32_t n_pos : {1, 3, 7, 8, 9, 16, 17, 64, 172, 288, 1000}) {
      const BothKeyLayouts keys(n_pos, head_size, kv_stride, 21);
      std::vector<float> q = random_floats(head_size, 22);
      const float divisor = sqrtf(static_cast<float>(head_size));
      std::vector<float> af(n_pos + 1, -7.0f), ar(n_pos + 1, -7.0f);
      fast::attention_scores_tiled(af.data(), q.data(), keys.tiles.data(), n_pos, head_size,
                                   divisor);
      ref::attention_scores(ar.data(), q.data(), keys.rows.data(), kv_stride, n_pos, head_size,
                            divisor);
      for (int32_t t = 0; t < n_pos; ++t) {
        const float bound = 1e-5f * abs_dot(q.data(), keys.rows.data() + t * kv_stride, head_size);
        ASSERT_LE(std::fabs(af[t] - ar[t]), bound) << head_size << " " << n_pos << " t " << t;
      }
      EXPECT_EQ(af[n_pos], -7.0f) << "wrote past n_pos";
    }
  }
}

TEST(SimdKernels, RefTiledScoresEqualRowScores) {
  for (int32_t head_size : {2, 8, 48}) {
    for (int32_t n_pos : {1, 7, 8, 9, 100}) {
      const BothKeyLayouts keys(n_pos, head_size, head_size * 2, 23);
      std::vector<float> q = random_floats(head_size, 24);
      std::vector<float> tiled(n_pos), rows(n_pos);
      ref::attention_scores_tiled(tiled.data(), q.data(), keys.tiles.data(), n_pos, head_size,
                                  3.0f);
      ref::attention_scores(rows.data(), q.data(), keys.rows.data(), head_size * 2, n_pos,
                            head_size, 3.0f);
      EXPECT_EQ(memcmp(tiled.data(), rows.data(), sizeof(float) * n_pos), 0)
          << head_size << " " << n_pos;
    }
  }
}

TEST(SimdKernels, AttentionHeadsWithinTolerance) {
  // kernels::attention_heads (fused on x86 over tiled keys, head size 8 in
  // pairs) against the reference's scores, softmax and weighted sum, for
  // groups of 1 to 3 query heads sharing one kv head.
  for (int32_t head_size : {2, 6, 8, 16, 48, 64}) {
    const int32_t kv_stride = head_size * 3 + 4;
    for (int32_t n_pos : {1, 3, 7, 8, 9, 17, 64, 172, 288, 1000}) {
      for (int32_t n_heads : {1, 2, 3}) {
        const BothKeyLayouts keys(n_pos, head_size, kv_stride, 25);
        std::vector<float> values = random_floats(static_cast<size_t>(n_pos) * kv_stride, 26);
        std::vector<float> q = random_floats(static_cast<size_t>(n_heads) * head_size, 27, 3.0f);
        const float divisor = sqrtf(static_cast<float>(head_size));
        const int32_t att_stride = n_pos + 5;
        std::vector<float> att(static_cast<size_t>(n_heads) * att_stride);
        std::vector<float> out(static_cast<size_t>(n_heads) * head_size, -7.0f);
        kernels::attention_heads(out.data(), att.data(), att_stride, q.data(), n_heads,
                                 kTiledKeys ? keys.tiles.data() : keys.rows.data(), values.data(),
                                 kv_stride, n_pos, head_size, divisor);
        for (int32_t h = 0; h < n_heads; ++h) {
          std::vector<float> p(n_pos), expected(head_size);
          ref::attention_scores(p.data(), q.data() + h * head_size, keys.rows.data(), kv_stride,
                                n_pos, head_size, divisor);
          ref::softmax(p.data(), n_pos);
          ref::attention_values(expected.data(), p.data(), values.data(), kv_stride, n_pos,
                                head_size);
          for (int32_t i = 0; i < head_size; ++i) {
            double bound = 0;
            for (int32_t t = 0; t < n_pos; ++t) {
              bound += std::fabs(p[t] * values[static_cast<size_t>(t) * kv_stride + i]);
            }
            ASSERT_LE(std::fabs(out[h * head_size + i] - expected[i]), 1e-5 * bound + 1e-7)
                << head_size << " " << n_pos << " head " << h << "/" << n_heads << " i " << i;
          }
        }
      }
    }
  }
}

TEST(SimdKernels, AttentionWithinTolerance) {
  for (int32_t head_size : {6, 8, 16, 48, 64, 128}) {
    const int32_t kv_stride = head_size * 3 + 4;  // other heads sit in between
    for (int32_t n_pos : kSizes) {
      std::vector<float> q = random_floats(head_size, 17);
      std::vector<float> keys = random_floats(static_cast<size_t>(n_pos) * kv_stride, 18);
      std::vector<float> values = random_floats(static_cast<size_t>(n_pos) * kv_stride, 19);
      const float divisor = sqrtf(static_cast<float>(head_size));
      std::vector<float> af(n_pos), ar(n_pos);
      fast::attention_scores(af.data(), q.data(), keys.data(), kv_stride, n_pos, head_size,
                             divisor);
      ref::attention_scores(ar.data(), q.data(), keys.data(), kv_stride, n_pos, head_size, divisor);
      for (int32_t t = 0; t < n_pos; ++t) {
        const float bound =
            1e-5f * abs_dot(q.data(), keys.data() + static_cast<size_t>(t) * kv_stride, head_size);
        ASSERT_LE(std::fabs(af[t] - ar[t]), bound) << head_size << " " << n_pos << " t " << t;
      }
      ref::softmax(ar.data(), n_pos);
      std::vector<float> of(head_size, -7.0f), orf(head_size, -7.0f);
      fast::attention_values(of.data(), ar.data(), values.data(), kv_stride, n_pos, head_size);
      ref::attention_values(orf.data(), ar.data(), values.data(), kv_stride, n_pos, head_size);
      for (int32_t i = 0; i < head_size; ++i) {
        double bound = 0;
        for (int32_t t = 0; t < n_pos; ++t) {
          bound += std::fabs(ar[t] * values[static_cast<size_t>(t) * kv_stride + i]);
        }
        ASSERT_LE(std::fabs(of[i] - orf[i]), 1e-5 * bound) << head_size << " " << n_pos;
      }
    }
  }
}

}  // namespace
}  // namespace llmcu::kernels
