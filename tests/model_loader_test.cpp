// The loader refuses every malformed checkpoint with a message naming the
// file and the problem, and accepts the real one in place.
#include <gtest/gtest.h>

#include <cstring>

#include "llmcu/model.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

ModelConfig small_config() {
  ModelConfig c;
  c.dim = 16;
  c.hidden_dim = 24;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.vocab_size = 300;
  c.seq_len = 8;
  return c;
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  Result<Model> m = load_model(bytes, "m.bin");
  return m.is_ok() ? "" : m.status().message();
}

void set_header(std::vector<uint8_t>& bytes, int field, int32_t value) {
  memcpy(bytes.data() + 4 * field, &value, 4);
}

TEST(ModelLoader, LoadsStories260KInPlace) {
  std::vector<uint8_t> bytes = read_file(model_path("stories260K.bin"));
  Result<Model> m = load_model(bytes, "stories260K.bin");
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  EXPECT_EQ(m->format, ModelFormat::kLlama2cV0);
  EXPECT_EQ(m->config.dim, 64);
  EXPECT_EQ(m->config.kv_dim(), 32);
  EXPECT_TRUE(m->config.shared_classifier);
  EXPECT_EQ(m->weights.token_embedding.base, bytes.data() + 28);  // no copy
  EXPECT_EQ(m->weights.classifier.base, m->weights.token_embedding.base);
  EXPECT_EQ(m->parameter_count, 260032u);
}

TEST(ModelLoader, AcceptsSeparateClassifier) {
  ModelConfig c = small_config();
  c.shared_classifier = false;
  std::vector<uint8_t> bytes = make_v0_model(c);
  Result<Model> m = load_model(bytes, "m.bin");
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  EXPECT_FALSE(m->config.shared_classifier);
  EXPECT_EQ(m->weights.classifier.base + static_cast<size_t>(c.vocab_size) * c.dim * 4,
            bytes.data() + bytes.size());
}

TEST(ModelLoader, TruncationAnywhereIsRefusedWithBothSizes) {
  const std::vector<uint8_t> full = make_v0_model(small_config());
  // Every header byte, then every tensor boundary and a byte either side.
  std::vector<size_t> cuts;
  for (size_t i = 0; i <= 28; ++i) cuts.push_back(i);
  const size_t dim = 16, hidden = 24, layers = 2, vocab = 300, kv = 8, seq = 8, hs = 4;
  size_t offset = 28;
  for (size_t floats : {vocab * dim, layers * dim, layers * dim * dim, layers * dim * kv,
                        layers * dim * kv, layers * dim * dim, layers * dim, layers * dim * hidden,
                        layers * hidden * dim, layers * dim * hidden, dim, seq * hs}) {
    offset += floats * 4;
    cuts.push_back(offset - 1);
    if (offset < full.size()) cuts.push_back(offset);
    cuts.push_back(offset - 4);
  }
  for (size_t cut : cuts) {
    std::vector<uint8_t> bytes(full.begin(), full.begin() + static_cast<long>(cut));
    const std::string error = error_of(bytes);
    EXPECT_NE(error.find("m.bin: truncated"), std::string::npos) << cut << ": " << error;
    if (cut >= 28) {
      EXPECT_NE(error.find("header says " + std::to_string(full.size()) + " bytes, file has " +
                           std::to_string(cut)),
                std::string::npos)
          << error;
    }
  }
}

TEST(ModelLoader, TrailingBytesAreRefused) {
  std::vector<uint8_t> bytes = make_v0_model(small_config());
  bytes.push_back(0);
  EXPECT_NE(error_of(bytes).find("1 trailing bytes"), std::string::npos) << error_of(bytes);
}

TEST(ModelLoader, BadDimsAreRefused) {
  const std::vector<uint8_t> good = make_v0_model(small_config());
  struct Case {
    int field;
    int32_t value;
    const char* message;
  };
  const Case cases[] = {
      {0, 0, "dim must be positive"},
      {0, -5, "dim must be positive"},
      {1, 0, "hidden_dim must be positive"},
      {2, -1, "n_layers must be positive"},
      {3, 0, "n_heads must be positive"},
      {4, 0, "n_kv_heads must be positive"},
      {5, 0, "vocab_size must be positive"},
      {6, 0, "seq_len must be positive"},
      {3, 3, "not divisible by n_heads"},
      {4, 3, "not a multiple of n_kv_heads"},
      {4, 8, "not a multiple of n_kv_heads"},
      {3, 8, "header says"},
      {5, INT32_MIN, "out of range"},
      {5, 2, "too small"},
      {0, 0x7fffffff, ""},
      {6, 0x7fffffff, "header says"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = good;
    set_header(bytes, c.field, c.value);
    const std::string error = error_of(bytes);
    EXPECT_FALSE(error.empty()) << c.field << "=" << c.value;
    EXPECT_NE(error.find(c.message), std::string::npos) << error;
    EXPECT_EQ(error.rfind("m.bin: ", 0), 0u) << error;
  }
  std::vector<uint8_t> odd = good;
  set_header(odd, 3, 8);  // head_size 2 is even: fine by itself
  set_header(odd, 4, 8);
  set_header(odd, 0, 24);  // head_size 3: odd
  EXPECT_NE(error_of(odd).find("odd"), std::string::npos) << error_of(odd);
}

TEST(ModelLoader, HugeDimsOverflowCleanly) {
  std::vector<uint8_t> bytes = make_v0_model(small_config());
  for (int field : {0, 1, 2, 5, 6}) {
    std::vector<uint8_t> b = bytes;
    set_header(b, field, 0x40000000);
    const std::string error = error_of(b);
    EXPECT_FALSE(error.empty()) << field;
  }
  std::vector<uint8_t> b = bytes;
  set_header(b, 0, 0x7ffffffc);
  set_header(b, 1, 0x7fffffff);
  set_header(b, 2, 0x7fffffff);
  set_header(b, 3, 2);
  set_header(b, 4, 2);
  set_header(b, 5, 0x7fffffff);
  EXPECT_NE(error_of(b).find("overflows"), std::string::npos) << error_of(b);
}

TEST(ModelLoader, Ak42FilesNameTheirVersion) {
  Bytes b;
  b.u32(0x616b3432);
  b.i32(2);
  b.data.resize(256);
  EXPECT_NE(error_of(b.data).find("version 2"), std::string::npos) << error_of(b.data);
  Bytes v9;
  v9.u32(0x616b3432);
  v9.i32(9);
  EXPECT_NE(error_of(v9.data).find("version 9"), std::string::npos);
  Bytes short_magic;
  short_magic.u32(0x616b3432);
  EXPECT_NE(error_of(short_magic.data).find("truncated"), std::string::npos);
}

TEST(ModelLoader, MisalignedBytesAreRefused) {
  const std::vector<uint8_t> good = make_v0_model(small_config());
  std::vector<uint8_t> shifted(good.size() + 1);
  memcpy(shifted.data() + 1, good.data(), good.size());
  Result<Model> m = load_model(std::span<const uint8_t>(shifted.data() + 1, good.size()), "m.bin");
  ASSERT_FALSE(m.is_ok());
  EXPECT_NE(std::string(m.status().message()).find("not 4-byte aligned"), std::string::npos)
      << m.status().message();
}

TEST(ModelLoader, EmptyFileIsTruncated) {
  EXPECT_NE(error_of({}).find("m.bin: truncated: a llama2.c header needs 28 bytes, file has 0"),
            std::string::npos);
}

}  // namespace
}  // namespace llmcu::test
