// The int8 oracle: llama2.c runq.c on a version-2 file written by llama2.c's
// export.py: its teacher-forced logits (../shared/golden/cases_q8.json) and
// its text (tests/data/q8/runq_text.json, built without fast-math).
//
// When the kernel family's int8 path (kernels::Active::Q8Path) keeps the
// reference's bits, so does every logit, and the text must be runq.c's byte
// for byte; other families are held to the logits' tolerance only.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "llmcu/generator.h"
#include "test_internals.h"
#include "test_support.h"

#ifndef LLMCU_TEST_DATA_DIR
#error "LLMCU_TEST_DATA_DIR must name tests/data"
#endif

namespace llmcu::test {
namespace {

constexpr bool kRunqExact = kernels::Active::Q8Path::kApproximate.empty();

struct Errors {
  double max_abs = 0.0;
  double rms = 0.0;
};

// Feeds `tokens` teacher-forced and compares every position's logits with `expected`.
Errors compare_teacher_forced(const std::string& model_name, const std::string& tokenizer_name,
                              const std::vector<int32_t>& tokens,
                              const std::vector<float>& expected) {
  const std::vector<uint8_t> model_bytes = read_file(model_path(model_name));
  const std::vector<uint8_t> tokenizer_bytes = read_file(model_path(tokenizer_name));
  Result<Model> model = load_model(model_bytes, model_name.c_str());
  EXPECT_TRUE(model.is_ok()) << model.status().message();
  EXPECT_EQ(model->weight_type, WeightType::kQ8);
  Result<MemoryPlan> plan = plan_memory(*model, {});
  std::vector<uint8_t> arena(plan->arena_bytes + Arena::kAlignment);
  Result<Generator> g =
      Generator::create(*model, tokenizer_bytes, tokenizer_name.c_str(), *plan, arena, nullptr);
  EXPECT_TRUE(g.is_ok()) << g.status().message();
  const int32_t vocab = model->config.vocab_size;
  Errors e;
  double sum_sq = 0.0;
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    const float* logits = g->transformer().forward(tokens[pos], static_cast<int32_t>(pos));
    EXPECT_NE(logits, nullptr);
    if (logits == nullptr) return e;
    for (int32_t i = 0; i < vocab; ++i) {
      const double d = std::fabs(logits[i] - expected[pos * vocab + i]);
      e.max_abs = std::max(e.max_abs, d);
      sum_sq += d * d;
    }
  }
  e.rms = std::sqrt(sum_sq / static_cast<double>(tokens.size() * vocab));
  return e;
}

TEST(GoldenQ8Logits, MatchRunqTeacherForced) {
  const nlohmann::json cases = golden_cases("cases_q8.json");
  for (const auto& c : cases["logits"]) {
    const std::vector<int32_t> tokens = c["tokens"].get<std::vector<int32_t>>();
    const int32_t vocab = c["vocab_size"];
    const std::vector<float> expected =
        read_f32(shared_dir() + "/golden/" + c["file"].get<std::string>());
    ASSERT_EQ(expected.size(), tokens.size() * static_cast<size_t>(vocab));
    const Errors e = compare_teacher_forced(c["model"], c["tokenizer"], tokens, expected);
    const double max_abs = c["tolerance"]["max_abs"], rms = c["tolerance"]["rms"];
    printf("int8 vs runq.c over %zu positions: max abs %.5f, rms %.6f (tolerance %.3g, %.3g)\n",
           tokens.size(), e.max_abs, e.rms, max_abs, rms);
    EXPECT_LE(e.max_abs, max_abs);
    EXPECT_LE(e.rms, rms);
    if (kRunqExact) {
      EXPECT_EQ(e.max_abs, 0.0) << kernels::Active::Q8Path::kName << " keeps runq.c's bits";
    }
    RecordProperty("max_abs_error", std::to_string(e.max_abs));
    RecordProperty("rms_error", std::to_string(e.rms));
  }
}

nlohmann::json runq_text_cases() {
  std::ifstream in(std::string(LLMCU_TEST_DATA_DIR) + "/q8/runq_text.json");
  return nlohmann::json::parse(in);
}

void append_piece(void* user, std::string_view piece) {
  static_cast<std::string*>(user)->append(piece);
}

class GoldenQ8Text : public ::testing::TestWithParam<int> {};

TEST_P(GoldenQ8Text, ReproducesRunqByteForByte) {
  if (!kRunqExact) {
    GTEST_SKIP() << "kernel family " << kernels::Active::kName
                 << ": its int8 kernels round otherwise than runq.c (the logits test holds them "
                    "to a tolerance)";
  }
  const auto c = runq_text_cases()["generate"][GetParam()];
  const std::string model_name = c["model"], tokenizer_name = c["tokenizer"];
  const std::vector<uint8_t> model_bytes = read_file(model_path(model_name));
  const std::vector<uint8_t> tokenizer_bytes = read_file(model_path(tokenizer_name));
  Result<Model> model = load_model(model_bytes, model_name.c_str());
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  ASSERT_EQ(model->weight_type, WeightType::kQ8);
  const std::string prompt = c["prompt"];
  SessionOptions session;
  session.prompt_bytes = prompt.size();
  Result<MemoryPlan> plan = plan_memory(*model, session);
  ASSERT_TRUE(plan.is_ok()) << plan.status().message();
  std::vector<uint8_t> arena(plan->arena_bytes + Arena::kAlignment);
  Result<Generator> g =
      Generator::create(*model, tokenizer_bytes, tokenizer_name.c_str(), *plan, arena, nullptr);
  ASSERT_TRUE(g.is_ok()) << g.status().message();
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

INSTANTIATE_TEST_SUITE_P(Cases, GoldenQ8Text,
                         ::testing::Range(0,
                                          static_cast<int>(runq_text_cases()["generate"].size())));

}  // namespace
}  // namespace llmcu::test
