#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "test_internals.h"
#include "test_support.h"

namespace llmcu::kernels {
namespace {

using test::random_floats;

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

TEST(RefKernels, TiledScoresEqualRowScores) {
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

TEST(RefKernels, MatvecOnUnalignedRows) {
  // Rows start 4 bytes past a 64-byte boundary, like version-0 tensors.
  std::vector<float> storage(1 + 3 * 5);
  float* w = storage.data() + 1;
  for (int i = 0; i < 15; ++i) w[i] = static_cast<float>(i);
  const float x[5] = {1, 0, -1, 2, 0.5f};
  float out[3] = {};
  ref::matvec_f32(out, w, x, 5, 0, 3);
  for (int r = 0; r < 3; ++r) {
    float expected = 0;
    for (int c = 0; c < 5; ++c) expected += w[r * 5 + c] * x[c];
    EXPECT_FLOAT_EQ(out[r], expected);
  }
  float partial[3] = {-7, -7, -7};
  ref::matvec_f32(partial, w, x, 5, 1, 2);
  EXPECT_EQ(partial[0], -7);
  EXPECT_FLOAT_EQ(partial[1], out[1]);
  EXPECT_EQ(partial[2], -7);
}

TEST(RefKernels, SoftmaxSumsToOne) {
  std::vector<float> x = {1000.0f, 1001.0f, 999.0f};
  ref::softmax(x.data(), 3);
  EXPECT_NEAR(x[0] + x[1] + x[2], 1.0f, 1e-6f);
  EXPECT_GT(x[1], x[0]);
}

TEST(RefKernels, RmsnormScalesToUnitRms) {
  std::vector<float> x = {3.0f, 4.0f}, w = {1.0f, 2.0f}, out(2);
  ref::rmsnorm(out.data(), x.data(), w.data(), 2, 1e-5f);
  const float inv = 1.0f / sqrtf(12.5f + 1e-5f);
  EXPECT_FLOAT_EQ(out[0], 3.0f * inv);
  EXPECT_FLOAT_EQ(out[1], 2.0f * 4.0f * inv);
}

TEST(RefKernels, RopeRotatesEachPairPerHead) {
  std::vector<float> v = {1, 0, 1, 0, 0, 1, 0, 1};  // two heads of size 4
  const float cs[4] = {0.0f, 1.0f, 1.0f, 0.0f};     // pair 0 by 90 degrees, pair 1 by 0
  ref::rope(v.data(), cs, 8, 4);
  EXPECT_EQ(v, (std::vector<float>{0, 1, 1, 0, -1, 0, 0, 1}));
}

TEST(RefKernels, SwigluAndArgmax) {
  std::vector<float> hb = {0.0f, 2.0f}, hb2 = {5.0f, 3.0f};
  ref::swiglu(hb.data(), hb2.data(), 2);
  EXPECT_FLOAT_EQ(hb[0], 0.0f);
  EXPECT_FLOAT_EQ(hb[1], 2.0f / (1.0f + expf(-2.0f)) * 3.0f);
  const float x[4] = {1, 5, 5, 2};
  EXPECT_EQ(ref::argmax(x, 4), 1);
}

}  // namespace
}  // namespace llmcu::kernels
