// The llmcu commands on GGUF files: llama.cpp's conversions of stories260K
// from ../shared/models/gguf (the tokenizer comes from the file).
#include <gtest/gtest.h>

#include "test_support.h"

namespace llmcu::test {
namespace {

std::string gguf(const char* name) {
  return shell_quote(shared_dir() + "/models/gguf/" + name);
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

}  // namespace
}  // namespace llmcu::test
