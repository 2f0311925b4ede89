// The fp32 -> int8 converter, the int8 kernels and teacher-forced evaluation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "llmcu/evaluate.h"
#include "llmcu/generator.h"
#include "llmcu/quantize.h"
#include "test_internals.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

std::vector<uint8_t> quantized(const Model& m, int32_t group_size) {
  std::vector<uint8_t> out;
  Result<QuantizeStats> stats = write_llama2c_v2(m, group_size, append_to_vector, &out);
  EXPECT_TRUE(stats.is_ok()) << stats.status().message();
  EXPECT_EQ(stats->bytes_written, out.size());
  EXPECT_EQ(llama2c_v2_bytes(m.config, group_size), out.size());
  return out;
}

ModelConfig shape(int32_t dim, int32_t hidden) {
  ModelConfig c{dim, hidden, 1, 4, 4, 32, 8, true};
  return c;
}

TEST(Q8GroupSize, PicksALargestPowerOfTwoThatDividesEveryRow) {
  EXPECT_EQ(*choose_group_size(shape(64, 172), 0), 4);     // stories260K
  EXPECT_EQ(*choose_group_size(shape(288, 768), 0), 32);   // stories15M
  EXPECT_EQ(*choose_group_size(shape(512, 1376), 0), 32);  // stories42M
  EXPECT_EQ(*choose_group_size(shape(768, 2048), 0), 64);  // stories110M
  EXPECT_EQ(*choose_group_size(shape(288, 768), 48), 48);
  EXPECT_EQ(*choose_group_size(shape(64, 172), 2), 2);
}

TEST(Q8GroupSize, RefusesAGroupSizeThatStraddlesRowsNamingTheTensor) {
  Result<int32_t> g = choose_group_size(shape(64, 172), 64);
  ASSERT_FALSE(g.is_ok());
  EXPECT_STREQ(g.status().message(),
               "group size 64 does not divide hidden_dim 172, the row length of w2; the largest "
               "group size up to 64 that fits this model is 4");
  g = choose_group_size(shape(288, 768), 64);
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(std::string(g.status().message()).find("dim 288, the row length of wq"),
            std::string::npos)
      << g.status().message();
  EXPECT_NE(std::string(g.status().message()).find("fits this model is 48"), std::string::npos);
}

TEST(Q8Quantize, Stories260KIsByteIdenticalToLlama2cExportPy) {
  const std::vector<uint8_t> fp32 = read_file(model_path("stories260K.bin"));
  Result<Model> m = load_model(fp32, "stories260K.bin");
  ASSERT_TRUE(m.is_ok());
  EXPECT_EQ(quantized(*m, 4), read_file(model_path("stories260K_q8.bin")));
}

// Every dequantized weight lies within half its group's scale of the original.
void expect_within_half_scale(const Matrix& f, const Matrix& q, int32_t layers) {
  std::vector<float> row(static_cast<size_t>(q.cols));
  for (int32_t l = 0; l < layers; ++l) {
    for (int32_t r = 0; r < q.rows; ++r) {
      const size_t at = static_cast<size_t>(r) * q.cols;
      const uint8_t* scales = q.scale_bytes(l) + at / q.group_size * sizeof(float);
      kernels::ref::dequantize_q8(row.data(), q.q8(l) + at, scales, q.cols, q.group_size);
      for (int32_t i = 0; i < q.cols; ++i) {
        float scale;
        memcpy(&scale, scales + (i / q.group_size) * sizeof(float), sizeof(scale));
        const float original = f.f32(l)[at + i];
        ASSERT_LE(std::fabs(row[i] - original), scale * 0.5f * (1.0f + 1e-5f) + 1e-12f)
            << "layer " << l << " row " << r << " col " << i;
      }
    }
  }
}

TEST(Q8Quantize, RoundTripErrorIsWithinHalfAScaleForEveryShape) {
  struct Case {
    ModelConfig config;
    int32_t group_size;
  };
  // Separate classifier, grouped-query attention, odd group sizes.
  const Case cases[] = {{{16, 40, 2, 4, 2, 40, 8, false}, 8},
                        {{12, 18, 1, 2, 1, 20, 4, true}, 3},
                        {{6, 9, 1, 3, 3, 8, 4, true}, 3},
                        {{32, 96, 2, 4, 4, 64, 8, true}, 32}};
  for (const Case& c : cases) {
    const std::vector<uint8_t> v0 = make_v0_model(c.config);
    Result<Model> f = load_model(v0, "v0");
    ASSERT_TRUE(f.is_ok()) << f.status().message();
    const std::vector<uint8_t> bytes = quantized(*f, c.group_size);
    Result<Model> q = load_model(bytes, "q8");
    ASSERT_TRUE(q.is_ok()) << q.status().message();
    EXPECT_EQ(q->config.group_size, c.group_size);
    EXPECT_EQ(q->config.shared_classifier, c.config.shared_classifier);
    const Weights &fw = f->weights, &qw = q->weights;
    EXPECT_EQ(0, memcmp(fw.rms_att.base, qw.rms_att.base,
                        sizeof(float) * c.config.dim * c.config.n_layers));
    EXPECT_EQ(0, memcmp(fw.rms_final, qw.rms_final, sizeof(float) * c.config.dim));
    expect_within_half_scale(fw.token_embedding, qw.token_embedding, 1);
    expect_within_half_scale(fw.classifier, qw.classifier, 1);
    const int32_t n = c.config.n_layers;
    expect_within_half_scale(fw.wq, qw.wq, n);
    expect_within_half_scale(fw.wk, qw.wk, n);
    expect_within_half_scale(fw.wv, qw.wv, n);
    expect_within_half_scale(fw.wo, qw.wo, n);
    expect_within_half_scale(fw.w1, qw.w1, n);
    expect_within_half_scale(fw.w2, qw.w2, n);
    expect_within_half_scale(fw.w3, qw.w3, n);
  }
}

TEST(Q8Quantize, RefusesInt8InputNonFiniteWeightsAndReportsSinkErrors) {
  const std::vector<uint8_t> q8 = read_file(model_path("stories260K_q8.bin"));
  Result<Model> q = load_model(q8, "q8");
  std::vector<uint8_t> out;
  Result<QuantizeStats> s = write_llama2c_v2(*q, 4, append_to_vector, &out);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(std::string(s.status().message()).find("already int8"), std::string::npos);

  ModelConfig c{16, 40, 2, 4, 2, 40, 8, true};
  std::vector<uint8_t> v0 = make_v0_model(c);
  Result<Model> f = load_model(v0, "v0");
  // Poison one weight of w2, layer 1, row 3.
  const size_t offset =
      static_cast<size_t>(f->weights.w2.layer(1) - v0.data()) + (3 * 40 + 5) * sizeof(float);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  memcpy(v0.data() + offset, &nan, sizeof(nan));
  s = write_llama2c_v2(*f, 8, append_to_vector, &out);
  ASSERT_FALSE(s.is_ok());
  EXPECT_STREQ(s.status().message(), "tensor w2, layer 1, row 3: a weight is not finite");

  v0 = make_v0_model(c);
  f = load_model(v0, "v0");
  auto failing = [](void*, const uint8_t*, size_t) {
    return Status::error(StatusCode::kIoError, "disk full");
  };
  s = write_llama2c_v2(*f, 8, failing, nullptr);
  ASSERT_FALSE(s.is_ok());
  EXPECT_STREQ(s.status().message(), "disk full");
}

// Straightforward double-precision model of the int8 matvec.
float naive_q8_row(const int8_t* w, const float* ws, const int8_t* x, const float* xs, int32_t cols,
                   int32_t gs) {
  double sum = 0.0;
  for (int32_t i = 0; i < cols; ++i) {
    sum += static_cast<double>(w[i]) * ws[i / gs] * x[i] * xs[i / gs];
  }
  return static_cast<float>(sum);
}

struct Q8Problem {
  int32_t rows, cols, gs;
  std::vector<int8_t> w, xq;
  std::vector<uint8_t> w_scales_bytes;  // one byte of offset: unaligned floats
  std::vector<float> w_scales, x_scales;

  Q8Problem(int32_t r, int32_t c, int32_t g, uint32_t seed) : rows(r), cols(c), gs(g) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> q(-128, 127);
    std::uniform_real_distribution<float> s(0.001f, 0.05f);
    w.resize(static_cast<size_t>(r) * c);
    for (auto& v : w) v = static_cast<int8_t>(q(rng));
    xq.resize(c);
    for (auto& v : xq) v = static_cast<int8_t>(q(rng) % 128);  // activations: [-127, 127]
    w_scales.resize(static_cast<size_t>(r) * c / g);
    for (auto& v : w_scales) v = s(rng);
    x_scales.resize(c / g);
    for (auto& v : x_scales) v = s(rng);
    w_scales_bytes.resize(1 + w_scales.size() * sizeof(float));
    memcpy(w_scales_bytes.data() + 1, w_scales.data(), w_scales.size() * sizeof(float));
  }
  const uint8_t* scales() const { return w_scales_bytes.data() + 1; }
};

TEST(Q8Kernels, ReferenceMatvecMatchesNaiveModelOnOddSizes) {
  for (auto [rows, cols, gs] : {std::tuple{1, 4, 4},
                                {7, 12, 3},
                                {5, 172, 4},
                                {3, 96, 32},
                                {9, 100, 50},
                                {4, 64, 64},
                                {2, 6, 1}}) {
    Q8Problem p(rows, cols, gs, static_cast<uint32_t>(rows * 1000 + cols));
    std::vector<float> out(rows, -1.0f);
    kernels::ref::matvec_q8(out.data(), p.w.data(), p.scales(), p.xq.data(), p.x_scales.data(),
                            cols, gs, 0, rows);
    for (int32_t r = 0; r < rows; ++r) {
      const float expect = naive_q8_row(p.w.data() + static_cast<size_t>(r) * cols,
                                        p.w_scales.data() + static_cast<size_t>(r) * cols / gs,
                                        p.xq.data(), p.x_scales.data(), cols, gs);
      EXPECT_NEAR(out[r], expect, 1e-4f * (1.0f + std::fabs(expect))) << rows << "x" << cols;
    }
  }
}

TEST(Q8Kernels, QuantizeMatchesRunqAndHandlesZeroGroups) {
  const float x[8] = {0.0f, 0.0f, 0.0f, 0.0f, 1.0f, -0.5f, 0.25f, -2.0f};
  int8_t q[8];
  float s[2];
  kernels::ref::quantize_q8(q, s, x, 8, 4);
  EXPECT_EQ(s[0], 0.0f);
  EXPECT_EQ(s[1], 2.0f / 127.0f);
  const int8_t expect[8] = {0, 0, 0, 0, 64, -32, 16, -127};  // round half away from zero
  for (int i = 0; i < 8; ++i) EXPECT_EQ(q[i], expect[i]) << i;
}

TEST(Q8Kernels, ActiveQuantizeRoundsExactTiesAwayFromZero) {
  // max 31.75 gives scale 0.25 exactly: x / scale lands on exact halves.
  const float x[16] = {31.75f,  0.125f, -0.125f, 0.375f, -0.375f, 2.625f,  -2.625f, 15.875f,
                       -31.75f, 0.0f,   -0.0f,   1.125f, -1.125f, 30.125f, 0.124f,  -0.376f};
  const int8_t expect[16] = {127, 1, -1, 2, -2, 11, -11, 64, -127, 0, 0, 5, -5, 121, 0, -2};
  for (int32_t gs : {4, 8, 16}) {
    std::vector<float> v(x, x + 16);
    for (int32_t g = 0; g < 16; g += gs) v[static_cast<size_t>(g)] = 31.75f;  // each group's max
    int8_t q[16];
    float s[4];
    kernels::Active::quantize_q8(q, s, v.data(), 16, gs);
    for (int i = 0; i < 16; ++i) {
      const int8_t want = i % gs == 0 ? int8_t{127} : expect[i];
      EXPECT_EQ(q[i], want) << "gs " << gs << " value " << i;
    }
    for (int32_t g = 0; g < 16 / gs; ++g) EXPECT_EQ(s[g], 0.25f);
  }
}

TEST(Q8Eval, WindowsScoreEveryTokenOnceAndReportEveryRow) {
  ModelConfig c{16, 40, 2, 4, 2, 40, 8, true};
  const std::vector<uint8_t> v0 = make_v0_model(c);
  Result<Model> m = load_model(v0, "v0");
  Result<MemoryPlan> plan = plan_memory(*m, {});
  std::vector<uint8_t> arena(plan->arena_bytes + Arena::kAlignment);
  const std::vector<uint8_t> tok = make_tokenizer(c.vocab_size);
  Result<Generator> g = Generator::create(*m, tok, "tok", *plan, arena, nullptr);
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  std::vector<int32_t> tokens;
  for (int i = 0; i < 20; ++i) tokens.push_back(1 + (i * 7) % 39);
  std::vector<int32_t> rows;
  auto sink = [](void* user, int32_t index, const float*, int32_t) {
    static_cast<std::vector<int32_t>*>(user)->push_back(index);
    return Status::ok();
  };
  Result<EvalStats> s = evaluate_tokens(g->transformer(), tokens, sink, &rows);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s->tokens, 20);
  EXPECT_EQ(s->predicted, 19);
  EXPECT_EQ(s->windows, 3);  // 8 tokens, then BOS + 7, then BOS + 5
  ASSERT_EQ(rows.size(), 20u);
  for (int32_t i = 0; i < 20; ++i) EXPECT_EQ(rows[i], i);
  EXPECT_GT(s->perplexity(), 1.0);

  // The first window's score equals a direct computation.
  double nll = 0.0;
  for (int32_t pos = 0; pos < 7; ++pos) {
    const float* logits = g->transformer().forward(tokens[pos], pos);
    nll += negative_log_likelihood(logits, c.vocab_size, tokens[pos + 1]);
  }
  Result<EvalStats> first = evaluate_tokens(
      g->transformer(), std::span<const int32_t>(tokens.data(), 8), nullptr, nullptr);
  EXPECT_NEAR(first->nll_sum, nll, 1e-9);

  tokens[4] = 40;
  Result<EvalStats> bad = evaluate_tokens(g->transformer(), tokens, nullptr, nullptr);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_STREQ(bad.status().message(), "token 4 is 40, outside the vocabulary [0, 40)");
}

}  // namespace
}  // namespace llmcu::test
