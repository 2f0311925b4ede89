// Soak: 10,000 generations back to back on one stories260K session (each one
// resets to position 0). Memory must not grow (no heap allocation at all
// while generating, resident set flat) and the same seed must tell the same
// story at the start and at the end. Labelled `soak`: run by scripts/sanitize.sh
// in CI, and with `ctest -L soak`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "counting_new.h"
#include "llmcu/generator.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

// Keeps the text of a generation without allocating.
struct Text {
  char bytes[8192];
  size_t size = 0;
  void clear() { size = 0; }
  std::string_view view() const { return {bytes, size}; }
};

void keep(void* user, std::string_view piece) {
  auto* t = static_cast<Text*>(user);
  const size_t n = std::min(piece.size(), sizeof(t->bytes) - t->size);
  memcpy(t->bytes + t->size, piece.data(), n);
  t->size += n;
}

long resident_kib() {
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  long pages = 0, resident = 0;
  const int n = fscanf(f, "%ld %ld", &pages, &resident);
  fclose(f);
  return n == 2 ? resident * (sysconf(_SC_PAGESIZE) / 1024) : -1;
}

TEST(Soak, TenThousandGenerationsWithReset) {
  const int generations =
      getenv("LLMCU_SOAK_GENERATIONS") != nullptr ? atoi(getenv("LLMCU_SOAK_GENERATIONS")) : 10000;
  const std::vector<uint8_t> model_bytes = read_file(model_path("stories260K.bin"));
  const std::vector<uint8_t> tokenizer_bytes = read_file(model_path("tok512.bin"));
  const Model model = *load_model(model_bytes, "stories260K.bin");
  Result<MemoryPlan> plan = plan_memory(model, {});
  ASSERT_TRUE(plan.is_ok());
  std::vector<uint8_t> arena(plan->arena_bytes + Arena::kAlignment);
  Result<Generator> g =
      Generator::create(model, tokenizer_bytes, "tok512.bin", *plan, arena, nullptr);
  ASSERT_TRUE(g.is_ok()) << g.status().message();

  const char* prompts[] = {"Once upon a time", "Lily", "", "The cat sat"};
  auto options = [&](int i) {
    GenerateOptions o;
    o.prompt = prompts[i % 4];
    o.temperature = i % 5 == 0 ? 0.0f : 1.0f;
    o.topp = 0.9f;
    o.seed = static_cast<uint64_t>(i % 97) + 1;
    o.steps = 24;
    return o;
  };
  static Text first, text;
  GenerateOptions reference = options(0);
  reference.steps = 128;
  ASSERT_TRUE(g->generate(reference, keep, &first).is_ok());
  ASSERT_GT(first.size, 100u);

  long rss_early = 0;
  const long allocations_before = heap_allocations();
  for (int i = 1; i <= generations; ++i) {
    text.clear();
    Result<GenerationStats> stats = g->generate(options(i), keep, &text);
    ASSERT_TRUE(stats.is_ok()) << "generation " << i << ": " << stats.status().message();
    if (i == 100) rss_early = resident_kib();
  }
  const long allocations = heap_allocations() - allocations_before;
  const long rss_late = resident_kib();

  text.clear();
  ASSERT_TRUE(g->generate(reference, keep, &text).is_ok());
  EXPECT_EQ(text.view(), first.view()) << "the same seed told a different story at the end";
  EXPECT_EQ(allocations, 0) << "heap allocations while generating";
  if (rss_early > 0 && rss_late > 0) {
    EXPECT_LE(rss_late - rss_early, 256)
        << "resident set grew from " << rss_early << " KiB to " << rss_late << " KiB";
  }
}

}  // namespace
}  // namespace llmcu::test
