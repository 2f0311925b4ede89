// The llama.cpp oracle data in tests/data/gguf holds together: the rows
// match their summaries, the forced tokens are llama2.c's, and on the F32
// file llama.cpp and llama2.c (the two oracles) agree.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace llmcu {
namespace {

constexpr int kVocab = 512;
constexpr int kFullRows = 8;

std::string data_path(const std::string& name) {
  return std::string(LLMCU_TEST_DATA_DIR) + "/gguf/" + name;
}

nlohmann::json read_json(const std::string& name) {
  std::ifstream in(data_path(name));
  EXPECT_TRUE(in.good()) << name;
  return nlohmann::json::parse(in);
}

class OracleData : public ::testing::TestWithParam<const char*> {};

TEST_P(OracleData, RowsMatchTheirSummaries) {
  const std::string variant = GetParam();
  const nlohmann::json oracle = read_json("stories260K-" + variant + ".json");
  EXPECT_EQ(oracle["model"], "stories260K-" + variant + ".gguf");
  EXPECT_EQ(oracle["kv_cache"], "f32");
  const std::vector<float> rows =
      test::read_f32(data_path("stories260K-" + variant + ".logits.f32"));
  ASSERT_EQ(rows.size(), static_cast<size_t>(kFullRows * kVocab));
  const nlohmann::json& positions = oracle["forced"]["positions"];
  ASSERT_EQ(positions.size(), 64u);
  for (int p = 0; p < kFullRows; ++p) {
    const float* row = rows.data() + p * kVocab;
    double sum = 0;
    int best = 0;
    for (int i = 0; i < kVocab; ++i) {
      sum += row[i];
      if (row[i] > row[best]) best = i;
    }
    EXPECT_EQ(positions[p]["argmax"].get<int>(), best);
    EXPECT_NEAR(positions[p]["sum"].get<double>(), sum, 1e-3);
    const nlohmann::json& top = positions[p]["top"];
    ASSERT_EQ(top.size(), 5u);
    for (const auto& entry : top) {
      EXPECT_EQ(row[entry[0].get<int>()], entry[1].get<float>());
    }
  }
  EXPECT_EQ(oracle["greedy"]["prompt_tokens"], nlohmann::json({1, 403, 407, 261, 378}));
  EXPECT_EQ(oracle["greedy"]["tokens"].size(), 96u);
}

INSTANTIATE_TEST_SUITE_P(Stories260K, OracleData,
                         ::testing::Values("f32", "q8_0", "q8_0-f32down", "q4_0", "f16"));

// The forced ids are those behind llama2.c's golden logits, and llama.cpp's
// F32 logits (float32 KV cache) are llama2.c's to float rounding.
TEST(OracleData, LlamaCppAgreesWithLlama2cOnF32) {
  const nlohmann::json oracle = read_json("stories260K-f32.json");
  const std::vector<float> golden = test::read_f32(test::shared_dir() + "/golden/logits_0.f32");
  const std::vector<float> rows = test::read_f32(data_path("stories260K-f32.logits.f32"));
  ASSERT_GE(golden.size(), rows.size());
  // Forced token p + 1 is the prompt's or llama2.c's argmax at position p.
  const std::vector<int> tokens = oracle["forced"]["tokens"].get<std::vector<int>>();
  ASSERT_EQ(tokens.size(), 64u);
  for (size_t p = 4; p + 1 < tokens.size(); ++p) {
    const float* row = golden.data() + p * kVocab;
    int best = 0;
    for (int i = 1; i < kVocab; ++i) {
      if (row[i] > row[best]) best = i;
    }
    EXPECT_EQ(tokens[p + 1], best) << "position " << p;
  }
  double worst = 0;
  for (size_t i = 0; i < rows.size(); ++i) worst = std::fmax(worst, std::fabs(rows[i] - golden[i]));
  EXPECT_LT(worst, 1e-4);
  // Greedy text: llama2.c's continuation, token for token.
  const std::vector<int> greedy = oracle["greedy"]["tokens"].get<std::vector<int>>();
  for (size_t i = 0; i + 5 < tokens.size(); ++i) EXPECT_EQ(greedy[i], tokens[i + 5]) << i;
}

}  // namespace
}  // namespace llmcu
