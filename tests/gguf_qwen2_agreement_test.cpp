// qwen2 against llama.cpp (tests/data/qwen2, float32 KV cache): random-weight
// files that `llmcu gen-random --format gguf --arch qwen2` writes (the same
// bytes llama.cpp read: their CRC-32 is checked), teacher forced and greedy.
// They exercise what sets qwen2 apart from llama: q/k/v biases, the rotary
// halves, rms eps 1e-6, rope theta 1e6, grouped-query attention with head
// size 16, tied embeddings.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "llmcu/crc32.h"
#include "llmcu/memory_plan.h"
#include "llmcu/transformer.h"
#include "test_support.h"

namespace llmcu {
namespace {

constexpr int kVocab = 512;

std::string data_path(const std::string& name) {
  return std::string(LLMCU_TEST_DATA_DIR) + "/qwen2/" + name;
}

nlohmann::json read_json(const std::string& name) {
  std::ifstream in(data_path(name));
  EXPECT_TRUE(in.good()) << name;
  return nlohmann::json::parse(in);
}

// tools/oracle/make_qwen2_oracle.sh's file of `type`.
std::string write_model(const std::string& type, uint32_t crc) {
  const std::string out =
      testing::TempDir() + "/llmcu_" + std::to_string(getpid()) + "_random-qwen2-" + type + ".gguf";
  const test::CommandResult r = test::run_cli(
      "gen-random " + test::shell_quote(out) +
      " --shape 64,128,2,4,2,512,64 --format gguf --arch qwen2 --seed 7 --type " + type);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(crc32(test::read_file(out)), crc) << "not the file llama.cpp read (" << type << ")";
  return out;
}

struct Agreement {
  float max_full_diff = 0.0f;  // the full rows of the first 4 positions
  float max_top_diff = 0.0f;   // llama.cpp's top 5 of all 16 positions
  int argmax_agree = 0;
  size_t greedy_same = 0;  // greedy tokens before the first difference, of 32
  bool prompt_same = false;
};

Agreement compare(const std::string& type, uint32_t crc) {
  const std::string path = write_model(type, crc);
  auto m = test::load_file_model(path);
  EXPECT_TRUE(m->ok);
  const nlohmann::json oracle = read_json("random-qwen2-" + type + ".json");
  const std::vector<int32_t> tokens = oracle["forced"]["tokens"].get<std::vector<int32_t>>();
  const std::vector<float> ours = test::logits_at(m->model, tokens);
  const std::vector<float> rows = test::read_f32(data_path("random-qwen2-" + type + ".logits.f32"));
  Agreement a;
  for (size_t i = 0; i < rows.size(); ++i) {
    a.max_full_diff = std::max(a.max_full_diff, std::fabs(rows[i] - ours[i]));
  }
  for (const auto& p : oracle["forced"]["positions"]) {
    const float* row = ours.data() + static_cast<size_t>(p["pos"].get<int>()) * kVocab;
    const int best = static_cast<int>(std::max_element(row, row + kVocab) - row);
    a.argmax_agree += best == p["argmax"].get<int>() ? 1 : 0;
    for (const auto& entry : p["top"]) {
      a.max_top_diff =
          std::max(a.max_top_diff, std::fabs(row[entry[0].get<int>()] - entry[1].get<float>()));
    }
  }
  // The prompt as llama.cpp tokenized it with the file's (made-up) vocabulary.
  const auto prompt = oracle["greedy"]["prompt_tokens"].get<std::vector<int32_t>>();
  const test::CommandResult r =
      test::run_cli("encode -z " + test::shell_quote(path) + " 'Once upon a time'");
  std::ostringstream ids;
  for (size_t i = 0; i < prompt.size(); ++i) ids << (i ? " " : "") << prompt[i];
  a.prompt_same = r.exit_code == 0 && r.out == ids.str() + "\n";
  EXPECT_TRUE(a.prompt_same) << r.out << " vs " << ids.str() << "\n" << r.err;
  const auto want = oracle["greedy"]["tokens"].get<std::vector<int32_t>>();
  const std::vector<int32_t> got = test::greedy(m->model, prompt, static_cast<int>(want.size()));
  while (a.greedy_same < want.size() && got[a.greedy_same] == want[a.greedy_same]) ++a.greedy_same;
  printf(
      "qwen2 %s: max |diff| %.3g (4 full rows), %.3g (top 5 of 16 rows); argmax %d/16; "
      "greedy %zu/%zu\n",
      type.c_str(), a.max_full_diff, a.max_top_diff, a.argmax_agree, a.greedy_same, want.size());
  unlink(path.c_str());
  return a;
}

// Tolerances: measured 6e-8 (F32) and 3e-8 (F16, Q8_0, Q4_0) on x86-64 with
// AVX2; the same weights read as llama (adjacent-pair rotation) move the
// logits by 1e-3, so these bounds tell the rotary layouts apart.
TEST(Qwen2Agreement, F32) {
  const Agreement a = compare("f32", 0x5c863a6cu);
  EXPECT_LT(a.max_full_diff, 1e-5f);
  EXPECT_LT(a.max_top_diff, 1e-5f);
  EXPECT_EQ(a.argmax_agree, 16);
  EXPECT_EQ(a.greedy_same, 32u);
}

TEST(Qwen2Agreement, F16) {
  const Agreement a = compare("f16", 0xc22f51dfu);
  EXPECT_LT(a.max_full_diff, 1e-4f);
  EXPECT_LT(a.max_top_diff, 1e-4f);
  EXPECT_EQ(a.argmax_agree, 16);
  EXPECT_EQ(a.greedy_same, 32u);
}

TEST(Qwen2Agreement, Q8_0) {
  const Agreement a = compare("q8_0", 0x02b908b8u);
  EXPECT_LT(a.max_full_diff, 1e-4f);
  EXPECT_LT(a.max_top_diff, 1e-4f);
  EXPECT_EQ(a.argmax_agree, 16);
  EXPECT_EQ(a.greedy_same, 32u);
}

TEST(Qwen2Agreement, Q4_0) {
  const Agreement a = compare("q4_0", 0xfb32584au);
  EXPECT_LT(a.max_full_diff, 1e-4f);
  EXPECT_LT(a.max_top_diff, 1e-4f);
  EXPECT_EQ(a.argmax_agree, 16);
  EXPECT_EQ(a.greedy_same, 32u);
}

}  // namespace
}  // namespace llmcu
