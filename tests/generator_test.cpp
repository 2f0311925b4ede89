// The generation loop: reset between generations, errors for prompts that do
// not fit, and not a single heap allocation while tokens are generated.
#include "llmcu/generator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "test_support.h"

// Counts every heap allocation in this test binary.
static std::atomic<long> g_allocations{0};
void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) {
  return operator new(size);
}
void operator delete(void* p) noexcept {
  free(p);
}
void operator delete[](void* p) noexcept {
  free(p);
}
void operator delete(void* p, size_t) noexcept {
  free(p);
}
void operator delete[](void* p, size_t) noexcept {
  free(p);
}

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
        Generator::create(model_, tokenizer_bytes_, "tok512.bin", options, arena_, nullptr);
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
  const long before = g_allocations.load();
  Result<GenerationStats> stats = g.generate(o, count_only, &sink);
  const long after = g_allocations.load();
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

TEST_F(GeneratorTest, PromptLongerThanTheContextIsAnError) {
  Generator g = make({16, 4096});
  std::string prompt;
  for (int i = 0; i < 40; ++i) prompt += "Once upon a time ";
  GenerateOptions o = sampled(prompt.c_str(), 5);
  Result<GenerationStats> stats = g.generate(o, nullptr, nullptr);
  ASSERT_FALSE(stats.is_ok());
  EXPECT_NE(std::string(stats.status().message()).find("longer than the context of 16"),
            std::string::npos)
      << stats.status().message();
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
  Result<Generator> g = Generator::create(model_, tokenizer_bytes_, "t", {}, small, nullptr);
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
