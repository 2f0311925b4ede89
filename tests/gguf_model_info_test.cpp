// Hyperparameters and tensor checks of llama/qwen2 GGUF files.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "gguf_builder.h"
#include "llmcu/gguf_model.h"
#include "test_support.h"

namespace llmcu {
namespace {

using test::GgufBuilder;

struct Loaded {
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> arena_memory;
  Result<GgufFile> file = Status::error(StatusCode::kInvalidArgument, "not opened");
  Result<GgufModelInfo> info = Status::error(StatusCode::kInvalidArgument, "not read");
};

std::unique_ptr<Loaded> load(std::vector<uint8_t> bytes, const char* name = "model.gguf") {
  auto l = std::make_unique<Loaded>();
  l->bytes = std::move(bytes);
  Result<size_t> need = gguf_index_bytes(l->bytes, name);
  EXPECT_TRUE(need.is_ok()) << need.status().message();
  if (!need.is_ok()) return l;
  l->arena_memory.resize(*need);
  Arena arena(l->arena_memory);
  l->file = gguf_open(l->bytes, name, arena);
  EXPECT_TRUE(l->file.is_ok()) << l->file.status().message();
  if (l->file.is_ok()) l->info = gguf_model_info(*l->file);
  return l;
}

std::string info_error(GgufBuilder& b) {
  auto l = load(b.build());
  EXPECT_FALSE(l->info.is_ok());
  return l->info.is_ok() ? std::string() : l->info.status().message();
}

struct Shape {
  std::string arch = "llama";
  uint64_t dim = 8, hidden = 12, layers = 2, heads = 2, kv_heads = 1, vocab = 6;
  bool output = true;
  bool biases = false;
};

// A tiny, valid model: every tensor F32 except the FFN's Q8_0-free shapes.
// "arch.suffix"; operator+ on strings trips GCC 12's -Wrestrict here.
std::string key(const std::string& arch, const char* suffix) {
  std::string k = arch;
  k += '.';
  k += suffix;
  return k;
}

GgufBuilder tiny(const Shape& s) {
  GgufBuilder b;
  const std::string a = s.arch;
  b.string("general.architecture", a);
  b.u32(key(a, "context_length"), 16);
  b.u32(key(a, "embedding_length"), static_cast<uint32_t>(s.dim));
  b.u32(key(a, "feed_forward_length"), static_cast<uint32_t>(s.hidden));
  b.u32(key(a, "block_count"), static_cast<uint32_t>(s.layers));
  b.u32(key(a, "attention.head_count"), static_cast<uint32_t>(s.heads));
  b.u32(key(a, "attention.head_count_kv"), static_cast<uint32_t>(s.kv_heads));
  b.f32(key(a, "attention.layer_norm_rms_epsilon"), 1e-6f);
  std::vector<std::string> tokens;
  for (uint64_t i = 0; i < s.vocab; ++i) tokens.push_back("t" + std::to_string(i));
  b.strings("tokenizer.ggml.tokens", tokens);
  const uint64_t head = s.dim / s.heads, kv_dim = head * s.kv_heads;
  b.f32_tensor("token_embd.weight", {s.dim, s.vocab});
  b.f32_tensor("output_norm.weight", {s.dim});
  if (s.output) b.f32_tensor("output.weight", {s.dim, s.vocab});
  for (uint64_t l = 0; l < s.layers; ++l) {
    std::string p = "blk.";
    p += std::to_string(l);
    p += '.';
    b.f32_tensor(p + "attn_norm.weight", {s.dim});
    b.f32_tensor(p + "attn_q.weight", {s.dim, s.dim});
    b.f32_tensor(p + "attn_k.weight", {s.dim, kv_dim});
    b.f32_tensor(p + "attn_v.weight", {s.dim, kv_dim});
    b.f32_tensor(p + "attn_output.weight", {s.dim, s.dim});
    if (s.biases) {
      b.f32_tensor(p + "attn_q.bias", {s.dim});
      b.f32_tensor(p + "attn_k.bias", {kv_dim});
      b.f32_tensor(p + "attn_v.bias", {kv_dim});
    }
    b.f32_tensor(p + "ffn_norm.weight", {s.dim});
    b.f32_tensor(p + "ffn_gate.weight", {s.dim, s.hidden});
    b.f32_tensor(p + "ffn_up.weight", {s.dim, s.hidden});
    b.f32_tensor(p + "ffn_down.weight", {s.hidden, s.dim});
  }
  return b;
}

GgufBuilder::Tensor* tensor_named(GgufBuilder& b, const std::string& name) {
  for (GgufBuilder::Tensor& t : b.tensors()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

TEST(GgufModelInfo, TinyLlama) {
  GgufBuilder b = tiny(Shape{});
  auto l = load(b.build());
  ASSERT_TRUE(l->info.is_ok()) << l->info.status().message();
  const GgufModelInfo& m = *l->info;
  EXPECT_EQ(m.arch, GgufArch::kLlama);
  EXPECT_EQ(m.rope_style, RopeStyle::kAdjacentPairs);
  EXPECT_EQ(m.dim, 8);
  EXPECT_EQ(m.hidden_dim, 12);
  EXPECT_EQ(m.n_layers, 2);
  EXPECT_EQ(m.n_heads, 2);
  EXPECT_EQ(m.n_kv_heads, 1);
  EXPECT_EQ(m.head_size, 4);
  EXPECT_EQ(m.kv_dim(), 4);
  EXPECT_EQ(m.vocab_size, 6);
  EXPECT_EQ(m.context_length, 16);
  EXPECT_EQ(m.rope_dims, 4);
  EXPECT_EQ(m.rope_theta, 10000.0f);
  EXPECT_EQ(m.rms_eps, 1e-6f);
  EXPECT_FALSE(m.tied_embeddings);
  EXPECT_FALSE(m.qkv_bias);
  EXPECT_EQ(m.output, l->file->find_tensor("output.weight"));
  const GgufLayer layer = gguf_layer(*l->file, m, 1);
  EXPECT_EQ(layer.ffn_down, l->file->find_tensor("blk.1.ffn_down.weight"));
  EXPECT_EQ(layer.bq, nullptr);
}

TEST(GgufModelInfo, TiedEmbeddingsAndDefaults) {
  Shape s;
  s.output = false;
  s.kv_heads = 2;
  GgufBuilder b = tiny(s);
  b.f32("llama.rope.freq_base", 500000.0f);
  // Without head_count_kv, every head has its own kv head.
  auto l = load(b.build());
  ASSERT_TRUE(l->info.is_ok()) << l->info.status().message();
  EXPECT_TRUE(l->info->tied_embeddings);
  EXPECT_EQ(l->info->output, l->info->token_embd);
  EXPECT_EQ(l->info->rope_theta, 500000.0f);
}

TEST(GgufModelInfo, Qwen2HasBiasesAndHalvesRope) {
  Shape s;
  s.arch = "qwen2";
  s.biases = true;
  s.output = false;
  GgufBuilder b = tiny(s);
  auto l = load(b.build());
  ASSERT_TRUE(l->info.is_ok()) << l->info.status().message();
  EXPECT_EQ(l->info->arch, GgufArch::kQwen2);
  EXPECT_EQ(l->info->rope_style, RopeStyle::kHalves);
  EXPECT_TRUE(l->info->qkv_bias);
  const GgufLayer layer = gguf_layer(*l->file, *l->info, 0);
  EXPECT_EQ(layer.bk, l->file->find_tensor("blk.0.attn_k.bias"));

  s.biases = false;
  GgufBuilder no_bias = tiny(s);
  EXPECT_EQ(info_error(no_bias), "model.gguf: tensor 'blk.0.attn_q.bias' is missing");
}

TEST(GgufModelInfo, LlamaWithBiasesNeedsThemEverywhere) {
  Shape s;
  s.biases = true;
  GgufBuilder b = tiny(s);
  auto l = load(b.build());
  ASSERT_TRUE(l->info.is_ok()) << l->info.status().message();
  EXPECT_TRUE(l->info->qkv_bias);

  GgufBuilder stray = tiny(Shape{});
  stray.f32_tensor("blk.1.attn_v.bias", {4});
  EXPECT_EQ(info_error(stray),
            "model.gguf: tensor 'blk.1.attn_v.bias' is present but blk.0 has no q/k/v biases");
}

TEST(GgufModelInfo, HyperparameterErrorsNameTheKey) {
  {
    Shape s;
    s.arch = "gpt2";
    GgufBuilder b = tiny(s);
    EXPECT_EQ(info_error(b),
              "model.gguf: architecture 'gpt2' is not supported (llama and qwen2 are)");
  }
  {
    Shape s;
    s.heads = 3;
    GgufBuilder b = tiny(s);
    EXPECT_EQ(info_error(b), "model.gguf: 3 heads of 1 kv heads do not divide embedding_length 8");
  }
  {
    GgufBuilder b = tiny(Shape{});
    b.u32("llama.rope.dimension_count", 2);
    EXPECT_EQ(info_error(b),
              "model.gguf: llama.rope.dimension_count is 2: rotating part of a head (head size "
              "4) is not supported");
  }
  {
    GgufBuilder b = tiny(Shape{});
    b.string("llama.rope.scaling.type", "yarn");
    EXPECT_EQ(info_error(b), "model.gguf: llama.rope.scaling.type 'yarn' is not supported");
  }
  {
    GgufBuilder b = tiny(Shape{});
    b.f32("llama.rope.scaling.factor", 4.0f);
    EXPECT_EQ(info_error(b),
              "model.gguf: llama.rope.scaling.factor 4 (rope scaling) is not supported");
  }
  {
    GgufBuilder b = tiny(Shape{});
    b.u32("llama.expert_count", 8);
    EXPECT_EQ(info_error(b),
              "model.gguf: llama.expert_count 8: mixtures of experts are not supported");
  }
  {
    GgufBuilder b = tiny(Shape{});
    b.u32("llama.vocab_size", 7);
    EXPECT_EQ(info_error(b),
              "model.gguf: llama.vocab_size is 7 but tokenizer.ggml.tokens holds 6 tokens");
  }
  {
    GgufBuilder b = tiny(Shape{});
    b.u32("llama.attention.key_length", 8);
    EXPECT_EQ(info_error(b),
              "model.gguf: llama.attention.key_length is 8, not embedding_length / head_count = "
              "4");
  }
  {
    Shape s;
    s.layers = 0;
    GgufBuilder b = tiny(s);
    EXPECT_EQ(info_error(b), "model.gguf: llama.block_count: 0 is out of range (1 to 16777216)");
  }
}

TEST(GgufModelInfo, MissingKeysAreNamed) {
  GgufBuilder b;
  b.string("general.architecture", "llama");
  b.u32("llama.embedding_length", 8);
  EXPECT_EQ(info_error(b), "model.gguf: llama.feed_forward_length: not in the file's metadata");
  GgufBuilder none;
  EXPECT_EQ(info_error(none), "model.gguf: general.architecture: not in the file's metadata");
}

TEST(GgufModelInfo, TensorErrorsNameTheTensor) {
  {
    GgufBuilder b = tiny(Shape{});
    tensor_named(b, "blk.1.ffn_up.weight")->dims = {12, 8};
    EXPECT_EQ(info_error(b),
              "model.gguf: tensor 'blk.1.ffn_up.weight' has shape 12 x 8, expected 8 x 12");
  }
  {
    GgufBuilder b = tiny(Shape{});
    tensor_named(b, "output_norm.weight")->dims = {8, 1, 2};
    tensor_named(b, "output_norm.weight")->data.resize(64);
    EXPECT_EQ(info_error(b),
              "model.gguf: tensor 'output_norm.weight' has shape 8 x 1 x 2, expected 8");
  }
  {
    Shape s;
    s.dim = 256;
    s.heads = 2;
    GgufBuilder b = tiny(s);
    GgufBuilder::Tensor* out = tensor_named(b, "output.weight");
    out->type = 14;  // Q6_K
    out->data.assign(210 * 6, 0);
    EXPECT_EQ(info_error(b),
              "model.gguf: tensor 'output.weight' is Q6_K; llmcu computes with F32, F16, Q8_0 "
              "and Q4_0");
  }
  {
    GgufBuilder b = tiny(Shape{});
    GgufBuilder::Tensor* norm = tensor_named(b, "blk.0.ffn_norm.weight");
    norm->type = 1;  // F16
    norm->data.resize(16);
    EXPECT_EQ(info_error(b),
              "model.gguf: tensor 'blk.0.ffn_norm.weight' is F16; norms and biases must be F32");
  }
  {
    GgufBuilder b = tiny(Shape{});
    b.tensors().erase(b.tensors().begin() + 5);  // blk.0.attn_k.weight
    EXPECT_EQ(info_error(b), "model.gguf: tensor 'blk.0.attn_k.weight' is missing");
  }
  {
    GgufBuilder b = tiny(Shape{});
    b.f32_tensor("blk.2.attn_q.weight", {8, 8});  // a layer past block_count
    EXPECT_EQ(info_error(b),
              "model.gguf: tensor 'blk.2.attn_q.weight' is not part of a llama/qwen2 model that "
              "llmcu computes");
  }
  {
    GgufBuilder b = tiny(Shape{});
    b.f32_tensor("rope_freqs.weight", {2});
    EXPECT_EQ(info_error(b),
              "model.gguf: tensor 'rope_freqs.weight' (rope frequency factors) is not supported");
  }
  {
    GgufBuilder b = tiny(Shape{});
    b.f32_tensor("blk.01.attn_q.weight", {8, 8});
    EXPECT_TRUE(info_error(b).find("'blk.01.attn_q.weight' is not part of") != std::string::npos);
  }
  {
    // F32 data that is only 2-byte aligned in memory (a file aligned to 2) is refused.
    GgufBuilder b = tiny(Shape{});
    b.alignment = 2;
    b.u32("general.alignment", 2);
    b.build();  // learn where the data section starts
    const uint64_t base = b.data_offset();
    tensor_named(b, "token_embd.weight")->offset = 4096 + (base % 4 == 0 ? 2 : 0);
    EXPECT_EQ(info_error(b),
              "model.gguf: tensor 'token_embd.weight': F32 data is not 4-byte aligned in memory "
              "(alignment 2)");
  }
}

// The fuzz seeds are meant to reach deep: they must be complete models.
TEST(GgufModelInfo, FuzzSeedsAreModels) {
  for (const char* name : {"tiny_llama_f32.gguf", "tiny_qwen2_quantized.gguf"}) {
    SCOPED_TRACE(name);
    auto l = load(test::read_file(std::string(LLMCU_FUZZ_SEEDS_DIR) + "/gguf/" + name), name);
    ASSERT_TRUE(l->info.is_ok()) << l->info.status().message();
  }
  auto l = load(test::read_file(std::string(LLMCU_FUZZ_SEEDS_DIR) + "/gguf/every_type_v2.gguf"));
  EXPECT_TRUE(l->file.is_ok());
}

TEST(GgufModelInfo, Stories260KConversions) {
  for (const char* name :
       {"stories260K-f32.gguf", "stories260K-q8_0.gguf", "stories260K-q8_0-f32down.gguf"}) {
    SCOPED_TRACE(name);
    auto l = load(test::read_file(test::model_path(std::string("gguf/") + name)), name);
    ASSERT_TRUE(l->info.is_ok()) << l->info.status().message();
    const GgufModelInfo& m = *l->info;
    EXPECT_EQ(m.arch, GgufArch::kLlama);
    EXPECT_EQ(m.dim, 64);
    EXPECT_EQ(m.hidden_dim, 172);
    EXPECT_EQ(m.n_layers, 5);
    EXPECT_EQ(m.n_heads, 8);
    EXPECT_EQ(m.n_kv_heads, 4);
    EXPECT_EQ(m.head_size, 8);
    EXPECT_EQ(m.vocab_size, 512);
    EXPECT_EQ(m.context_length, 128);
    EXPECT_EQ(m.rope_dims, 8);
    EXPECT_EQ(m.rope_theta, 10000.0f);
    EXPECT_EQ(m.rms_eps, 1e-5f);
    EXPECT_FALSE(m.tied_embeddings);  // the converter writes output.weight as a copy
    EXPECT_FALSE(m.qkv_bias);
  }
}

}  // namespace
}  // namespace llmcu
