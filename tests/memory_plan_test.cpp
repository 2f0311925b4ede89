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
  const int32_t longest = max_seq_len_for(c, 300 * 1024);
  ASSERT_GT(longest, 0);
  EXPECT_LE(plan_memory(c, {longest, 0})->arena_bytes, 300u * 1024);
  EXPECT_GT(plan_memory(c, {longest + 1, 0})->arena_bytes, 300u * 1024);
  EXPECT_EQ(max_seq_len_for(c, 1024 * 1024), 512);
  EXPECT_EQ(max_seq_len_for(c, 100), 0);
}

TEST(MemoryPlan, ContextsPastTheModelsPlanExactlyTheModelsContext) {
  // The context resolves before anything derived from it (prompt memory).
  const ModelConfig c = stories260k();
  const MemoryPlan model = *plan_memory(c, {});
  for (int32_t seq_len : {0, 512, 513, 5000, 100000000, INT32_MAX}) {
    Result<MemoryPlan> plan = plan_memory(c, {seq_len, 0});
    ASSERT_TRUE(plan.is_ok()) << seq_len;
    EXPECT_EQ(plan->seq_len, 512) << seq_len;
    EXPECT_EQ(plan->max_prompt_bytes, 512 * kPromptBytesPerPosition) << seq_len;
    EXPECT_EQ(plan->arena_bytes, model.arena_bytes) << seq_len;
  }
}

TEST(MemoryPlan, PromptMemoryFollowsTheContextUnlessAPromptNeedsMore) {
  const ModelConfig c = stories260k();
  EXPECT_EQ(plan_memory(c, {100, 0})->max_prompt_bytes, 400u);
  EXPECT_EQ(plan_memory(c, {100, 64})->max_prompt_bytes, 64u);
  SessionOptions options;
  options.seq_len = 100;
  options.prompt_bytes = 300;  // fits the default
  EXPECT_EQ(plan_memory(c, options)->max_prompt_bytes, 400u);
  options.prompt_bytes = 5000;  // does not
  EXPECT_EQ(plan_memory(c, options)->max_prompt_bytes, 5000u);
  options.max_prompt_bytes = 64;
  EXPECT_EQ(plan_memory(c, options)->max_prompt_bytes, 5000u);
  // The longest context for a budget plans each candidate with the same rule.
  options.prompt_bytes = 5000;  // 120 KB of work memory
  const int32_t longest = max_seq_len_for(c, 300 * 1024, options);
  ASSERT_GT(longest, 0);
  options.seq_len = longest;
  EXPECT_LE(plan_memory(c, options)->arena_bytes, 300u * 1024);
  options.seq_len = longest + 1;
  EXPECT_GT(plan_memory(c, options)->arena_bytes, 300u * 1024);
  EXPECT_LT(longest, max_seq_len_for(c, 300 * 1024));
}

TEST(MemoryPlan, StepsResolveAgainstTheContext) {
  EXPECT_EQ(resolve_steps(0, 512), 512);
  EXPECT_EQ(resolve_steps(-3, 512), 512);
  EXPECT_EQ(resolve_steps(513, 512), 512);
  EXPECT_EQ(resolve_steps(INT32_MAX, 512), 512);
  EXPECT_EQ(resolve_steps(40, 512), 40);
  EXPECT_EQ(plan_memory(stories260k(), {64, 0})->positions(256), 64);
}

TEST(MemoryPlan, ForwardSessionsPlanOnlyTheTransformer) {
  SessionOptions options;
  options.purpose = SessionPurpose::kForward;
  const MemoryPlan forward = *plan_memory(stories260k(), options);
  const MemoryPlan generate = *plan_memory(stories260k(), {});
  EXPECT_EQ(forward.kv_cache, generate.kv_cache);
  EXPECT_EQ(forward.activations, generate.activations);
  EXPECT_EQ(forward.sampler + forward.tokenizer_tables + forward.prompt_work, 0u);
  EXPECT_EQ(forward.max_prompt_bytes, 0u);
  EXPECT_EQ(forward.arena_bytes, forward.kv_cache + forward.activations + forward.logits);
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
