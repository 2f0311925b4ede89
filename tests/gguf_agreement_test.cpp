// llmcu's GGUF model path against llama.cpp (tests/data/gguf, float32 KV
// cache) and llama2.c (../shared/golden): stories260K as GGUF, teacher
// forced and greedy.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "llmcu/crc32.h"
#include "llmcu/generator.h"
#include "llmcu/memory_plan.h"
#include "llmcu/transformer.h"
#include "test_support.h"

namespace llmcu {
namespace {

constexpr int kVocab = 512;

std::string data_path(const std::string& name) {
  return std::string(LLMCU_TEST_DATA_DIR) + "/gguf/" + name;
}

nlohmann::json read_json(const std::string& name) {
  std::ifstream in(data_path(name));
  EXPECT_TRUE(in.good()) << name;
  return nlohmann::json::parse(in);
}

struct Agreement {
  float max_full_diff = 0.0f;  // over the full rows of the first 8 positions
  float max_top_diff = 0.0f;   // over llama.cpp's top 5 of all 64 positions
  int argmax_agree = 0;
  int positions = 0;
};

Agreement compare(const Model& model, const std::string& variant) {
  const nlohmann::json oracle = read_json("stories260K-" + variant + ".json");
  const std::vector<int32_t> tokens = oracle["forced"]["tokens"].get<std::vector<int32_t>>();
  const std::vector<float> ours = test::logits_at(model, tokens);
  const std::vector<float> rows =
      test::read_f32(data_path("stories260K-" + variant + ".logits.f32"));
  Agreement a;
  for (size_t i = 0; i < rows.size(); ++i) {
    a.max_full_diff = std::max(a.max_full_diff, std::fabs(rows[i] - ours[i]));
  }
  for (const auto& p : oracle["forced"]["positions"]) {
    const int pos = p["pos"];
    const float* row = ours.data() + static_cast<size_t>(pos) * kVocab;
    const int best = static_cast<int>(std::max_element(row, row + kVocab) - row);
    a.argmax_agree += best == p["argmax"].get<int>() ? 1 : 0;
    ++a.positions;
    for (const auto& entry : p["top"]) {
      a.max_top_diff =
          std::max(a.max_top_diff, std::fabs(row[entry[0].get<int>()] - entry[1].get<float>()));
    }
  }
  printf("%s: max |diff| %.3g (8 full rows), %.3g (top 5 of 64 rows); argmax %d/%d\n",
         variant.c_str(), a.max_full_diff, a.max_top_diff, a.argmax_agree, a.positions);
  return a;
}

// stories260K-f32.gguf converted by `llmcu quantize --format gguf`, which
// writes llama-quantize's files byte for byte: the CRC-32 of the whole file
// llama.cpp wrote (tests/data/gguf/README.md has their commands and SHA-256).
std::unique_ptr<test::FileModel> quantized(const std::string& type, uint32_t llama_cpp_crc) {
  const std::string out =
      testing::TempDir() + "/llmcu_" + std::to_string(getpid()) + "_stories260K-" + type + ".gguf";
  const test::CommandResult r =
      test::run_cli("quantize " + test::shell_quote(test::model_path("gguf/stories260K-f32.gguf")) +
                    " " + test::shell_quote(out) + " --format gguf --type " + type);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<uint8_t> bytes = test::read_file(out);
  unlink(out.c_str());
  EXPECT_EQ(crc32(bytes), llama_cpp_crc) << "not llama-quantize's " << type << " file";
  return test::load_bytes_model(std::move(bytes), out.c_str());
}

// How many of llama.cpp's greedy tokens ours reproduce before the first difference.
size_t greedy_agreement(const Model& model, const std::string& variant) {
  const nlohmann::json g = read_json("stories260K-" + variant + ".json")["greedy"];
  const auto want = g["tokens"].get<std::vector<int32_t>>();
  const std::vector<int32_t> got = test::greedy(
      model, g["prompt_tokens"].get<std::vector<int32_t>>(), static_cast<int>(want.size()));
  size_t same = 0;
  while (same < want.size() && got[same] == want[same]) ++same;
  printf("%s: greedy %zu of llama.cpp's %zu tokens\n", variant.c_str(), same, want.size());
  return same;
}

// Tolerances: float32 weights and activations differ from llama.cpp's by the
// order of their sums (~1e-5). F16, Q8_0 and Q4_0 round activations (to fp16,
// or to int8 blocks) where a difference of one float ulp can flip a rounding
// and move a logit by ~0.01 (F16) to ~0.1 (Q4_0) a few positions later.
TEST(GgufAgreement, SharedF32) {
  auto m = test::load_file_model(test::model_path("gguf/stories260K-f32.gguf"));
  ASSERT_TRUE(m->ok);
  const Agreement a = compare(m->model, "f32");
  EXPECT_LT(a.max_full_diff, 1e-4f);
  EXPECT_LT(a.max_top_diff, 1e-4f);
  EXPECT_EQ(a.argmax_agree, 64);
  EXPECT_EQ(greedy_agreement(m->model, "f32"), 96u);
}

TEST(GgufAgreement, SharedQ8_0) {
  auto m = test::load_file_model(test::model_path("gguf/stories260K-q8_0.gguf"));
  ASSERT_TRUE(m->ok);
  const Agreement a = compare(m->model, "q8_0");
  EXPECT_LT(a.max_full_diff, 0.05f);
  EXPECT_LT(a.max_top_diff, 0.1f);
  EXPECT_EQ(a.argmax_agree, 64);
  EXPECT_EQ(greedy_agreement(m->model, "q8_0"), 96u);
}

TEST(GgufAgreement, SharedQ8_0F32Down) {
  auto m = test::load_file_model(test::model_path("gguf/stories260K-q8_0-f32down.gguf"));
  ASSERT_TRUE(m->ok);
  const Agreement a = compare(m->model, "q8_0-f32down");
  EXPECT_LT(a.max_full_diff, 0.05f);
  EXPECT_LT(a.max_top_diff, 0.1f);
  EXPECT_EQ(a.argmax_agree, 64);
  EXPECT_EQ(greedy_agreement(m->model, "q8_0-f32down"), 96u);
}

TEST(GgufAgreement, QuantizedF16) {
  auto m = quantized("f16", 0x543608d9u);
  ASSERT_TRUE(m->ok);
  const Agreement a = compare(m->model, "f16");
  EXPECT_LT(a.max_full_diff, 0.05f);
  EXPECT_LT(a.max_top_diff, 0.05f);
  EXPECT_EQ(a.argmax_agree, 64);
  EXPECT_GE(greedy_agreement(m->model, "f16"), 90u);
}

TEST(GgufAgreement, QuantizedQ4_0) {
  auto m = quantized("q4_0", 0x3dbea64du);
  ASSERT_TRUE(m->ok);
  const Agreement a = compare(m->model, "q4_0");
  EXPECT_LT(a.max_full_diff, 0.25f);
  EXPECT_LT(a.max_top_diff, 0.25f);
  EXPECT_GE(a.argmax_agree, 62);
  EXPECT_GE(greedy_agreement(m->model, "q4_0"), 40u);
}

TEST(GgufAgreement, QuantizedQ8_0IsTheSharedFile) {
  auto m = quantized("q8_0", 0xb9eb6fb4u);
  ASSERT_TRUE(m->ok);
  EXPECT_EQ(m->bytes, test::read_file(test::model_path("gguf/stories260K-q8_0.gguf")));
}

void append_piece(void* user, std::string_view piece) {
  static_cast<std::string*>(user)->append(piece);
}

// The GGUF's own vocabulary, its context of 128 positions: llama2.c's greedy
// story (run.c on stories260K.bin, 200 steps) up to where the context ends.
TEST(GgufAgreement, GeneratorTellsLlama2cStory) {
  auto m = test::load_file_model(test::model_path("gguf/stories260K-f32.gguf"));
  ASSERT_TRUE(m->ok);
  ASSERT_EQ(m->model.tokenizer.kind, TokenizerKind::kSentencePiece);
  Result<MemoryPlan> plan = plan_memory(m->model, {});
  ASSERT_TRUE(plan.is_ok()) << plan.status().message();
  EXPECT_EQ(plan->seq_len, 128);
  std::vector<uint8_t> arena(plan->arena_bytes + Arena::kAlignment);
  Result<Generator> g = Generator::create(m->model, {}, "", *plan, arena, nullptr);
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  std::string expected;
  const nlohmann::json cases = test::golden_cases();
  for (const auto& c : cases["generate"]) {
    if (c["prompt"] == "Once upon a time" && c["temperature"] == 0.0 && c["steps"] == 200) {
      expected = c["expected"];
    }
  }
  ASSERT_FALSE(expected.empty());
  GenerateOptions options;
  options.prompt = "Once upon a time";
  options.temperature = 0.0f;
  options.steps = 200;  // capped at the context
  std::string text;
  Result<GenerationStats> stats = g->generate(options, append_piece, &text);
  ASSERT_TRUE(stats.is_ok()) << stats.status().message();
  EXPECT_EQ(stats->positions, 128);
  EXPECT_EQ(stats->prompt_tokens, 5);
  EXPECT_GT(text.size(), 300u);
  EXPECT_EQ(expected.substr(0, text.size()), text);
}

}  // namespace
}  // namespace llmcu
