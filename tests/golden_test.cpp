// The oracle: what llama2.c's run.c prints and computes, from ../shared/golden.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "llmcu/generator.h"
#include "test_internals.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

// A model, tokenizer and arena for one golden case.
struct Session {
  std::vector<uint8_t> model_bytes;
  std::vector<uint8_t> tokenizer_bytes;
  std::vector<uint8_t> arena;
  Model model;
  Generator generator;

  static std::unique_ptr<Session> open(const std::string& model, const std::string& tokenizer) {
    auto s = std::make_unique<Session>();
    s->model_bytes = read_file(model_path(model));
    s->tokenizer_bytes = read_file(model_path(tokenizer));
    Result<Model> m = load_model(s->model_bytes, model.c_str());
    EXPECT_TRUE(m.is_ok()) << m.status().message();
    s->model = *m;
    Result<MemoryPlan> plan = plan_memory(s->model, {});
    s->arena.resize(plan->arena_bytes + Arena::kAlignment);
    Result<Generator> g = Generator::create(s->model, s->tokenizer_bytes, tokenizer.c_str(), *plan,
                                            s->arena, nullptr);
    EXPECT_TRUE(g.is_ok()) << g.status().message();
    s->generator = *g;
    return s;
  }
};

void append_piece(void* user, std::string_view piece) {
  static_cast<std::string*>(user)->append(piece);
}

class GoldenGenerate : public ::testing::TestWithParam<int> {};

TEST_P(GoldenGenerate, ReproducesRunCByteForByte) {
  const auto c = golden_cases()["generate"][GetParam()];
  auto session = Session::open(c["model"], c["tokenizer"]);
  const std::string prompt = c["prompt"];
  GenerateOptions options;
  options.prompt = prompt;
  options.temperature = c["temperature"];
  options.topp = c["topp"];
  options.seed = c["seed"];
  options.steps = c["steps"];
  if (options.seed == 0) options.seed = 1;  // greedy: the seed is unused
  std::string text;
  Result<GenerationStats> stats = session->generator.generate(options, append_piece, &text);
  ASSERT_TRUE(stats.is_ok()) << stats.status().message();
  EXPECT_EQ(text, c["expected"].get<std::string>());
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenGenerate,
                         ::testing::Range(0, static_cast<int>(golden_cases()["generate"].size())));

TEST(GoldenEncode, MatchesRunCEncoder) {
  // Keep the document alive: a range-for over golden_cases()["encode"] would
  // iterate a part of a temporary destroyed before the loop (ASan: use after free).
  const nlohmann::json cases = golden_cases();
  for (const auto& c : cases["encode"]) {
    const std::string tokenizer_name = c["tokenizer"];
    std::vector<uint8_t> bytes = read_file(model_path(tokenizer_name));
    Result<int32_t> vocab = Tokenizer::count_tokens(bytes, tokenizer_name.c_str());
    ASSERT_TRUE(vocab.is_ok()) << vocab.status().message();
    std::vector<uint8_t> tables(Tokenizer::table_bytes(*vocab));
    Result<Tokenizer> tok = Tokenizer::load(bytes, *vocab, tables, tokenizer_name.c_str());
    ASSERT_TRUE(tok.is_ok()) << tok.status().message();
    const std::string text = c["text"];
    std::vector<int32_t> work(Tokenizer::encode_work_ints(text.size()));
    int32_t n = 0;
    ASSERT_TRUE(tok->encode(text, c["bos"], c["eos"], work, &n).is_ok());
    const std::vector<int32_t> got(work.begin(), work.begin() + n);
    EXPECT_EQ(got, c["ids"].get<std::vector<int32_t>>()) << tokenizer_name << ": " << text;
  }
}

TEST(GoldenLogits, MatchWithin1e4AtEveryPosition) {
  // Keep the document alive: a range-for over golden_cases()["logits"] would
  // iterate a part of a temporary destroyed before the loop (ASan: use after free).
  const nlohmann::json cases = golden_cases();
  for (const auto& c : cases["logits"]) {
    auto session = Session::open(c["model"], c["tokenizer"]);
    const std::vector<float> expected =
        read_f32(shared_dir() + "/golden/" + c["file"].get<std::string>());
    const int32_t vocab = c["vocab_size"];
    const int32_t steps = c["steps"];
    ASSERT_EQ(expected.size(), static_cast<size_t>(vocab) * steps);
    Result<std::span<const int32_t>> prompt =
        session->generator.encode_prompt(c["prompt"].get<std::string>());
    ASSERT_TRUE(prompt.is_ok());
    int32_t token = (*prompt)[0];
    float worst = 0.0f;
    for (int32_t pos = 0; pos < steps; ++pos) {
      const float* logits = session->generator.transformer().forward(token, pos);
      ASSERT_NE(logits, nullptr);
      for (int32_t i = 0; i < vocab; ++i) {
        worst =
            std::max(worst, std::fabs(logits[i] - expected[static_cast<size_t>(pos) * vocab + i]));
      }
      token = pos + 1 < static_cast<int32_t>(prompt->size()) ? (*prompt)[pos + 1]
                                                             : kernels::ref::argmax(logits, vocab);
    }
    EXPECT_LE(worst, 1e-4f);
    RecordProperty("max_abs_error", std::to_string(worst));
  }
}

}  // namespace
}  // namespace llmcu::test
