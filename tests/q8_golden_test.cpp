// The int8 oracle: llama2.c runq.c's teacher-forced logits on a version-2
// file written by llama2.c's export.py (../shared/golden/cases_q8.json).
#include <gtest/gtest.h>

#include <cmath>

#include "llmcu/generator.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

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
    RecordProperty("max_abs_error", std::to_string(e.max_abs));
    RecordProperty("rms_error", std::to_string(e.rms));
  }
}

}  // namespace
}  // namespace llmcu::test
