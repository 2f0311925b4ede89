// Every golden generation of llama2.c's run.c, with the work split over 1, 2
// and 3 threads of the host pool: byte for byte, like the inline run.
#include <gtest/gtest.h>

#include <memory>
#include <tuple>

#include "llmcu/generator.h"
#include "test_support.h"
#include "thread_pool.h"

namespace llmcu::test {
namespace {

void append_piece(void* user, std::string_view piece) {
  static_cast<std::string*>(user)->append(piece);
}

class GoldenThreads : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(GoldenThreads, ReproducesRunCByteForByte) {
  const auto [threads, index] = GetParam();
  const auto c = golden_cases()["generate"][index];
  const std::string model_name = c["model"], tokenizer_name = c["tokenizer"];
  const std::vector<uint8_t> model_bytes = read_file(model_path(model_name));
  const std::vector<uint8_t> tokenizer_bytes = read_file(model_path(tokenizer_name));
  Result<Model> model = load_model(model_bytes, model_name.c_str());
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  Result<MemoryPlan> plan = plan_memory(*model, {});
  ASSERT_TRUE(plan.is_ok());
  std::vector<uint8_t> arena(plan->arena_bytes + Arena::kAlignment);
  host::ThreadPool pool(threads);
  Result<Generator> g =
      Generator::create(*model, tokenizer_bytes, tokenizer_name.c_str(), *plan, arena, &pool);
  ASSERT_TRUE(g.is_ok()) << g.status().message();

  const std::string prompt = c["prompt"];
  GenerateOptions options;
  options.prompt = prompt;
  options.temperature = c["temperature"];
  options.topp = c["topp"];
  options.seed = c["seed"];
  options.steps = c["steps"];
  if (options.seed == 0) options.seed = 1;  // greedy: the seed is unused
  std::string text;
  Result<GenerationStats> stats = g->generate(options, append_piece, &text);
  ASSERT_TRUE(stats.is_ok()) << stats.status().message();
  EXPECT_EQ(text, c["expected"].get<std::string>());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GoldenThreads,
    ::testing::Combine(::testing::Values(1, 2, 3),
                       ::testing::Range(0, static_cast<int>(golden_cases()["generate"].size()))));

}  // namespace
}  // namespace llmcu::test
