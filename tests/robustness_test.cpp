// Hostile input to the core: corrupted checkpoints and tokenizers are refused
// with a message naming the file and the problem; valid-shaped files full of
// NaN or infinity, odd prompts and extreme options generate without crashing.
// Inputs that once crashed a fuzz target are here as well as in
// tests/fuzz_regressions/.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "hostile_inputs.h"
#include "llmcu/generator.h"
#include "llmcu/model_check.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

struct Session {
  std::vector<uint8_t> arena;
  Generator generator;
};

// A session over `model` with plenty of prompt room; fails the test if it cannot be made.
Result<Generator> make_session(const Model& model, const std::vector<uint8_t>& tokenizer,
                               const char* tokenizer_name, std::vector<uint8_t>* arena) {
  SessionOptions options;
  options.max_prompt_bytes = 4096;
  Result<MemoryPlan> plan = plan_memory(model, options);
  if (!plan.is_ok()) return plan.status();
  arena->assign(plan->arena_bytes + Arena::kAlignment, 0);
  return Generator::create(model, tokenizer, tokenizer_name, *plan, *arena, nullptr);
}

struct Pieces {
  std::string text;
  int count = 0;
};
void collect(void* user, std::string_view piece) {
  auto* p = static_cast<Pieces*>(user);
  p->text.append(piece);
  ++p->count;
}

class Robustness : public ::testing::Test {
 protected:
  void SetUp() override {
    model_bytes_ = read_file(model_path("stories260K.bin"));
    tokenizer_bytes_ = read_file(model_path("tok512.bin"));
  }
  std::vector<uint8_t> model_bytes_, tokenizer_bytes_;
};

TEST_F(Robustness, EveryCorruptedModelIsRefusedWithAClearMessage) {
  const std::vector<Corrupted> cases = corrupted_models(model_bytes_);
  EXPECT_GE(cases.size(), 30u);
  for (const Corrupted& c : cases) {
    Result<Model> model = load_model(c.bytes, "stories260K.bin");
    ASSERT_FALSE(model.is_ok()) << c.name << " was accepted";
    const std::string message = model.status().message();
    EXPECT_EQ(message.rfind("stories260K.bin: ", 0), 0u) << c.name << ": " << message;
    EXPECT_GT(message.size(), 30u) << c.name << ": " << message;
    EXPECT_NE(message.find(c.expect), std::string::npos) << c.name << ": " << message;
  }
}

TEST_F(Robustness, EveryCorruptedTokenizerIsRefusedWithAClearMessage) {
  const Model model = *load_model(model_bytes_, "stories260K.bin");
  const std::vector<Corrupted> cases = corrupted_tokenizers(tokenizer_bytes_);
  EXPECT_GE(cases.size(), 12u);
  for (const Corrupted& c : cases) {
    std::vector<uint8_t> arena;
    Result<Generator> g = make_session(model, c.bytes, "tok512.bin", &arena);
    ASSERT_FALSE(g.is_ok()) << c.name << " was accepted";
    const std::string message = g.status().message();
    EXPECT_EQ(message.rfind("tok512.bin: ", 0), 0u) << c.name << ": " << message;
    EXPECT_NE(message.find(c.expect), std::string::npos) << c.name << ": " << message;
  }
}

TEST_F(Robustness, TheLlama2TokenizerDoesNotFitStories260K) {
  const Model model = *load_model(model_bytes_, "stories260K.bin");
  std::vector<uint8_t> arena;
  Result<Generator> g =
      make_session(model, read_file(model_path("tokenizer.bin")), "tokenizer.bin", &arena);
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(std::string(g.status().message()).find("more tokens than the model's vocab_size 512"),
            std::string::npos)
      << g.status().message();
}

// Found by fuzz_tokenizer_loader: a file of two tokens loaded, and encode()
// then emitted EOS (id 2), outside the vocabulary.
TEST(RobustnessRegression, TokenizerNeedsTheThreeSpecialIds) {
  Bytes b;
  b.u32(8);
  for (const char* piece : {"<unk>", "<s>"}) {
    b.f32(0.0f);
    b.i32(static_cast<int32_t>(strlen(piece)));
    b.data.insert(b.data.end(), piece, piece + strlen(piece));
  }
  Result<int32_t> count = Tokenizer::count_tokens(b.data, "two.bin");
  ASSERT_FALSE(count.is_ok());
  EXPECT_NE(std::string(count.status().message()).find("two.bin: holds 2 tokens"),
            std::string::npos)
      << count.status().message();
  std::vector<uint8_t> tables(Tokenizer::table_bytes(2));
  Result<Tokenizer> t = Tokenizer::load(b.data, 2, tables, "two.bin");
  ASSERT_FALSE(t.is_ok());
  EXPECT_NE(std::string(t.status().message()).find("too small"), std::string::npos);
}

// Found by fuzz_encode: an empty std::string_view has a null data(), and
// encode() passed it to memchr (undefined behaviour). GenerateOptions' default
// prompt is such a view.
TEST_F(Robustness, DefaultEmptyPromptIsSafe) {
  const Model model = *load_model(model_bytes_, "stories260K.bin");
  std::vector<uint8_t> arena;
  Result<Generator> g = make_session(model, tokenizer_bytes_, "tok512.bin", &arena);
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  std::vector<int32_t> work(Tokenizer::encode_work_ints(0));
  int32_t n = -1;
  ASSERT_TRUE(g->tokenizer().llama2c().encode(std::string_view(), true, true, work, &n).is_ok());
  EXPECT_EQ(n, 2);
  EXPECT_EQ(Tokenizer::printable(std::string_view()), "");
  GenerateOptions options;  // prompt: std::string_view()
  options.steps = 8;
  options.seed = 3;
  Result<GenerationStats> stats = g->generate(options, nullptr, nullptr);
  ASSERT_TRUE(stats.is_ok()) << stats.status().message();
  EXPECT_EQ(stats->prompt_tokens, 1);
}

// A checkpoint of the right shape whose weights are NaN or infinite, or so
// large that its numbers overflow, loads (its structure is sound) but is
// refused by check_weights_finite, and a generation on it ends with an error
// before any text, never with text computed from NaN.
TEST_F(Robustness, NonFiniteWeightsNeverGenerateText) {
  const float values[] = {std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(), 3.4e38f, 0.0f};
  for (float value : values) {
    for (size_t region : {0, 1, 2}) {
      std::vector<uint8_t> bytes = model_bytes_;
      // 0: the token embedding (also the classifier); 1: the first layer
      // norm; 2: every weight.
      const size_t begin = region == 1 ? 28 + 512 * 64 * 4 : 28;
      const size_t end = region == 0   ? 28 + 512 * 64 * 4
                         : region == 1 ? begin + 64 * 4
                                       : bytes.size();
      for (size_t o = begin; o + 4 <= end; o += 4) memcpy(bytes.data() + o, &value, 4);
      Result<Model> model = load_model(bytes, "broken.bin");
      ASSERT_TRUE(model.is_ok()) << model.status().message();
      const bool finite = std::isfinite(value);
      const Status check = check_weights_finite(*model);
      EXPECT_EQ(check.is_ok(), finite) << value << " " << region << " " << check.message();
      if (!finite) {
        EXPECT_NE(std::string(check.message()).find("is not finite"), std::string::npos);
      }
      std::vector<uint8_t> arena;
      Result<Generator> g = make_session(*model, tokenizer_bytes_, "tok512.bin", &arena);
      ASSERT_TRUE(g.is_ok()) << g.status().message();
      for (float temperature : {0.0f, 1.0f}) {
        GenerateOptions options;
        options.prompt = "Once upon a time";
        options.temperature = temperature;
        options.steps = 24;
        options.seed = 9;
        Pieces pieces;
        Result<GenerationStats> stats = g->generate(options, collect, &pieces);
        if (!finite) {
          ASSERT_FALSE(stats.is_ok()) << value << " " << region;
          EXPECT_NE(std::string(stats.status().message()).find("not finite"), std::string::npos)
              << stats.status().message();
          EXPECT_TRUE(pieces.count == 0 && pieces.text.empty()) << value << " " << region;
        } else if (!stats.is_ok()) {
          // Finite weights whose numbers overflow: refused the same way.
          EXPECT_NE(std::string(stats.status().message()).find("not finite"), std::string::npos)
              << stats.status().message();
        } else {
          EXPECT_LE(stats->positions, 24) << value << " " << region;
        }
      }
    }
  }
}

TEST_F(Robustness, ExtremeOptionsAndOddPromptsGenerateWithoutCrashing) {
  const Model model = *load_model(model_bytes_, "stories260K.bin");
  std::vector<uint8_t> arena;
  Result<Generator> g = make_session(model, tokenizer_bytes_, "tok512.bin", &arena);
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  std::string every_byte;
  for (int b = 1; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  const std::string prompts[] = {"",
                                 every_byte,
                                 std::string("a\0b", 3),
                                 "\xF0\x9F\x98\x80\xE2\x82",
                                 std::string(300, ' '),
                                 "\n\n\n\t"};
  const float temperatures[] = {0.0f, 1e-30f, 1e-6f,
                                2.0f, 1e30f,  std::numeric_limits<float>::infinity()};
  const float topps[] = {0.0f, 1e-9f, 0.5f, 1.0f};
  for (const std::string& prompt : prompts) {
    for (float temperature : temperatures) {
      for (float topp : topps) {
        GenerateOptions options;
        options.prompt = prompt;
        options.temperature = temperature;
        options.topp = topp;
        options.steps = 96;
        options.seed = std::numeric_limits<uint64_t>::max();
        Pieces pieces;
        Result<GenerationStats> stats = g->generate(options, collect, &pieces);
        ASSERT_TRUE(stats.is_ok()) << stats.status().message();
        EXPECT_LE(stats->positions, 96);
      }
    }
  }
  GenerateOptions huge_steps;
  huge_steps.prompt = "Lily";
  huge_steps.steps = std::numeric_limits<int32_t>::max();
  huge_steps.seed = 1;
  Result<GenerationStats> stats = g->generate(huge_steps, nullptr, nullptr);
  ASSERT_TRUE(stats.is_ok());
  EXPECT_LE(stats->positions, 512);
}

TEST_F(Robustness, MisalignedModelBytesAreRefusedOrReadSafely) {
  // An mmap is page-aligned; a caller's buffer might not be. Loading from an
  // odd address must not form misaligned float pointers silently.
  std::vector<uint8_t> shifted(model_bytes_.size() + 1);
  memcpy(shifted.data() + 1, model_bytes_.data(), model_bytes_.size());
  Result<Model> model =
      load_model(std::span<const uint8_t>(shifted.data() + 1, model_bytes_.size()), "odd.bin");
  if (!model.is_ok()) {
    EXPECT_NE(std::string(model.status().message()).find("odd.bin: "), std::string::npos);
    return;
  }
  std::vector<uint8_t> arena;
  Result<Generator> g = make_session(*model, tokenizer_bytes_, "tok512.bin", &arena);
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  GenerateOptions options;
  options.prompt = "Once";
  options.steps = 4;
  options.seed = 1;
  EXPECT_TRUE(g->generate(options, nullptr, nullptr).is_ok());
}

}  // namespace
}  // namespace llmcu::test
