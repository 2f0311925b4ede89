// The generation loop: reset between generations, errors for prompts that do
// not fit, and not a single heap allocation while tokens are generated.
#include "llmcu/generator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "counting_new.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

class GeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_bytes_ = read_file(model_path("stories260K.bin"));
    tokenizer_bytes_ = read_file(model_path("tok512.bin"));
    model_ = *load_model(model_bytes_, "stories260K.bin");
  }

  Generator make(const SessionOptions& options) {
    Result<MemoryPlan> plan = plan_memory(model_, options);
    arena_.assign(plan->arena_bytes + Arena::kAlignment, 0);
    Result<Generator> g =
        Generator::create(model_, tokenizer_bytes_, "tok512.bin", *plan, arena_, nullptr);
    EXPECT_TRUE(g.is_ok()) << g.status().message();
    return *g;
  }

  std::vector<uint8_t> model_bytes_, tokenizer_bytes_, arena_;
  Model model_;
};

struct Collected {
  std::string text;
  int pieces = 0;
};
void collect(void* user, std::string_view piece) {
  auto* c = static_cast<Collected*>(user);
  c->text.append(piece);
  ++c->pieces;
}
void count_only(void* user, std::string_view) {
  ++static_cast<Collected*>(user)->pieces;
}

GenerateOptions sampled(const char* prompt, uint64_t seed) {
  GenerateOptions o;
  o.prompt = prompt;
  o.temperature = 0.9f;
  o.topp = 0.9f;
  o.seed = seed;
  o.steps = 120;
  return o;
}

TEST_F(GeneratorTest, SecondGenerationWithSameSeedEqualsTheFirst) {
  Generator g = make({});
  Collected first, other, again;
  ASSERT_TRUE(g.generate(sampled("Lily and Tom", 7), collect, &first).is_ok());
  ASSERT_TRUE(g.generate(sampled("The dog", 8), collect, &other).is_ok());
  ASSERT_TRUE(g.generate(sampled("Lily and Tom", 7), collect, &again).is_ok());
  EXPECT_EQ(first.text, again.text);
  EXPECT_NE(first.text, other.text);
}

TEST_F(GeneratorTest, GeneratingTokensAllocatesNothing) {
  Generator g = make({});
  Collected sink;
  GenerateOptions o = sampled("Once upon a time", 3);
  o.steps = 256;
  const long before = heap_allocations();
  Result<GenerationStats> stats = g.generate(o, count_only, &sink);
  const long after = heap_allocations();
  ASSERT_TRUE(stats.is_ok());
  EXPECT_GT(stats->generated_tokens, 50);
  EXPECT_EQ(after - before, 0) << "heap allocations during a generation";
}

TEST_F(GeneratorTest, StatsCountPromptAndGeneratedTokens) {
  Generator g = make({});
  GenerateOptions o;
  o.prompt = "Once upon a time";
  o.temperature = 0.0f;
  o.steps = 20;
  o.seed = 1;
  Result<GenerationStats> stats = g.generate(o, nullptr, nullptr);
  ASSERT_TRUE(stats.is_ok());
  EXPECT_EQ(stats->prompt_tokens, 5);  // BOS + 4
  EXPECT_EQ(stats->positions, 20);
  EXPECT_EQ(stats->generated_tokens, 16);
  EXPECT_EQ(stats->arena_bytes, g.plan().arena_bytes);
}

TEST_F(GeneratorTest, ShortContextIsHonoured) {
  Generator g = make({32, 0});
  GenerateOptions o = sampled("Once", 5);
  o.steps = 0;  // up to the context
  Result<GenerationStats> stats = g.generate(o, nullptr, nullptr);
  ASSERT_TRUE(stats.is_ok());
  EXPECT_LE(stats->positions, 32);
}

// llama2.c feeds as many prompt tokens as the steps (at most the context)
// have room for, printing each, and samples nothing.
TEST_F(GeneratorTest, PromptLongerThanTheContextIsFedAsFarAsItFits) {
  Generator g = make({16, 4096});
  std::string prompt;
  for (int i = 0; i < 40; ++i) prompt += "Once upon a time ";
  GenerateOptions o = sampled(prompt.c_str(), 5);
  Collected text;
  Result<GenerationStats> stats = g.generate(o, collect, &text);
  ASSERT_TRUE(stats.is_ok()) << stats.status().message();
  EXPECT_EQ(stats->positions, 16);
  EXPECT_EQ(stats->generated_tokens, 0);
  EXPECT_GT(stats->prompt_tokens, 16);
  // Each of the 16 positions prints the prompt token after it (BOS is never printed).
  EXPECT_EQ(text.pieces, 16);
  EXPECT_EQ(prompt.rfind(text.text, 0), 0u) << text.text;

  // Steps shorter than the prompt: the same, up to the steps.
  o.steps = 5;
  Collected five;
  stats = g.generate(o, collect, &five);
  ASSERT_TRUE(stats.is_ok());
  EXPECT_EQ(stats->positions, 5);
  EXPECT_EQ(text.text.rfind(five.text, 0), 0u);
}

TEST_F(GeneratorTest, PromptBeyondThePlannedBytesIsAnError) {
  Generator g = make({64, 100});
  const std::string prompt(101, 'a');
  Result<GenerationStats> stats = g.generate(sampled(prompt.c_str(), 5), nullptr, nullptr);
  ASSERT_FALSE(stats.is_ok());
  EXPECT_NE(std::string(stats.status().message()).find("at most 100"), std::string::npos);
}

TEST_F(GeneratorTest, BadOptionsAreRefused) {
  Generator g = make({});
  for (auto [t, p, n] : {std::tuple{-1.0f, 0.9f, 10},
                         {1.0f, 1.5f, 10},
                         {1.0f, -0.1f, 10},
                         {1.0f, 0.9f, -1},
                         {std::nanf(""), 0.9f, 10}}) {
    GenerateOptions o = sampled("x", 1);
    o.temperature = t;
    o.topp = p;
    o.steps = n;
    EXPECT_FALSE(g.generate(o, nullptr, nullptr).is_ok()) << t << " " << p << " " << n;
  }
}

TEST_F(GeneratorTest, ArenaTooSmallIsAnError) {
  std::vector<uint8_t> small(1000);
  Result<Generator> g =
      Generator::create(model_, tokenizer_bytes_, "t", *plan_memory(model_, {}), small, nullptr);
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(std::string(g.status().message()).find("too small"), std::string::npos);
}

TEST_F(GeneratorTest, APlanForAnotherModelOrPurposeIsRefused) {
  std::vector<uint8_t> arena(4 << 20);
  ModelConfig other = model_.config;
  other.n_layers = 3;
  Result<Generator> g =
      Generator::create(model_, tokenizer_bytes_, "t", *plan_memory(other, {}), arena, nullptr);
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(std::string(g.status().message()).find("not made for this model"), std::string::npos);

  MemoryPlan edited = *plan_memory(model_, {});
  edited.seq_len = 100;  // the parts no longer add up to this context
  EXPECT_FALSE(Generator::create(model_, tokenizer_bytes_, "t", edited, arena, nullptr).is_ok());

  SessionOptions forward;
  forward.purpose = SessionPurpose::kForward;
  g = Generator::create(model_, tokenizer_bytes_, "t", *plan_memory(model_, forward), arena,
                        nullptr);
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(std::string(g.status().message()).find("kGenerate"), std::string::npos);
}

TEST_F(GeneratorTest, AForwardSessionComputesTheGeneratorsLogits) {
  Generator g = make({});
  SessionOptions forward;
  forward.purpose = SessionPurpose::kForward;
  const MemoryPlan plan = *plan_memory(model_, forward);
  std::vector<uint8_t> arena(plan.arena_bytes + Arena::kAlignment);
  Result<Transformer> t = Transformer::create(model_, plan, arena, nullptr);
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  const int32_t tokens[] = {1, 403, 407, 261, 378};
  for (int32_t pos = 0; pos < 5; ++pos) {
    const float* want = g.transformer().forward(tokens[pos], pos);
    const float* got = t->forward(tokens[pos], pos);
    ASSERT_EQ(memcmp(want, got, sizeof(float) * model_.config.vocab_size), 0) << pos;
  }
  std::vector<uint8_t> small(plan.arena_bytes - 1);
  EXPECT_FALSE(Transformer::create(model_, plan, small, nullptr).is_ok());
}

// A block of exactly `bytes` usable bytes starting on an Arena::kAlignment
// boundary, inside `storage`.
std::span<uint8_t> aligned_block(std::vector<uint8_t>& storage, size_t bytes, uint8_t fill) {
  storage.assign(bytes + Arena::kAlignment, fill);
  const auto base = reinterpret_cast<uintptr_t>(storage.data());
  const size_t lead = (Arena::kAlignment - base % Arena::kAlignment) % Arena::kAlignment;
  return std::span<uint8_t>(storage.data() + lead, bytes);
}

std::string generate_text(Generator& g, uint64_t seed) {
  Collected c;
  EXPECT_TRUE(g.generate(sampled("Lily and Tom", seed), collect, &c).is_ok());
  return c.text;
}

TEST_F(GeneratorTest, KvCacheInItsOwnBlockGeneratesTheSameText) {
  for (const char* name : {"stories260K.bin", "stories260K_q8.bin"}) {
    const std::vector<uint8_t> bytes = read_file(model_path(name));
    Result<Model> model = load_model(bytes, name);
    ASSERT_TRUE(model.is_ok()) << model.status().message();
    for (const SessionOptions options : {SessionOptions{}, SessionOptions{64, 0}}) {
      Result<MemoryPlan> plan = plan_memory(*model, options);
      ASSERT_TRUE(plan.is_ok());
      EXPECT_EQ(plan->hot_bytes() + plan->kv_cache, plan->arena_bytes);

      std::vector<uint8_t> one_storage, hot_storage, kv_storage;
      Result<Generator> one =
          Generator::create(*model, tokenizer_bytes_, "tok512.bin", *plan,
                            aligned_block(one_storage, plan->arena_bytes, 0), nullptr);
      ASSERT_TRUE(one.is_ok()) << one.status().message();
      // Exactly the planned bytes in each block are enough.
      const std::span<uint8_t> kv = aligned_block(kv_storage, plan->kv_cache, 0xa5);
      Result<Generator> two =
          Generator::create(*model, tokenizer_bytes_, "tok512.bin", *plan,
                            aligned_block(hot_storage, plan->hot_bytes(), 0), nullptr, kv);
      ASSERT_TRUE(two.is_ok()) << two.status().message();
      EXPECT_EQ(two->plan().arena_bytes, plan->arena_bytes);

      for (uint64_t seed : {7u, 8u}) {
        const std::string expected = generate_text(*one, seed);
        EXPECT_FALSE(expected.empty());
        EXPECT_EQ(generate_text(*two, seed), expected) << name << " seed " << seed;
      }
      // The cache really lives in the second block: the generations wrote there.
      size_t written = 0;
      for (uint8_t b : kv) written += b != 0xa5;
      EXPECT_GT(written, kv.size() / 100) << name;
    }
  }
}

TEST_F(GeneratorTest, TooSmallKvCacheBlockOrHotArenaIsAnError) {
  Result<MemoryPlan> plan = plan_memory(model_, {});
  ASSERT_TRUE(plan.is_ok());
  std::vector<uint8_t> hot_storage, kv_storage;

  Result<Generator> g = Generator::create(model_, tokenizer_bytes_, "t", *plan,
                                          aligned_block(hot_storage, plan->hot_bytes(), 0), nullptr,
                                          aligned_block(kv_storage, plan->kv_cache - 1, 0));
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(std::string(g.status().message()).find("KV cache memory"), std::string::npos)
      << g.status().message();

  g = Generator::create(model_, tokenizer_bytes_, "t", *plan,
                        aligned_block(hot_storage, plan->hot_bytes() - 1, 0), nullptr,
                        aligned_block(kv_storage, plan->kv_cache, 0));
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(std::string(g.status().message()).find("besides the KV cache"), std::string::npos)
      << g.status().message();

  // Without a KV block the arena must hold the cache as well.
  g = Generator::create(model_, tokenizer_bytes_, "t", *plan,
                        aligned_block(hot_storage, plan->hot_bytes(), 0), nullptr);
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(std::string(g.status().message()).find("too small"), std::string::npos);
}

TEST_F(GeneratorTest, SeedZeroTakesEntropyAndReportsIt) {
  Generator g = make({});
  GenerateOptions o = sampled("Once", 0);
  o.steps = 10;
  Result<GenerationStats> stats = g.generate(o, nullptr, nullptr);
  ASSERT_TRUE(stats.is_ok());
  EXPECT_NE(stats->seed, 0u);
}

}  // namespace
}  // namespace llmcu::test
