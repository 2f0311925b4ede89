// Numeric honesty, kernel by kernel: a model whose weights hold NaN or
// infinity, or whose finite weights overflow, never yields text or a score.
// This file is built twice: against this build's kernel family
// (nonfinite_tests) and with the whole core compiled for the reference
// family (nonfinite_tests_ref), since SIMD and reference kernels treat NaN
// differently (max instructions drop it, int8 conversions saturate it).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "llmcu/build_info.h"
#include "llmcu/evaluate.h"
#include "llmcu/generator.h"
#include "llmcu/model_check.h"
#include "llmcu/quantize.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

const ModelConfig kConfig{16, 40, 2, 4, 2, 320, 32, true};
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// A model of kConfig, fp32 or int8 (llama2.c version 2, groups of 8), loaded
// in place from `bytes`, with a session to generate on.
struct Session {
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> tokenizer = make_tokenizer(kConfig.vocab_size);
  std::vector<uint8_t> arena;
  Model model;

  explicit Session(bool int8) {
    bytes = make_v0_model(kConfig);
    if (int8) {
      Model fp32 = *load_model(bytes, "fp32");
      std::vector<uint8_t> q8;
      EXPECT_TRUE(write_llama2c_v2(fp32, 8, append_to_vector, &q8).is_ok());
      bytes = q8;
    }
    Result<Model> m = load_model(bytes, "model");
    EXPECT_TRUE(m.is_ok()) << m.status().message();
    model = *m;
  }
  // Overwrites the float at `p` (a pointer into `bytes`).
  void poison(const void* p, float value) {
    const size_t offset = static_cast<size_t>(static_cast<const uint8_t*>(p) - bytes.data());
    ASSERT_LE(offset + 4, bytes.size());
    memcpy(bytes.data() + offset, &value, 4);
  }
  Result<GenerationStats> generate(std::string* text) {
    Result<MemoryPlan> plan = plan_memory(model, {});
    arena.assign(plan->arena_bytes + Arena::kAlignment, 0);
    Result<Generator> g = Generator::create(model, tokenizer, "tok", *plan, arena, nullptr);
    EXPECT_TRUE(g.is_ok()) << g.status().message();
    GenerateOptions o;
    o.prompt = "abc";
    o.temperature = 0.0f;
    o.steps = 16;
    return g->generate(
        o,
        [](void* user, std::string_view piece) { static_cast<std::string*>(user)->append(piece); },
        text);
  }
  Result<EvalStats> evaluate() {
    SessionOptions options;
    options.purpose = SessionPurpose::kForward;
    Result<MemoryPlan> plan = plan_memory(model, options);
    arena.assign(plan->arena_bytes + Arena::kAlignment, 0);
    Result<Transformer> t = Transformer::create(model, *plan, arena, nullptr);
    EXPECT_TRUE(t.is_ok()) << t.status().message();
    const std::vector<int32_t> tokens = {1, 260, 261, 262, 263, 264};
    return evaluate_tokens(*t, tokens, nullptr, nullptr);
  }
};

void expect_no_text(Session& s, const std::string& what) {
  std::string text;
  Result<GenerationStats> g = s.generate(&text);
  ASSERT_FALSE(g.is_ok()) << what << " generated \"" << text << "\" with " << kernel_family_name()
                          << " kernels";
  EXPECT_NE(std::string(g.status().message()).find("not finite"), std::string::npos)
      << g.status().message();
  EXPECT_EQ(text, "") << what;
  Result<EvalStats> e = s.evaluate();
  ASSERT_FALSE(e.is_ok()) << what << ": perplexity " << e->perplexity();
  EXPECT_NE(std::string(e.status().message()).find("not finite"), std::string::npos);
}

TEST(NonFinite, HealthyModelsComputeWithEveryKernel) {
  for (bool int8 : {false, true}) {
    Session s(int8);
    EXPECT_TRUE(check_weights_finite(s.model).is_ok());
    std::string text;
    Result<GenerationStats> g = s.generate(&text);
    ASSERT_TRUE(g.is_ok()) << g.status().message();
    Result<EvalStats> e = s.evaluate();
    ASSERT_TRUE(e.is_ok()) << e.status().message();
    EXPECT_TRUE(std::isfinite(e->perplexity()));
  }
}

TEST(NonFinite, Fp32WeightsHoldingNaNOrInfinity) {
  for (float value : {kNaN, kInf, -kInf}) {
    for (int where = 0; where < 3; ++where) {
      Session s(false);
      const Weights& w = s.model.weights;
      const void* p = where == 0   ? static_cast<const void*>(w.token_embedding.base + 4 * 17)
                      : where == 1 ? static_cast<const void*>(w.rms_ffn.base + 3)
                                   : static_cast<const void*>(w.w2.layer(1) + 4 * 5);
      s.poison(p, value);
      const Status check = check_weights_finite(s.model);
      EXPECT_FALSE(check.is_ok()) << value << " at " << where;
      // The embedding row of a token fed (BOS is 1; row 17 is token 1).
      expect_no_text(s, "fp32 " + std::to_string(value) + " at " + std::to_string(where));
    }
  }
}

TEST(NonFinite, Fp32WeightsThatOverflow) {
  Session s(false);
  for (int32_t i = 0; i < kConfig.dim; ++i) s.poison(s.model.weights.rms_att.base + i, 3e38f);
  EXPECT_TRUE(check_weights_finite(s.model).is_ok());  // finite, but...
  expect_no_text(s, "fp32 overflow");
}

TEST(NonFinite, Int8ScalesHoldingNaNOrInfinity) {
  for (float value : {kNaN, kInf}) {
    Session s(true);
    s.poison(s.model.weights.wq.scale_bytes(0), value);
    const Status check = check_weights_finite(s.model);
    EXPECT_FALSE(check.is_ok());
    EXPECT_NE(std::string(check.message()).find("tensor wq, layer 0: group scale 0"),
              std::string::npos)
        << check.message();
    // No forward check is asked for here: quantizing the activations turns a
    // NaN into an int8 value in every kernel family, so a NaN scale can leave
    // finite logits behind it. Such a model is refused when it is loaded
    // (check_weights_finite, which every command runs), as above.
  }
}

// The case that needs the hidden-state check: the int8 classifier quantizes
// its input, and the reference kernel turns NaN into 0 there, a SIMD kernel
// into -128; either way the logits alone could look finite.
TEST(NonFinite, Int8ScalesThatOverflow) {
  Session s(true);
  const Matrix& w1 = s.model.weights.w1;
  for (int32_t g = 0; g < w1.rows * w1.groups_per_row(); ++g) {
    s.poison(w1.scale_bytes(0) + 4 * g, 3e38f);
  }
  EXPECT_TRUE(check_weights_finite(s.model).is_ok());
  expect_no_text(s, "int8 overflow");
}

}  // namespace
}  // namespace llmcu::test
