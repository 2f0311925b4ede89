// The llmcu commands on GGUF files: llama.cpp's conversions of stories260K
// from ../shared/models/gguf (the tokenizer comes from the file).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "llmcu/container.h"
#include "llmcu/gguf.h"
#include "llmcu/model.h"
#include "llmcu/model_check.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

std::string gguf_path(const char* name) {
  return shared_dir() + "/models/gguf/" + name;
}

std::string gguf(const char* name) {
  return shell_quote(gguf_path(name));
}

std::string temp_path(const std::string& name) {
  return testing::TempDir() + "/llmcu_gguf_" + std::to_string(getpid()) + "_" + name;
}

// "mean nll:    X" of eval's output.
std::string mean_nll(const std::string& out) {
  const size_t at = out.find("mean nll:");
  return at == std::string::npos ? "" : out.substr(at, out.find('\n', at) - at);
}

TEST(CliGguf, InspectShowsTheFileTheTokenizerAndThePlan) {
  const CommandResult r = run_cli("inspect " + gguf("stories260K-q8_0.gguf"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {
           "format:      GGUF",
           "dim 64, hidden_dim 172, n_layers 5, n_heads 8, n_kv_heads 4, vocab_size 512, "
           "seq_len 128",
           "gguf:        version 3, 21 metadata keys, 48 tensors, alignment 32",
           "rope:        adjacent pairs, theta 10000; rms eps 1e-05; q/k/v biases: no",
           "tensor types: F32 11 (2816 bytes) F16 5 (110080 bytes) Q8_0 32 (251872 bytes)",
           "512 tokens, 0 merges, 3 special",
           "special ids: BOS 1, EOS 2",
           "chat template: none in the file",
           "  w2               f16             5 x (64, 172)       110080 bytes",
           "  wq               q8_0             5 x (64, 64)        21760 bytes",
           "  weights (in place)       379168 bytes",
           "  model index ",
           "  RAM (arena + index)",
       }) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
}

TEST(CliGguf, PlanCountsTheModelIndexAgainstTheBudget) {
  CommandResult r = run_cli("plan " + gguf("stories260K-f32.gguf") + " --ram 64K");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("the arena does NOT fit"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("with the model index (6592 bytes): does NOT fit"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("longest seq_len that fits: "), std::string::npos) << r.out;
  r = run_cli("plan " + gguf("stories260K-f32.gguf") + " --ram 1M");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("the arena fits"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("longest seq_len that fits: 128 (model's: 128)"), std::string::npos)
      << r.out;
}

TEST(CliGguf, BenchMeasuresAGgufModel) {
  const CommandResult r = run_cli("bench " + gguf("stories260K-q8_0.gguf") +
                                  " --prompt-tokens 4 --gen-tokens 16 --repeat 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("decode"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stories260K-q8_0.gguf"), std::string::npos) << r.out;
}

TEST(CliGguf, EvalOfTheF32ConversionIsLlama2csModels) {
  const std::string text = temp_path("text.txt");
  {
    std::ofstream f(text);
    f << "Once upon a time, there was a little girl named Lily.\n";
  }
  const CommandResult g =
      run_cli("eval " + gguf("stories260K-f32.gguf") + " --text " + shell_quote(text));
  ASSERT_EQ(g.exit_code, 0) << g.err;
  const std::string models = shared_dir() + "/models/";
  const CommandResult b =
      run_cli("eval " + shell_quote(models + "stories260K.bin") + " -z " +
              shell_quote(models + "tok512.bin") + " --text " + shell_quote(text));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  // The same tokens from the file's own vocabulary, the same weights: the same perplexity.
  EXPECT_NE(g.out.find("tokens:      17 (16 scored"), std::string::npos) << g.out;
  EXPECT_FALSE(mean_nll(g.out).empty());
  EXPECT_EQ(mean_nll(g.out), mean_nll(b.out));
  // A quantized file scores the ids given.
  const CommandResult q =
      run_cli("eval " + gguf("stories260K-q8_0.gguf") + " --tokens '1 403 407 261 378'");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_NE(q.out.find("perplexity:"), std::string::npos) << q.out;
  unlink(text.c_str());
}

TEST(CliGguf, PackWritesAContainerWithoutATokenizer) {
  const std::string out = temp_path("q8_0.llmcu");
  CommandResult r = run_cli("pack " + gguf("stories260K-q8_0.gguf") + " " + shell_quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("tokenizer  none: the model's own vocabulary (512 tokens)"),
            std::string::npos)
      << r.out;
  // What the device does with it: open, verify, load the model in place with its index.
  const std::vector<uint8_t> bytes = read_file(out);
  Result<Container> c = open_container(bytes, out.c_str(), /*verify_checksums=*/true);
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_TRUE(c->tokenizer.empty());
  EXPECT_EQ(std::vector<uint8_t>(c->model.begin(), c->model.end()),
            read_file(gguf_path("stories260K-q8_0.gguf")));
  Result<size_t> need = model_memory_bytes(c->model, "packed");
  ASSERT_TRUE(need.is_ok()) << need.status().message();
  std::vector<uint8_t> memory(*need);
  Result<Model> m = load_model(c->model, "packed", memory);
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  // Tensor data lands on the container's 64-byte boundary.
  EXPECT_EQ((c->header.model_offset + m->gguf->data_offset()) % kContainerAlignment, 0u);

  // A GGUF model with a tokenizer file, a llama2.c one without: wrong usage, nothing written.
  unlink(out.c_str());
  const std::string models = shared_dir() + "/models/";
  r = run_cli("pack " + gguf("stories260K-q8_0.gguf") + " " + shell_quote(models + "tok512.bin") +
              " " + shell_quote(out));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("brings its own vocabulary"), std::string::npos) << r.err;
  r = run_cli("pack " + shell_quote(models + "stories260K.bin") + " " + shell_quote(out));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("needs its tokenizer"), std::string::npos) << r.err;
  EXPECT_NE(access(out.c_str(), F_OK), 0);
}

TEST(CliGguf, GenRandomWritesGgufOfEitherArchitectureAndType) {
  const std::string shape = " --shape 64,172,2,8,2,512,64";
  const std::string qwen2 = temp_path("qwen2.gguf");
  CommandResult r = run_cli("gen-random " + shell_quote(qwen2) + shape +
                            " --format gguf --arch qwen2 --type q8_0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("GGUF qwen2 Q8_0, dim 64, hidden 172, 2 layers, 8 heads, 2 kv heads, "
                       "vocab 512, context 64, rope theta 1e+06, rms eps 1e-06, tied classifier"),
            std::string::npos)
      << r.out;
  // 172-value rows cannot be Q8_0 blocks: F16, as quantize --format gguf does.
  EXPECT_NE(r.out.find("blk.1.ffn_down.weight: F16 (rows of 172 values)"), std::string::npos);
  r = run_cli("inspect " + shell_quote(qwen2));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("rope:        halves (neox), theta 1e+06; rms eps 1e-06; q/k/v biases: yes"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("tokenizer:   SentencePiece BPE (GGUF llama), 512 tokens"),
            std::string::npos)
      << r.out;
  r = run_cli("run " + shell_quote(qwen2) + " -t 0 -n 16 -i Once");
  EXPECT_EQ(r.exit_code, 0) << r.err;

  // Same seed, same bytes; another seed, other bytes; llama with a separate classifier.
  const std::string again = temp_path("qwen2b.gguf"), llama = temp_path("llama.gguf");
  ASSERT_EQ(run_cli("gen-random " + shell_quote(again) + shape +
                    " --format gguf --arch qwen2 --type q8_0")
                .exit_code,
            0);
  EXPECT_EQ(read_file(qwen2), read_file(again));
  r = run_cli("gen-random " + shell_quote(llama) + shape +
              " --format gguf --type q4_0 --tied no --seed 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("GGUF llama Q4_0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rope theta 10000, rms eps 1e-05, separate classifier"), std::string::npos)
      << r.out;
  r = run_cli("inspect " + shell_quote(llama));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Q4_0 matrices, the classifier Q8_0 (llama.cpp gives it Q6_K or Q8_0), ffn_down F16.
  EXPECT_NE(r.out.find("tensor types: F32 5 (1280 bytes) F16 2 (44032 bytes) Q8_0 1 (34816 "
                       "bytes) Q4_0 13"),
            std::string::npos)
      << r.out;
  for (const std::string& f : {qwen2, again, llama}) unlink(f.c_str());
}

TEST(CliGguf, GenRandomRefusesWhatItCannotWrite) {
  const std::string out = temp_path("refused.gguf");
  for (const std::string& args : {
           std::string(" --shape smollm2-135m"),                     // its eps and theta need GGUF
           std::string(" --shape 64,172,2,8,2,512,64 --type q8_0"),  // a llama2.c file is fp32
           std::string(" --shape 64,172,2,8,2,512,64 --format gguf --type q5_1"),
           std::string(" --shape 64,172,2,8,2,512,64 --format gguf --arch mistral"),
       }) {
    const CommandResult r = run_cli("gen-random " + shell_quote(out) + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
  }
  // Fewer tokens than the special and byte tokens of the made-up vocabulary.
  const CommandResult r =
      run_cli("gen-random " + shell_quote(out) + " --shape 64,172,2,8,2,200,64 --format gguf");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("vocab_size 200"), std::string::npos) << r.err;
  EXPECT_NE(access(out.c_str(), F_OK), 0);
}

// A GGUF file whose fp16 values or block scales are infinite or NaN is
// refused with the tensor named, as llama2.c files are.
TEST(CliGguf, NonFiniteGgufWeightsAreNamed) {
  const std::vector<uint8_t> good = read_file(gguf_path("stories260K-q8_0.gguf"));
  Result<size_t> need = model_memory_bytes(good, "q8_0");
  ASSERT_TRUE(need.is_ok()) << need.status().message();
  std::vector<uint8_t> memory(*need);
  Result<Model> m = load_model(good, "q8_0", memory);
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  EXPECT_TRUE(check_weights_finite(*m).is_ok());
  // Offsets of layer 1's wq (Q8_0: its third block's scale) and w2 (F16: its 5th value).
  const size_t wq = static_cast<size_t>(m->weights.wq.layer(1) - good.data());
  const size_t w2 = static_cast<size_t>(m->weights.w2.layer(1) - good.data());
  ASSERT_EQ(m->weights.w2.type, WeightType::kF16);
  struct Case {
    size_t at;
    uint16_t half;
    const char* message;
  } cases[] = {{wq + 2 * 34, 0x7c00, "tensor wq, layer 1: block scale 2 is not finite"},
               {wq + 2 * 34, 0xfe00, "tensor wq, layer 1: block scale 2 is not finite"},
               {w2 + 4 * 2, 0xfc00, "tensor w2, layer 1: weight 4 is not finite"}};
  for (const Case& c : cases) {
    std::vector<uint8_t> bad = good;
    bad[c.at] = static_cast<uint8_t>(c.half & 0xff);
    bad[c.at + 1] = static_cast<uint8_t>(c.half >> 8);
    std::vector<uint8_t> bad_memory(*need);
    Result<Model> b = load_model(bad, "bad", bad_memory);
    ASSERT_TRUE(b.is_ok()) << b.status().message();
    const Status s = check_weights_finite(*b);
    EXPECT_FALSE(s.is_ok());
    EXPECT_NE(std::string(s.message()).find(c.message), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace llmcu::test
