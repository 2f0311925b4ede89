#include "llmcu/memory_plan.h"

#include <gtest/gtest.h>

#include "llmcu/arena.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

ModelConfig stories260k() {
  ModelConfig c;
  c.dim = 64;
  c.hidden_dim = 172;
  c.n_layers = 5;
  c.n_heads = 8;
  c.n_kv_heads = 4;
  c.vocab_size = 512;
  c.seq_len = 512;
  return c;
}

TEST(MemoryPlan, Stories260KKvCacheIs640KiB) {
  Result<MemoryPlan> plan = plan_memory(stories260k(), {});
  ASSERT_TRUE(plan.is_ok());
  EXPECT_EQ(plan->kv_cache, 640u * 1024);
  EXPECT_EQ(plan->seq_len, 512);
  EXPECT_EQ(plan->arena_bytes, plan->kv_cache + plan->activations + plan->logits + plan->sampler +
                                   plan->tokenizer_tables + plan->prompt_work);
  EXPECT_LE(plan->arena_bytes, 1024u * 1024);
  // Everything but the cache: what must stay in fast RAM when the cache moves out.
  EXPECT_EQ(plan->hot_bytes(), plan->activations + plan->logits + plan->sampler +
                                   plan->tokenizer_tables + plan->prompt_work);
}

TEST(MemoryPlan, ShorterContextShrinksTheCache) {
  Result<MemoryPlan> plan = plan_memory(stories260k(), {128, 0});
  EXPECT_EQ(plan->seq_len, 128);
  EXPECT_EQ(plan->kv_cache, 160u * 1024);
  EXPECT_EQ(plan_memory(stories260k(), {100000, 0})->seq_len, 512);
}

TEST(MemoryPlan, LongestContextForABudget) {
  const ModelConfig c = stories260k();
  const int32_t longest = max_seq_len_for(c, 300 * 1024, 0);
  ASSERT_GT(longest, 0);
  EXPECT_LE(plan_memory(c, {longest, 0})->arena_bytes, 300u * 1024);
  EXPECT_GT(plan_memory(c, {longest + 1, 0})->arena_bytes, 300u * 1024);
  EXPECT_EQ(max_seq_len_for(c, 1024 * 1024, 0), 512);
  EXPECT_EQ(max_seq_len_for(c, 100, 0), 0);
}

TEST(MemoryPlan, ArenaCarvesExactlyThePlan) {
  std::vector<uint8_t> memory(4096 + Arena::kAlignment);
  Arena arena(memory);
  float* a = arena.allocate<float>(10);
  float* b = arena.allocate<float>(3);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % Arena::kAlignment, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b) - reinterpret_cast<uintptr_t>(a), Arena::kAlignment);
  EXPECT_EQ(arena.allocate<float>(100000), nullptr);
  EXPECT_TRUE(arena.exhausted());
}

}  // namespace
}  // namespace llmcu::test
