// The llmcu command as a user runs it: golden text on standard output,
// statistics on standard error, exit status 2 for wrong usage and 1 for
// unusable files.
#include <gtest/gtest.h>

#include <fstream>

#include "test_internals.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

std::string models() {
  return shared_dir() + "/models";
}

TEST(Cli, RunMatchesEveryGoldenCase) {
  // Keep the document alive: a range-for over golden_cases()["generate"] would
  // iterate a part of a temporary destroyed before the loop (ASan: use after free).
  const nlohmann::json cases = golden_cases();
  for (const auto& c : cases["generate"]) {
    std::string args = "run " + shell_quote(models() + "/" + c["model"].get<std::string>()) +
                       " -z " + shell_quote(models() + "/" + c["tokenizer"].get<std::string>()) +
                       " -t " + std::to_string(c["temperature"].get<double>()) + " -p " +
                       std::to_string(c["topp"].get<double>()) + " -s " +
                       std::to_string(c["seed"].get<uint64_t>()) + " -n " +
                       std::to_string(c["steps"].get<int>()) + " -i " +
                       shell_quote(c["prompt"].get<std::string>());
    CommandResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, c["expected"].get<std::string>() + "\n") << args;
    EXPECT_NE(r.err.find("achieved tok/s: "), std::string::npos);
  }
}

// `memory: arena N bytes` from a run's statistics.
std::string arena_line(const std::string& err) {
  const size_t at = err.find("memory: arena ");
  return at == std::string::npos ? "" : err.substr(at, err.find(" bytes", at) - at);
}

TEST(Cli, AContextPastTheModelsPlansTheModelsSession) {
  const std::string run = "run " + shell_quote(models() + "/stories260K.bin") + " -z " +
                          shell_quote(models() + "/tok512.bin") + " -t 0 -n 8 -i Once";
  const CommandResult plain = run_cli(run);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_FALSE(arena_line(plain.err).empty()) << plain.err;
  for (const char* seq_len : {"5000", "100000000"}) {
    const CommandResult r = run_cli(run + " --seq-len " + seq_len);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, plain.out);
    EXPECT_EQ(arena_line(r.err), arena_line(plain.err)) << seq_len;
  }
}

TEST(Cli, DefaultModelComesFromLlmcuModels) {
  const std::string cmd = "env LLMCU_MODELS=" + shell_quote(models()) + " " +
                          shell_quote(LLMCU_CLI_PATH) +
                          " run -t 0 -n 200 -i 'Once upon a time' 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0);
  EXPECT_EQ(out, golden_cases()["generate"][0]["expected"].get<std::string>() + "\n");
}

TEST(Cli, MissingDefaultModelInLlmcuModelsSaysHowToFixIt) {
  const std::string cmd =
      "env LLMCU_MODELS=/nonexistent " + shell_quote(LLMCU_CLI_PATH) + " run 2>&1 >/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string err;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) err.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(err.find("LLMCU_MODELS"), std::string::npos) << err;
}

TEST(Cli, EncodePrintsIds) {
  CommandResult r = run_cli("encode -z " + shell_quote(models() + "/tok512.bin") +
                            " 'Once upon a time, there was a little girl named Lily.'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1 403 407 261 378 432 383 286 261 376 298 315 421 395 317 426\n");
  r = run_cli("encode --no-bos --eos -z " + shell_quote(models() + "/tok512.bin") + " ''");
  EXPECT_EQ(r.out, "2\n");
}

TEST(Cli, InspectShowsConfigAndPlan) {
  CommandResult r = run_cli("inspect " + shell_quote(models() + "/stories260K.bin"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dim 64, hidden_dim 172, n_layers 5, n_heads 8, n_kv_heads 4"),
            std::string::npos);
  EXPECT_NE(r.out.find("kv cache                 655360 bytes"), std::string::npos) << r.out;
  // The part that stays in internal RAM on the ESP32-S3, 49,280 bytes of it
  // prompt work for 2,048-byte prompts (x86 builds hold one more key row,
  // 128 bytes, for the tiled key cache).
  const std::string hot = kernels::Active::kTiledKeys ? "78592" : "78464";
  EXPECT_NE(r.out.find("arena without kv          " + hot + " bytes"), std::string::npos) << r.out;
}

TEST(Cli, PlanFindsTheLongestContextForABudget) {
  CommandResult r = run_cli("plan " + shell_quote(models() + "/stories260K.bin") + " --ram 256K");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("does NOT fit"), std::string::npos);
  EXPECT_NE(r.out.find("longest seq_len that fits: "), std::string::npos);
}

TEST(Cli, WrongUsageExitsWith2) {
  const std::string model = shell_quote(models() + "/stories260K.bin");
  for (const std::string& args : std::vector<std::string>{
           "", "run " + model + " -t -1", "run " + model + " -p 1.5", "run " + model + " -n -3",
           "run " + model + " -t", "run " + model + " --bogus", "run " + model + " -t abc",
           "frobnicate", "plan " + model + " --ram lots", "run " + model + " --generations 0",
           "run " + model + " -t nan", "run " + model + " -p nan"}) {
    CommandResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_FALSE(r.err.empty()) << args;
  }
}

TEST(Cli, AFullStandardOutputIsAnError) {
  const std::string cmd = shell_quote(LLMCU_CLI_PATH) + " run " +
                          shell_quote(models() + "/stories260K.bin") + " -z " +
                          shell_quote(models() + "/tok512.bin") + " -n 8 >/dev/full 2>/dev/null";
  const int status = system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 1);
}

TEST(Cli, UnusableFilesExitWith1AndNameTheFile) {
  char dir[] = "/tmp/llmcu_cli_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string empty = std::string(dir) + "/empty.bin";
  std::ofstream(empty).close();
  const std::string tok = " -z " + shell_quote(models() + "/tok512.bin");
  for (const std::string& path : {empty, std::string(dir), std::string("/dev/zero"),
                                  std::string(dir) + "/missing.bin", models() + "/tok512.bin"}) {
    CommandResult r = run_cli("run " + shell_quote(path) + tok + " -n 4");
    EXPECT_EQ(r.exit_code, 1) << path << "\n" << r.err;
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
  }
  // A tokenizer whose size does not match the model's vocabulary.
  CommandResult r = run_cli("run " + shell_quote(models() + "/stories260K.bin") + " -z " +
                            shell_quote(models() + "/tokenizer.bin") + " -n 4");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("vocab_size 512"), std::string::npos) << r.err;
  std::remove(empty.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace llmcu::test
