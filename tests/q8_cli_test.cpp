// llmcu quantize and llmcu eval, end to end.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "test_support.h"

namespace llmcu::test {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "llmcu_q8_cli_XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

TEST(Q8Cli, QuantizeWritesWhatExportPyWritesAndLeavesNoTemporaryFiles) {
  TempDir dir;
  const std::string out = (dir.path / "q8.bin").string();
  CommandResult r =
      run_cli("quantize " + shell_quote(model_path("stories260K.bin")) + " " + shell_quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("group size 4: the largest power of two up to 64 that divides both dim 64 "
                       "and hidden_dim 172"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(read_file(out), read_file(model_path("stories260K_q8.bin")));

  r = run_cli("quantize " + shell_quote(model_path("stories260K.bin")) + " " +
              shell_quote((dir.path / "bad.bin").string()) + " --group-size 64");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("group size 64 does not divide hidden_dim 172, the row length of w2"),
            std::string::npos)
      << r.err;
  r = run_cli("quantize " + shell_quote(model_path("stories260K_q8.bin")) + " " +
              shell_quote((dir.path / "again.bin").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("already int8"), std::string::npos) << r.err;
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);  // only q8.bin
}

TEST(Q8Cli, EvalPrintsPerplexityAndWritesLogits) {
  TempDir dir;
  const std::string logits = (dir.path / "logits.f32").string();
  CommandResult r =
      run_cli("eval " + shell_quote(model_path("stories260K_q8.bin")) +
              " --tokens \"1 403 407 261 378 432\" --logits-out " + shell_quote(logits));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("tokens:      6 (5 scored, 1 window of up to 512 positions)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("perplexity:  "), std::string::npos);
  // The rows are runq.c's golden rows, within the int8 kernels' rounding.
  const std::vector<float> got = read_f32(logits);
  ASSERT_EQ(got.size(), 6u * 512u);
  const std::vector<float> golden = read_f32(shared_dir() + "/golden/logits_q8_0.f32");
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], golden[i], 0.3f) << i;

  r = run_cli("eval " + shell_quote(model_path("stories260K.bin")) + " -z " +
              shell_quote(model_path("tok512.bin")) + " --text " +
              shell_quote(std::string(LLMCU_TEST_DATA_DIR) + "/tinystories_eval.txt"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 windows of up to 512 positions"), std::string::npos) << r.out;

  r = run_cli("eval " + shell_quote(model_path("stories260K.bin")));
  EXPECT_EQ(r.exit_code, 2);
  r = run_cli("eval " + shell_quote(model_path("stories260K.bin")) + " --tokens \"1 2 x\"");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("'x' is not a token id"), std::string::npos) << r.err;
  r = run_cli("eval " + shell_quote(model_path("stories260K.bin")) + " --tokens \"1 2 900\"");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("token 2 is 900, outside the vocabulary [0, 512)"), std::string::npos)
      << r.err;
}

TEST(Q8Cli, InspectShowsBytesPerTensorAndThePlanOfInt8Files) {
  CommandResult r = run_cli("inspect " + shell_quote(model_path("stories260K_q8.bin")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("format:      llama2.c version 2 (int8 Q8_0)"), std::string::npos);
  EXPECT_NE(r.out.find("group size:  4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("w2               q8/4            5 x (64, 172)       110080 bytes"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("weights (in place)       521728 bytes"), std::string::npos) << r.out;
}

// --format llmcu at group size 64, which does not divide hidden_dim 172 (and
// which llama2.c's version 2 cannot hold): rows padded, the file runs.
TEST(Q8Cli, QuantizeToLlmcuPadsRowsAndTheFileInspectsAndRuns) {
  TempDir dir;
  const std::string out = (dir.path / "s260.llmcu").string();
  CommandResult r = run_cli("quantize " + shell_quote(model_path("stories260K.bin")) + " " +
                            shell_quote(out) + " --format llmcu --group-size 64");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("group size 64; rows of 172 (hidden_dim) are padded to 192"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("-> " + out + ": llmcu version 1, int8 q8, group size 64, 286088 bytes"),
            std::string::npos)
      << r.out;
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);  // no temporary file left

  r = run_cli("inspect " + shell_quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {
           "format:      llmcu version 1",
           "group size:  64",
           "tensors (in place, 11 in the table, each at a 64-byte aligned offset):",
           "  rms_att          f32               1 x (5, 64)         1280        768\n",
           "  w2               q8/64           5 x (64, 172)        65280     162240  192 int8 + "
           "3 scales (padded)\n",
           "  classifier       shared with token_embedding",
           "checksum:    CRC-32 0x",
           "(verified)",
           "weights (in place)       286088 bytes",
           "arena total",
       }) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }

  r = run_cli("run " + shell_quote(out) + " -z " + shell_quote(model_path("tok512.bin")) +
              " -t 0 -n 40 -i \"Once upon a time\"");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("Once upon a time", 0), 0u) << r.out;
  EXPECT_GT(r.out.size(), 60u) << r.out;

  // A flipped byte: the loader's checksum names the file and the problem.
  std::vector<uint8_t> bytes = read_file(out);
  bytes[100000] ^= 1;
  const std::string bad = (dir.path / "bad.llmcu").string();
  FILE* f = fopen(bad.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  fwrite(bytes.data(), 1, bytes.size(), f);
  fclose(f);
  r = run_cli("inspect " + shell_quote(bad));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(bad + ": llmcu format: checksum mismatch"), std::string::npos) << r.err;

  r = run_cli("quantize " + shell_quote(model_path("stories260K.bin")) + " " +
              shell_quote((dir.path / "x.llmcu").string()) + " --format llmcu --group-size 5000");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--group-size must be between 1 and 4096 (got 5000)"), std::string::npos)
      << r.err;
  r = run_cli("quantize " + shell_quote(model_path("stories260K.bin")) + " " +
              shell_quote((dir.path / "x.llmcu").string()) + " --format onnx");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace llmcu::test
