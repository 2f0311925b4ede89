// How close stories260K quantized by our converter stays to its fp32 original:
// per-position logits, perplexity on a TinyStories-like text, greedy text.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>

#include "llmcu/evaluate.h"
#include "llmcu/generator.h"
#include "llmcu/quantize.h"
#include "test_internals.h"
#include "test_support.h"

#ifndef LLMCU_TEST_DATA_DIR
#error "LLMCU_TEST_DATA_DIR must name tests/data"
#endif

namespace llmcu::test {
namespace {

class Q8Accuracy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fp32_bytes_ = new std::vector<uint8_t>(read_file(model_path("stories260K.bin")));
    tokenizer_ = new std::vector<uint8_t>(read_file(model_path("tok512.bin")));
    Result<Model> m = load_model(*fp32_bytes_, "stories260K.bin");
    ASSERT_TRUE(m.is_ok());
    Result<int32_t> group_size = choose_group_size(m->config, 0);
    ASSERT_TRUE(group_size.is_ok());
    q8_bytes_ = new std::vector<uint8_t>();
    ASSERT_TRUE(write_llama2c_v2(*m, *group_size, append_to_vector, q8_bytes_).is_ok());
  }
  static void TearDownTestSuite() {
    delete fp32_bytes_;
    delete q8_bytes_;
    delete tokenizer_;
  }

  static std::vector<int32_t> text_tokens(ModelSession& s) {
    std::ifstream in(std::string(LLMCU_TEST_DATA_DIR) + "/tinystories_eval.txt");
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    EXPECT_GT(text.size(), 1000u);
    std::vector<int32_t> ids(Tokenizer::encode_work_ints(text.size()));
    int32_t n = 0;
    EXPECT_TRUE(s.generator.tokenizer().llama2c().encode(text, true, false, ids, &n).is_ok());
    ids.resize(static_cast<size_t>(n));
    return ids;
  }

  static std::vector<uint8_t>* fp32_bytes_;
  static std::vector<uint8_t>* q8_bytes_;
  static std::vector<uint8_t>* tokenizer_;
};
std::vector<uint8_t>* Q8Accuracy::fp32_bytes_ = nullptr;
std::vector<uint8_t>* Q8Accuracy::q8_bytes_ = nullptr;
std::vector<uint8_t>* Q8Accuracy::tokenizer_ = nullptr;

struct Rows {
  std::vector<float> values;
};
Status keep_rows(void* user, int32_t, const float* logits, int32_t vocab) {
  auto* rows = static_cast<Rows*>(user);
  rows->values.insert(rows->values.end(), logits, logits + vocab);
  return Status::ok();
}

TEST_F(Q8Accuracy, LogitsAndPerplexityStayCloseToFp32) {
  ModelSession fp32(*fp32_bytes_, *tokenizer_);
  ModelSession q8(*q8_bytes_, *tokenizer_);
  const std::vector<int32_t> tokens = text_tokens(fp32);
  ASSERT_GT(tokens.size(), 300u);
  Rows rf, rq;
  Result<EvalStats> sf = evaluate_tokens(fp32.generator.transformer(), tokens, keep_rows, &rf);
  Result<EvalStats> sq = evaluate_tokens(q8.generator.transformer(), tokens, keep_rows, &rq);
  ASSERT_TRUE(sf.is_ok() && sq.is_ok());
  ASSERT_EQ(rf.values.size(), rq.values.size());
  double max_abs = 0.0, sum_sq = 0.0;
  for (size_t i = 0; i < rf.values.size(); ++i) {
    const double d = std::fabs(static_cast<double>(rf.values[i]) - rq.values[i]);
    max_abs = std::max(max_abs, d);
    sum_sq += d * d;
  }
  const double rms = std::sqrt(sum_sq / static_cast<double>(rf.values.size()));
  const double ppl_change = sq->perplexity() / sf->perplexity() - 1.0;
  printf(
      "stories260K int8 (group size %d) vs fp32 over %d positions: logits max abs %.4f, "
      "rms %.5f; perplexity fp32 %.4f, int8 %.4f (%+.3f%%)\n",
      q8.model.config.group_size, sf->tokens, max_abs, rms, sf->perplexity(), sq->perplexity(),
      100.0 * ppl_change);
  RecordProperty("logits_max_abs", std::to_string(max_abs));
  RecordProperty("logits_rms", std::to_string(rms));
  RecordProperty("perplexity_fp32", std::to_string(sf->perplexity()));
  RecordProperty("perplexity_int8", std::to_string(sq->perplexity()));
  EXPECT_LE(max_abs, 0.5);
  EXPECT_LE(rms, 0.1);
  EXPECT_LE(std::fabs(ppl_change), 0.02);
}

// Every golden prompt's greedy text must equal fp32's for 100 tokens, unless
// it parts where fp32 itself nearly ties: int8 cannot order two logits closer
// than its own error (max abs ~0.3 above), so such a split is no defect.
TEST_F(Q8Accuracy, GreedyTextMatchesFp32ForTheGoldenPrompts) {
  constexpr float kNearTie = 0.25f;
  ModelSession fp32(*fp32_bytes_, *tokenizer_);
  ModelSession q8(*q8_bytes_, *tokenizer_);
  std::set<std::string> prompts;
  const nlohmann::json cases = golden_cases();
  for (const auto& c : cases["generate"]) {
    if (c["model"] == "stories260K.bin") prompts.insert(c["prompt"].get<std::string>());
  }
  ASSERT_GE(prompts.size(), 4u);
  for (const std::string& prompt : prompts) {
    std::vector<float> margins, unused;
    const std::vector<int32_t> a = greedy_continuation(fp32, prompt, 400, &margins);
    const std::vector<int32_t> b = greedy_continuation(q8, prompt, 400, &unused);
    size_t same = 0;
    while (same < a.size() && same < b.size() && a[same] == b[same]) ++same;
    const float margin = same < margins.size() ? margins[same] : INFINITY;
    printf("greedy \"%s\": int8 equals fp32 for the first %zu of %zu generated tokens",
           prompt.c_str(), same, a.size());
    if (same < a.size()) printf(" (fp32's top-2 logit margin where they part: %.4f)", margin);
    printf("\n");
    if (same < 100) {
      EXPECT_LT(margin, kNearTie) << prompt << ": int8 parts from fp32 at token " << same
                                  << " where fp32 is not near a tie";
    }
  }
}

}  // namespace
}  // namespace llmcu::test
