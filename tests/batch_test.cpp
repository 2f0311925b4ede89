// Batched prefill (Transformer::forward_batch): every token of a batch gets
// exactly the numbers forward() gives it, on every weight type, with one
// thread or several, and the KV cache it leaves decodes the same tokens.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "counting_new.h"
#include "llmcu/generator.h"
#include "llmcu/memory_plan.h"
#include "llmcu/model_check.h"
#include "llmcu/transformer.h"
#include "test_internals.h"
#include "test_support.h"
#include "thread_pool.h"

namespace llmcu {
namespace {

constexpr int32_t kSeqLen = 64;
constexpr int32_t kPromptTokens = 45;
constexpr int32_t kDecodeTokens = 6;

std::vector<int32_t> prompt_ids(int32_t vocab) {
  std::vector<int32_t> ids(kPromptTokens, 1);
  for (int32_t i = 1; i < kPromptTokens; ++i)
    ids[static_cast<size_t>(i)] = 3 + (i * 37) % (vocab - 3);
  return ids;
}

// A forward-only session of `batch` over `model`, with its own arena.
struct ForwardSession {
  std::vector<uint8_t> arena;
  Transformer transformer;
};

std::unique_ptr<ForwardSession> open(const Model& model, int32_t batch, Executor* executor) {
  SessionOptions options;
  options.seq_len = kSeqLen;
  options.purpose = SessionPurpose::kForward;
  options.batch = batch;
  Result<MemoryPlan> plan = plan_memory(model, options);
  EXPECT_TRUE(plan.is_ok()) << plan.status().message();
  EXPECT_EQ(plan->batch, batch);
  auto s = std::make_unique<ForwardSession>();
  s->arena.resize(plan->arena_bytes + Arena::kAlignment);
  Result<Transformer> t = Transformer::create(model, *plan, s->arena, executor);
  EXPECT_TRUE(t.is_ok()) << t.status().message();
  if (t.is_ok()) s->transformer = *t;
  return s;
}

// Each position's final hidden state and logits, token by token.
struct Trace {
  std::vector<std::vector<float>> hidden;
  std::vector<std::vector<float>> logits;
};

Trace token_by_token(const Model& model, const std::vector<int32_t>& tokens) {
  auto s = open(model, 1, nullptr);
  Trace trace;
  const auto dim = static_cast<size_t>(model.config.dim);
  const auto vocab = static_cast<size_t>(model.config.vocab_size);
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    const float* logits = s->transformer.forward(tokens[pos], static_cast<int32_t>(pos));
    EXPECT_NE(logits, nullptr);
    if (logits == nullptr) return trace;
    const float* h = s->transformer.hidden_state();
    trace.hidden.emplace_back(h, h + dim);
    trace.logits.emplace_back(logits, logits + vocab);
  }
  return trace;
}

bool same_bits(const float* a, const std::vector<float>& b) {
  return memcmp(a, b.data(), b.size() * sizeof(float)) == 0;
}

// Feeds the prompt in batches of `batch`, then decodes token by token, and
// checks every hidden state and logit against `want` bit for bit.
void expect_batches_match(const Model& model, const std::vector<int32_t>& tokens, const Trace& want,
                          int32_t batch, Executor* executor) {
  SCOPED_TRACE("batch " + std::to_string(batch) + ", " +
               std::to_string(executor != nullptr ? executor->concurrency() : 1) + " thread(s)");
  auto s = open(model, batch, executor);
  Transformer& t = s->transformer;
  int32_t pos = 0;
  while (pos < kPromptTokens) {
    const int32_t n = std::min(batch, kPromptTokens - pos);
    const float* logits = t.forward_batch(&tokens[static_cast<size_t>(pos)], n, pos);
    ASSERT_NE(logits, nullptr) << pos;
    EXPECT_TRUE(check_batch_finite(t, logits, pos, n).is_ok());
    for (int32_t i = 0; i < n; ++i) {
      ASSERT_TRUE(same_bits(t.hidden_state(i), want.hidden[static_cast<size_t>(pos + i)]))
          << "hidden state at position " << pos + i;
    }
    ASSERT_TRUE(same_bits(logits, want.logits[static_cast<size_t>(pos + n - 1)]))
        << "logits at position " << pos + n - 1;
    pos += n;
  }
  // The cache the batches wrote is the cache token by token wrote.
  for (; pos < static_cast<int32_t>(tokens.size()); ++pos) {
    const float* logits = t.forward(tokens[static_cast<size_t>(pos)], pos);
    ASSERT_NE(logits, nullptr);
    ASSERT_TRUE(same_bits(logits, want.logits[static_cast<size_t>(pos)])) << "decode at " << pos;
  }
}

void expect_batching_exact(const Model& model) {
  std::vector<int32_t> tokens = prompt_ids(model.config.vocab_size);
  for (int32_t i = 0; i < kDecodeTokens; ++i) tokens.push_back(3 + i);
  const Trace want = token_by_token(model, tokens);
  ASSERT_EQ(want.logits.size(), tokens.size());
  host::ThreadPool pool(2);
  for (const int32_t batch : {2, 7, 16, kPromptTokens}) {
    expect_batches_match(model, tokens, want, batch, nullptr);
    expect_batches_match(model, tokens, want, batch, &pool);
  }
}

std::unique_ptr<test::FileModel> shared_model(const std::string& name) {
  auto m = test::load_file_model(test::model_path(name));
  EXPECT_TRUE(m->ok) << name;
  return m;
}

// A file the CLI writes (quantize, gen-random), loaded from memory.
std::unique_ptr<test::FileModel> cli_model(const std::string& name, const std::string& args) {
  const std::string out = testing::TempDir() + "/llmcu_batch_" + std::to_string(getpid()) + name;
  const test::CommandResult r = test::run_cli(args + " " + test::shell_quote(out));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<uint8_t> bytes = test::read_file(out);
  unlink(out.c_str());
  auto m = test::load_bytes_model(std::move(bytes), name.c_str());
  EXPECT_TRUE(m->ok) << name;
  return m;
}

TEST(Batch, Llama2cFp32) {
  expect_batching_exact(shared_model("stories260K.bin")->model);
}
TEST(Batch, Llama2cInt8) {
  expect_batching_exact(shared_model("stories260K_q8.bin")->model);
}
TEST(Batch, GgufF32) {
  expect_batching_exact(shared_model("gguf/stories260K-f32.gguf")->model);
}
// Q8_0 rows, and F16 ffn_down (172 values are not whole blocks).
TEST(Batch, GgufQ8_0AndF16) {
  expect_batching_exact(shared_model("gguf/stories260K-q8_0.gguf")->model);
}

TEST(Batch, GgufQ4_0) {
  auto m = cli_model("q4_0.gguf",
                     "gen-random --shape 64,192,2,8,2,512,64 --format gguf "
                     "--type q4_0 --tied no --seed 3");
  expect_batching_exact(m->model);
}

// qwen2: q/k/v biases and the halves rotary layout.
TEST(Batch, GgufQwen2Biases) {
  auto m = cli_model("qwen2.gguf",
                     "gen-random --shape 64,172,2,8,2,512,64 --format gguf "
                     "--arch qwen2 --type q8_0 --seed 4");
  expect_batching_exact(m->model);
}

// The build's matmul_f32 gives every row of every token the bits its
// matvec_f32 gives, on odd sizes and row ranges.
TEST(Batch, MatmulF32IsTheMatvecOfEachToken) {
  using K = kernels::Active;
  for (const int32_t cols : {1, 7, 16, 17, 64, 100, 288, 300, 385, 768}) {
    for (const int32_t n : {1, 2, 3, 5}) {
      const int32_t rows = 13;
      const std::vector<float> w = test::random_floats(static_cast<size_t>(rows) * cols, 7u + cols);
      const size_t x_stride = static_cast<size_t>(cols) + 3;
      const std::vector<float> x = test::random_floats(x_stride * n, 11u + cols);
      const size_t out_stride = rows + 5;
      for (const auto& [begin, end] : {std::pair{0, rows}, std::pair{1, 6}, std::pair{3, 12}}) {
        std::vector<float> got(out_stride * n, -1.0f), want(out_stride * n, -1.0f);
        K::matmul_f32(got.data(), out_stride, w.data(), x.data(), x_stride, n, cols, begin, end);
        for (int32_t t = 0; t < n; ++t) {
          K::matvec_f32(want.data() + t * out_stride, w.data(), x.data() + t * x_stride, cols,
                        begin, end);
        }
        ASSERT_EQ(memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0)
            << K::kName << ": cols " << cols << ", " << n << " tokens, rows " << begin << "-"
            << end;
      }
    }
  }
}

TEST(Batch, OutOfRangeCallsReturnNull) {
  auto m = shared_model("stories260K.bin");
  auto s = open(m->model, 8, nullptr);
  Transformer& t = s->transformer;
  const std::vector<int32_t> ids = prompt_ids(m->model.config.vocab_size);
  EXPECT_EQ(t.forward_batch(ids.data(), 0, 0), nullptr);
  EXPECT_EQ(t.forward_batch(ids.data(), 9, 0), nullptr);            // more than the batch
  EXPECT_EQ(t.forward_batch(ids.data(), 8, kSeqLen - 7), nullptr);  // past the context
  EXPECT_EQ(t.forward_batch(ids.data(), 8, -1), nullptr);
  const int32_t bad[] = {1, 2, 512};
  EXPECT_EQ(t.forward_batch(bad, 3, 0), nullptr);
  EXPECT_NE(t.forward_batch(ids.data(), 8, kSeqLen - 8), nullptr);  // the last 8 positions
}

TEST(Batch, ThePlanResolvesAndCountsTheBatch) {
  auto m = shared_model("stories260K.bin");
  const ModelConfig& c = m->model.config;
  auto plan_of = [&](int32_t seq_len, int32_t batch) {
    SessionOptions options;
    options.seq_len = seq_len;
    options.batch = batch;
    return *plan_memory(m->model, options);
  };
  EXPECT_EQ(plan_of(0, 0).batch, 1);
  EXPECT_EQ(plan_of(0, -5).batch, 1);
  EXPECT_EQ(plan_of(0, 64).batch, 64);
  EXPECT_EQ(plan_of(32, 64).batch, 32);  // never more than the context
  EXPECT_EQ(plan_of(0, INT32_MAX).batch, c.seq_len);
  // Each token of a batch adds the same rows: x, xb, xb2, q, hb, hb2, keys, angles.
  const size_t one = plan_of(0, 1).activations, two = plan_of(0, 2).activations;
  const size_t row =
      static_cast<size_t>(4 * c.dim + 2 * c.hidden_dim + c.kv_dim() + c.head_size()) *
      sizeof(float);
  EXPECT_GE(two - one, row - 16 * Arena::kAlignment);
  EXPECT_LE(plan_of(0, 33).activations - one, 32 * row + 16 * Arena::kAlignment);
  EXPECT_EQ(plan_of(0, 64).arena_bytes - plan_of(0, 1).arena_bytes,
            plan_of(0, 64).activations - one);

  // A plan whose batch was edited is not this model's plan any more.
  MemoryPlan edited = plan_of(0, 8);
  edited.batch = 16;
  std::vector<uint8_t> arena(edited.arena_bytes + Arena::kAlignment);
  EXPECT_FALSE(Transformer::create(m->model, edited, arena, nullptr).is_ok());
}

// The generator feeds prompts in batches: the same text as one at a time,
// greedy and sampled, and still no allocation while generating.
TEST(Batch, GenerationsMatchTokenByToken) {
  auto m = shared_model("stories260K.bin");
  const std::vector<uint8_t> tokenizer = test::read_file(test::model_path("tok512.bin"));
  auto generate = [&](int32_t batch, float temperature) {
    SessionOptions options;
    options.batch = batch;
    const MemoryPlan plan = *plan_memory(m->model, options);
    std::vector<uint8_t> arena(plan.arena_bytes + Arena::kAlignment);
    Result<Generator> g =
        Generator::create(m->model, tokenizer, "tok512.bin", plan, arena, nullptr);
    EXPECT_TRUE(g.is_ok()) << g.status().message();
    // A fixed buffer: appending to a string would count as an allocation.
    struct Text {
      char bytes[4096];
      size_t size = 0;
    } text;
    GenerateOptions go;
    go.prompt = "Once upon a time, there was a little girl named Lily. She loved to play outside";
    go.steps = 90;
    go.temperature = temperature;
    go.seed = 42;
    const long before = test::heap_allocations();
    Result<GenerationStats> stats = g->generate(
        go,
        [](void* user, std::string_view piece) {
          auto* t = static_cast<Text*>(user);
          const size_t n = std::min(piece.size(), sizeof(t->bytes) - t->size);
          memcpy(t->bytes + t->size, piece.data(), n);
          t->size += n;
        },
        &text);
    EXPECT_EQ(test::heap_allocations() - before, 0) << "heap allocations during a generation";
    EXPECT_TRUE(stats.is_ok());
    EXPECT_EQ(stats->positions, 90);
    return std::string(text.bytes, text.size);
  };
  for (const float temperature : {0.0f, 0.9f}) {
    const std::string want = generate(1, temperature);
    for (const int32_t batch : {2, 5, 64, 512}) {
      EXPECT_EQ(generate(batch, temperature), want) << "batch " << batch;
    }
  }
}

}  // namespace
}  // namespace llmcu
