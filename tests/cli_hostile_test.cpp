// The llmcu command under hostile input: every flag with a wrong type, an
// out-of-range or a missing value; directories, devices, FIFOs, empty,
// sparse and corrupted files as model or tokenizer; a memory plan no machine
// has; output paths that cannot be written. Each ends with a clear message on
// standard error and exit status 1 (unusable input) or 2 (wrong usage):
// never a signal, never a sanitizer report, never a partial output file.
// (cli_test.cpp covers the basic cases; this file the rest.)
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "cli_helpers.h"
#include "hostile_inputs.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

bool has_command(const std::string& name) {
  return run_cli(name + " --help").exit_code == 0;
}

TEST(CliHostile, EveryFlagWithABadValueIsWrongUsage) {
  const std::string model = q(models() + "/stories260K.bin");
  const std::string tok = q(models() + "/tok512.bin");
  const std::string run = "run " + model + " -z " + tok + " ";
  std::vector<std::string> cases = {
      // -t: wrong type, negative, missing value
      run + "-t abc", run + "-t -0.5", run + "-t", run + "-t 1x",
      // -p: wrong type, out of [0, 1], missing
      run + "-p abc", run + "-p -0.1", run + "-p 1.01", run + "-p",
      // -s: wrong type, negative, beyond 64 bits, missing
      run + "-s abc", run + "-s -1", run + "-s 99999999999999999999999", run + "-s",
      // -n: wrong type, negative, beyond 32 bits, fraction, missing
      run + "-n abc", run + "-n -1", run + "-n 99999999999", run + "-n 1.5", run + "-n",
      // -i, -z: missing value
      run + "-i", "run " + model + " -z",
      // --generations: zero, negative, wrong type, beyond 32 bits, missing
      run + "--generations 0", run + "--generations -2", run + "--generations x",
      run + "--generations 99999999999", run + "--generations",
      // --seq-len: negative, wrong type, beyond 32 bits, missing
      run + "--seq-len -1", run + "--seq-len ten", run + "--seq-len 99999999999", run + "--seq-len",
      // unknown flags, a second model
      run + "--temperature=hot", run + "--bogus 1", run + model,
      // encode
      "encode", "encode -z " + tok, "encode -z " + tok + " a b",

      // inspect
      "inspect", "inspect " + model + " --seq-len -5", "inspect " + model + " --seq-len x",
      "inspect " + model + " " + model,
      // plan
      "plan " + model, "plan " + model + " --ram", "plan " + model + " --ram ''",
      "plan " + model + " --ram -1", "plan " + model + " --ram 1X", "plan " + model + " --ram 1.5M",
      "plan " + model + " --ram 99999999999999999999", "plan " + model + " --ram 99999999999G",
      "plan " + model + " --ram 1M --seq-len -1", "plan --ram 1M",
      // no command, unknown command
      "", "--bogus", "generate"};
  for (const std::string& args : cases) {
    const CommandResult r = run_cli(args);
    expect_clean_failure(r, 2, args);
    EXPECT_TRUE(r.out.empty() || r.out.find("Usage") != std::string::npos) << args << r.out;
  }
}

TEST(CliHostile, NewerCommandsRefuseBadValues) {
  const std::string model = q(models() + "/stories260K.bin");
  const std::string tok = q(models() + "/tok512.bin");
  const std::string never = "/tmp/llmcu_never_written_" + std::to_string(getpid()) + ".bin";
  std::vector<std::string> cases;
  if (has_command("quantize")) {
    for (const char* flags :
         {"--group-size 0", "--group-size -4", "--group-size x", "--group-size 7",
          "--group-size 99999999999", "--format bogus", "--group-size"}) {
      cases.push_back("quantize " + model + " " + never + " " + flags);
    }
  }
  if (has_command("eval")) {
    for (const char* flags : {"--tokens 'a b'", "--tokens '1 99999'", "--tokens '-5'",
                              "--tokens ''", "--tokens '1 2' --seq-len -1", "--text",
                              "--text /nonexistent.txt", "--tokens '1 2' --text /dev/null", ""}) {
      cases.push_back("eval " + model + " -z " + tok + " " + flags);
    }
  }
  if (has_command("gen-random")) {
    for (const char* flags :
         {"--shape abc", "--shape 0,0,0,0,0,0,0", "--shape 64,172,5,3,4,512,512", "--shape 1,2,3",
          "--shape -64,172,5,8,4,512,512", "--seed -1", ""}) {
      cases.push_back("gen-random " + never + " " + flags);
    }
  }
  if (has_command("pack")) {
    cases.push_back("pack " + model + " " + model + " " + never);
    cases.push_back("pack " + tok + " " + tok + " " + never);
    cases.push_back("pack " + model);
  }
  if (cases.empty()) GTEST_SKIP() << "this build has none of the newer commands";
  for (const std::string& args : cases) {
    const CommandResult r = run_cli(args);
    EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << args << " exit " << r.exit_code;
    expect_clean_failure(r, r.exit_code, args);
  }
  EXPECT_NE(access(never.c_str(), F_OK), 0) << "a failed command wrote " << never;
  unlink(never.c_str());
}

TEST(CliHostile, NonFiniteNumbersAreRefused) {
  const std::string run =
      "run " + q(models() + "/stories260K.bin") + " -z " + q(models() + "/tok512.bin") + " -n 4 ";
  for (const char* flag : {"-t nan", "-t inf", "-p nan", "-t -nan", "-p inf"}) {
    const CommandResult r = run_cli(run + flag);
    EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << flag << " exit " << r.exit_code;
    expect_clean_failure(r, r.exit_code, flag);
    EXPECT_EQ(r.out, "") << flag;
  }
}

TEST(CliHostile, UnusableModelFilesAreRefusedByEveryCommand) {
  TempDir dir;
  const std::string empty = dir.file("empty.bin", {});
  const std::string fifo = dir.path() + "/fifo.bin";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // A sparse 16 GiB file with stories260K's header: the size check must
  // refuse it without reading it.
  const std::string sparse = dir.file("sparse.bin", read_file(models() + "/stories260K.bin"));
  ASSERT_EQ(truncate(sparse.c_str(), 16ll << 30), 0);
  const std::string tok = " -z " + q(models() + "/tok512.bin");
  for (const std::string& path :
       {empty, dir.path(), std::string("/dev/zero"), std::string("/dev/null"), fifo, sparse,
        dir.path() + "/missing.bin", models() + "/tok512.bin"}) {
    std::vector<std::string> commands = {"run " + q(path) + tok + " -n 4",
                                         "plan " + q(path) + " --ram 1M"};
    // inspect describes a tokenizer (cli_robustness_test.cpp).
    if (path != models() + "/tok512.bin") commands.push_back("inspect " + q(path));
    for (const std::string& command : commands) {
      const CommandResult r = run_cli(command);
      expect_clean_failure(r, 1, command);
      EXPECT_NE(r.err.find(path), std::string::npos) << command << "\n" << r.err;
      EXPECT_EQ(r.out, "") << command;
    }
  }
}

TEST(CliHostile, UnusableTokenizerFilesAreRefused) {
  TempDir dir;
  const std::string empty = dir.file("empty.bin", {});
  const std::string fifo = dir.path() + "/fifo.bin";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string model = q(models() + "/stories260K.bin");
  for (const std::string& path :
       {empty, dir.path(), std::string("/dev/zero"), fifo, dir.path() + "/missing.bin",
        models() + "/stories260K.bin", models() + "/tokenizer.bin"}) {
    std::vector<std::string> commands = {"run " + model + " -z " + q(path) + " -n 4"};
    // The Llama 2 tokenizer is a valid tokenizer, just not stories260K's.
    if (path != models() + "/tokenizer.bin") commands.push_back("encode -z " + q(path) + " hello");
    for (const std::string& command : commands) {
      const CommandResult r = run_cli(command);
      expect_clean_failure(r, 1, command);
      EXPECT_NE(r.err.find(path), std::string::npos) << command << "\n" << r.err;
      EXPECT_EQ(r.out, "") << command;
    }
  }
}

TEST(CliHostile, CorruptedModelsAreRefusedNamingTheFile) {
  TempDir dir;
  const std::string tok = " -z " + q(models() + "/tok512.bin");
  for (const Corrupted& c : corrupted_models(read_file(models() + "/stories260K.bin"))) {
    const std::string path = dir.file(c.name + ".bin", c.bytes);
    for (const std::string& command : {"run " + q(path) + tok + " -n 8", "inspect " + q(path)}) {
      const CommandResult r = run_cli(command);
      expect_clean_failure(r, 1, c.name);
      EXPECT_NE(r.err.find("error: " + path + ": "), std::string::npos) << c.name << "\n" << r.err;
      EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.name << "\n" << r.err;
      EXPECT_EQ(r.out, "") << c.name;
    }
  }
}

TEST(CliHostile, CorruptedTokenizersAreRefusedNamingTheFile) {
  TempDir dir;
  const std::string model = q(models() + "/stories260K.bin");
  for (const Corrupted& c : corrupted_tokenizers(read_file(models() + "/tok512.bin"))) {
    const std::string path = dir.file(c.name + ".tok", c.bytes);
    const CommandResult r = run_cli("run " + model + " -z " + q(path) + " -n 8");
    expect_clean_failure(r, 1, c.name);
    EXPECT_NE(r.err.find("error: " + path + ": "), std::string::npos) << c.name << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.name << "\n" << r.err;
    EXPECT_EQ(r.out, "") << c.name;
    // `encode` sizes the vocabulary from the file itself: it may accept a
    // file that has one token more or less, but never crashes.
    const CommandResult e = run_cli("encode -z " + q(path) + " 'Once upon a time'");
    if (e.exit_code != 0) {
      expect_clean_failure(e, 1, "encode " + c.name);
      EXPECT_NE(e.err.find(path), std::string::npos) << c.name << "\n" << e.err;
    }
  }
}

// A valid checkpoint whose memory plan is about a terabyte (60,000 tiny
// layers, a context of a million positions): the arena cannot be allocated,
// and that is an error message, not std::bad_alloc.
TEST(CliHostile, AMemoryPlanNoMachineHasIsAnError) {
  ModelConfig c;
  c.dim = 2;
  c.hidden_dim = 1;
  c.n_layers = 60000;
  c.n_heads = 1;
  c.n_kv_heads = 1;
  c.vocab_size = 3;
  c.seq_len = 1 << 20;
  TempDir dir;
  const std::string path = dir.file("terabyte.bin", make_v0_model(c));
  const std::string tok = dir.file("tok3.bin", make_tokenizer(3));
  const CommandResult inspect = run_cli("inspect " + q(path));
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  std::vector<std::string> commands = {"run " + q(path) + " -z " + q(tok) + " -n 4"};
  if (has_command("eval")) commands.push_back("eval " + q(path) + " --tokens '1 2'");
  for (const std::string& command : commands) {
    const CommandResult r = run_cli(command);
    expect_clean_failure(r, 1, command);
    EXPECT_NE(r.err.find("cannot allocate"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(CliHostile, PromptsLongerThanTheContextPrintWhatFitsOthersRun) {
  const std::string run =
      "run " + q(models() + "/stories260K.bin") + " -z " + q(models() + "/tok512.bin") + " ";
  std::string long_prompt;
  for (int i = 0; i < 40; ++i) long_prompt += "Once upon a time ";
  // As llama2.c: the prompt tokens the 16 positions have room for, printed.
  CommandResult r = run_cli(run + "--seq-len 16 -i " + q(long_prompt));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.back(), '\n');
  EXPECT_EQ(long_prompt.rfind(r.out.substr(0, r.out.size() - 1), 0), 0u) << r.out;
  EXPECT_NE(r.err.find("positions: 16"), std::string::npos) << r.err;
  // Invalid UTF-8, control bytes, an empty prompt and a huge step count run.
  for (const std::string& args :
       {std::string("-i \"$(printf '\\377\\376\\200 \\001\\033[2J')\" -n 16"),
        std::string("-i '' -n 16"), std::string("-n 2147483647 -t 0"),
        std::string("-s 18446744073709551615 -n 8")}) {
    r = run_cli(run + args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.err;
  }
}

// --- Commands that write files: nothing is left behind when they fail. ---

struct Writer {
  std::string name;
  std::string args;  // with OUT where the output path goes
};

std::vector<Writer> writers() {
  const std::string model = q(models() + "/stories260K.bin");
  const std::string tok = q(models() + "/tok512.bin");
  std::vector<Writer> w;
  if (has_command("quantize")) w.push_back({"quantize", "quantize " + model + " OUT"});
  if (has_command("pack")) w.push_back({"pack", "pack " + model + " " + tok + " OUT"});
  if (has_command("eval")) {
    w.push_back(
        {"eval", "eval " + model + " -z " + tok + " --tokens '1 403 407' --logits-out OUT"});
  }
  if (has_command("gen-random")) {
    w.push_back({"gen-random", "gen-random --shape 64,172,5,8,4,512,512 OUT"});
  }
  return w;
}

std::string with_out(const std::string& args, const std::string& out) {
  const size_t at = args.find("OUT");
  return args.substr(0, at) + q(out) + args.substr(at + 3);
}

TEST(CliHostile, OutputPathsThatCannotBeWrittenLeaveNothing) {
  const std::vector<Writer> all = writers();
  if (all.empty()) GTEST_SKIP() << "no command of this build writes files";
  for (const Writer& w : all) {
    TempDir dir;
    mkdir((dir.path() + "/sub").c_str(), 0755);
    for (const std::string& out : {dir.path() + "/missing/out.bin", dir.path() + "/sub",
                                   std::string("/proc/llmcu_cannot_create.bin")}) {
      const CommandResult r = run_cli(with_out(w.args, out));
      expect_clean_failure(r, 1, w.name + " -> " + out);
      EXPECT_NE(r.err.find(out), std::string::npos) << w.name << "\n" << r.err;
    }
    EXPECT_EQ(dir.listing(), std::vector<std::string>{"sub"}) << w.name;
  }
}

TEST(CliHostile, AWriteThatFailsHalfwayLeavesNoPartialFile) {
  const std::vector<Writer> all = writers();
  if (all.empty()) GTEST_SKIP() << "no command of this build writes files";
  for (const Writer& w : all) {
    TempDir dir;
    const std::string out = dir.path() + "/out.bin";
    // Files may grow to 4 KiB: the write fails with EFBIG part way through
    // (SIGXFSZ is ignored, so the process sees the error instead of dying).
    const std::string cmd =
        "sh -c " +
        q("trap '' XFSZ; ulimit -f 4; exec " + q(LLMCU_CLI_PATH) + " " + with_out(w.args, out)) +
        " 2>&1";
    FILE* pipe = popen(cmd.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string err;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) err.append(buffer, n);
    const int status = pclose(pipe);
    ASSERT_TRUE(WIFEXITED(status)) << w.name << " died of a signal\n" << err;
    EXPECT_EQ(WEXITSTATUS(status), 1) << w.name << "\n" << err;
    EXPECT_EQ(dir.listing(), std::vector<std::string>{}) << w.name << " left a partial file";
  }
}

TEST(CliHostile, AFailedWriteKeepsTheOldOutput) {
  const std::vector<Writer> all = writers();
  if (all.empty()) GTEST_SKIP() << "no command of this build writes files";
  TempDir dir;
  const std::string broken = dir.file("broken.bin", {1, 2, 3});
  for (const Writer& w : all) {
    const std::string out = dir.file("old.bin", {'o', 'l', 'd'});
    std::string args = w.args;
    const std::string model = q(models() + "/stories260K.bin");
    if (args.find(model) == std::string::npos) continue;  // reads no model
    args.replace(args.find(model), model.size(), q(broken));
    const CommandResult r = run_cli(with_out(args, out));
    expect_clean_failure(r, 1, w.name);
    EXPECT_EQ(read_file(out), (std::vector<uint8_t>{'o', 'l', 'd'})) << w.name;
  }
}

}  // namespace
}  // namespace llmcu::test
