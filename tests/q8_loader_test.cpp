// llama2.c "ak42" version 1 (fp32) and version 2 (int8 Q8_0) files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "llmcu/generator.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

std::string error_of(const std::vector<uint8_t>& bytes) {
  Result<Model> m = load_model(bytes, "m.bin");
  return m.is_ok() ? "" : m.status().message();
}

void append(Bytes& b, const void* p, size_t n) {
  const auto* u = static_cast<const uint8_t*>(p);
  b.data.insert(b.data.end(), u, u + n);
}

void ak42_header(Bytes& b, int32_t version, const ModelConfig& c, int32_t group_size) {
  b.u32(0x616b3432);
  b.i32(version);
  for (int32_t v :
       {c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len}) {
    b.i32(v);
  }
  b.u8(c.shared_classifier ? 1 : 0);
  if (version == 2) b.i32(group_size);
  b.data.resize(256, 0);
}

// Re-lays a loaded fp32 model out as a version-1 file.
std::vector<uint8_t> to_v1(const Model& m) {
  const ModelConfig& c = m.config;
  const Weights& w = m.weights;
  Bytes b;
  ak42_header(b, 1, c, 0);
  const size_t f = sizeof(float), dim = c.dim, layers = c.n_layers;
  append(b, w.rms_att.base, layers * dim * f);
  append(b, w.rms_ffn.base, layers * dim * f);
  append(b, w.rms_final, dim * f);
  append(b, w.token_embedding.base, w.token_embedding.layer_stride);
  for (const Matrix* x : {&w.wq, &w.wk, &w.wv, &w.wo, &w.w1, &w.w2, &w.w3}) {
    append(b, x->base, x->layer_stride * layers);
  }
  if (!c.shared_classifier) append(b, w.classifier.base, w.classifier.layer_stride);
  return b.data;
}

TEST(Q8Loader, LoadsExportPyVersion2InPlace) {
  const std::vector<uint8_t> bytes = read_file(model_path("stories260K_q8.bin"));
  Result<Model> m = load_model(bytes, "stories260K_q8.bin");
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  EXPECT_EQ(m->format, ModelFormat::kLlama2cV2);
  EXPECT_EQ(m->weight_type, WeightType::kQ8);
  EXPECT_EQ(m->config.group_size, 4);
  EXPECT_EQ(m->config.dim, 64);
  EXPECT_EQ(m->config.hidden_dim, 172);
  EXPECT_TRUE(m->config.shared_classifier);
  EXPECT_EQ(m->weights.wq.type, WeightType::kQ8);
  EXPECT_EQ(m->weights.w2.cols, 172);
  // Pointers into the caller's bytes, no copies.
  EXPECT_EQ(reinterpret_cast<const uint8_t*>(m->weights.rms_att.base), bytes.data() + 256);
  EXPECT_EQ(m->weights.classifier.base, m->weights.token_embedding.base);
  EXPECT_EQ(m->weights.wq.layer_stride, 64u * 64u + 64u * 64u / 4u * 4u);
}

TEST(Q8Loader, Version1LoadsAndComputesLikeVersion0) {
  for (bool shared : {true, false}) {
    ModelConfig c{16, 40, 2, 4, 2, 40, 8, shared};
    const std::vector<uint8_t> v0 = make_v0_model(c);
    Result<Model> m0 = load_model(v0, "v0");
    ASSERT_TRUE(m0.is_ok()) << m0.status().message();
    const std::vector<uint8_t> v1 = to_v1(*m0);
    Result<Model> m1 = load_model(v1, "v1");
    ASSERT_TRUE(m1.is_ok()) << m1.status().message();
    EXPECT_EQ(m1->format, ModelFormat::kLlama2cV1);
    EXPECT_EQ(m1->weight_type, WeightType::kF32);
    EXPECT_EQ(m1->config.shared_classifier, shared);
    EXPECT_EQ(m1->parameter_count, m0->parameter_count);
    EXPECT_EQ(logits_at(*m0, {1, 5, 7, 3}), logits_at(*m1, {1, 5, 7, 3}));
    std::vector<uint8_t> truncated(v1.begin(), v1.end() - 1);
    EXPECT_NE(error_of(truncated).find("version 1: truncated"), std::string::npos)
        << error_of(truncated);
  }
}

TEST(Q8Loader, Version2ErrorsNameTheProblem) {
  const std::vector<uint8_t> good = read_file(model_path("stories260K_q8.bin"));
  auto with_i32 = [&](size_t offset, int32_t v) {
    std::vector<uint8_t> b = good;
    memcpy(b.data() + offset, &v, sizeof(v));
    return b;
  };
  EXPECT_NE(error_of(with_i32(37, 0)).find("group_size at byte 37 must be positive"),
            std::string::npos);
  // 8 divides dim 64 but not hidden_dim 172.
  const std::string g8 = error_of(with_i32(37, 8));
  EXPECT_NE(g8.find("m.bin: llama2.c version 2: group size 8 does not divide hidden_dim 172"),
            std::string::npos)
      << g8;
  EXPECT_NE(g8.find("w2"), std::string::npos) << g8;
  std::vector<uint8_t> b = good;
  b.pop_back();
  EXPECT_NE(error_of(b).find("truncated: header says 521728 bytes, file has 521727"),
            std::string::npos)
      << error_of(b);
  b = good;
  b.push_back(0);
  EXPECT_NE(error_of(b).find("1 trailing bytes"), std::string::npos);
  b = good;
  b[36] = 7;
  EXPECT_NE(error_of(b).find("shared_classifier flag at byte 36 is 7"), std::string::npos);
  b = good;
  b[200] = 1;
  EXPECT_NE(error_of(b).find("header byte 200 is 1"), std::string::npos) << error_of(b);
  b = std::vector<uint8_t>(good.begin(), good.begin() + 100);
  EXPECT_NE(error_of(b).find("truncated: the header needs 256 bytes, file has 100"),
            std::string::npos);
}

TEST(Q8Loader, NonFiniteScalesAreRefused) {
  const std::vector<uint8_t> good = read_file(model_path("stories260K_q8.bin"));
  Result<Model> m = load_model(good, "m.bin");
  ASSERT_TRUE(m.is_ok());
  // The last scale of layer 1 of w2.
  const Matrix& w2 = m->weights.w2;
  const size_t groups = static_cast<size_t>(w2.rows) * w2.cols / w2.group_size;
  const size_t offset = static_cast<size_t>(w2.scale_bytes(1) - good.data()) + (groups - 1) * 4;
  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    std::vector<uint8_t> b = good;
    memcpy(b.data() + offset, &bad, sizeof(bad));
    const std::string e = error_of(b);
    EXPECT_NE(e.find("tensor w2, layer 1: scale of group 2751 (row 63) is not finite"),
              std::string::npos)
        << e;
  }
}

TEST(Q8Loader, UnalignedScalesAreReadSafely) {
  // dim 6 (heads of 2), hidden 9, group size 3: w1 has 54 int8 values, so
  // its scales start at an address that is not 4-aligned.
  ModelConfig c{6, 9, 1, 3, 3, 8, 4, true};
  c.group_size = 3;
  Bytes b;
  ak42_header(b, 2, c, 3);
  b.f32s(6 + 6 + 6, 1.0f);
  auto q8 = [&](size_t rows, size_t cols) {
    for (size_t i = 0; i < rows * cols; ++i) b.u8(static_cast<uint8_t>((i * 7) % 11));
    for (size_t g = 0; g < rows * cols / 3; ++g) b.f32(0.01f * static_cast<float>(g % 5 + 1));
  };
  q8(8, 6);                              // token embedding
  for (int i = 0; i < 4; ++i) q8(6, 6);  // wq wk wv wo
  q8(9, 6);                              // w1
  q8(6, 9);                              // w2
  q8(9, 6);                              // w3
  Result<Model> m = load_model(b.data, "odd.bin");
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  EXPECT_NE(reinterpret_cast<uintptr_t>(m->weights.w1.scale_bytes(0)) % 4, 0u);
  const std::vector<float> logits = logits_at(*m, {1, 2, 3});
  for (float v : logits) EXPECT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace llmcu::test
