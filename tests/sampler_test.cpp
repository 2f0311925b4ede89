#include "llmcu/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace llmcu {
namespace {

TEST(Sampler, XorshiftMatchesLlama2cSequence) {
  // llama2.c: state ^= state >> 12; ^= << 25; ^= >> 27; (state * 0x2545F4914F6CDD1D) >> 32.
  uint64_t state = 42;
  auto reference = [&state]() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return static_cast<uint32_t>((state * 0x2545F4914F6CDD1Dull) >> 32);
  };
  Sampler s;
  s.configure(1.0f, 0.9f, 42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(s.random_u32(), reference());
  s.configure(1.0f, 0.9f, 42);
  const float f = s.random_f32();
  EXPECT_GE(f, 0.0f);
  EXPECT_LT(f, 1.0f);
}

TEST(Sampler, GreedyPicksTheFirstMaximum) {
  std::vector<ProbIndex> scratch(5);
  Sampler s(5, scratch.data());
  s.configure(0.0f, 0.9f, 1);
  std::vector<float> logits = {0.1f, 3.0f, -2.0f, 3.0f, 1.0f};
  EXPECT_EQ(s.sample(logits.data()), 1);
}

TEST(Sampler, SameSeedSameTokens) {
  std::vector<ProbIndex> scratch(64);
  for (float topp : {0.0f, 0.5f, 0.9f, 1.0f}) {
    Sampler a(64, scratch.data());
    std::vector<int32_t> first, second;
    for (int run = 0; run < 2; ++run) {
      a.configure(0.8f, topp, 1234);
      for (int step = 0; step < 50; ++step) {
        std::vector<float> logits(64);
        for (int i = 0; i < 64; ++i)
          logits[i] = static_cast<float>((i * 37 + step * 11) % 17) * 0.3f;
        (run == 0 ? first : second).push_back(a.sample(logits.data()));
      }
    }
    EXPECT_EQ(first, second) << topp;
  }
}

TEST(Sampler, TopPKeepsOnlyTheNucleus) {
  // Probabilities 0.5, 0.3, 0.15, 0.05 (as logits): top-p 0.7 keeps the first two.
  std::vector<ProbIndex> scratch(4);
  Sampler s(4, scratch.data());
  s.configure(1.0f, 0.7f, 99);
  for (int i = 0; i < 500; ++i) {
    std::vector<float> logits = {logf(0.5f), logf(0.3f), logf(0.15f), logf(0.05f)};
    const int32_t token = s.sample(logits.data());
    EXPECT_TRUE(token == 0 || token == 1) << token;
  }
}

TEST(Sampler, NaNLogitsStillGiveAValidToken) {
  std::vector<ProbIndex> scratch(8);
  Sampler s(8, scratch.data());
  for (float topp : {0.0f, 0.9f}) {
    s.configure(1.0f, topp, 5);
    std::vector<float> logits(8, std::numeric_limits<float>::quiet_NaN());
    const int32_t token = s.sample(logits.data());
    EXPECT_TRUE(token >= 0 && token < 8);
  }
}

}  // namespace
}  // namespace llmcu
