// Every command as a hostile user meets it, class by class: numbers in
// options, texts, output paths, signals, a full standard output, models whose
// numbers are not finite, a model truncated while it is read. Each case ends
// with the documented outcome: a result, or a message and exit 1 or 2; never a
// signal, a hang, a wrong result with exit 0 or a destroyed file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

#include "cli_helpers.h"
#include "llmcu/model.h"

namespace llmcu::test {
namespace {

std::string model() {
  return q(models() + "/stories260K.bin");
}
std::string tok() {
  return q(models() + "/tok512.bin");
}

// ---- numbers from options ---------------------------------------------------

struct NumericOption {
  std::string command;  // with the option at the end
  bool whole;           // takes whole numbers only
};

std::vector<NumericOption> numeric_options() {
  const std::string run = "run " + model() + " -z " + tok() + " ";
  const std::string chat = "chat " + model() + " -z " + tok() + " ";
  const std::string bench = "bench " + model() + " --no-bandwidth --repeat 1 ";
  std::vector<NumericOption> o;
  for (const std::string& c : {run, chat}) {
    o.push_back({c + "-t", false});
    o.push_back({c + "-p", false});
    o.push_back({c + "-s", true});
    o.push_back({c + "-n", true});
    o.push_back({c + "--seq-len", true});
    o.push_back({c + "--threads", true});
    o.push_back({c + "--top-k", true});
  }
  o.push_back({run + "--generations", true});
  for (const char* flag : {"--threads", "--prompt-tokens", "--gen-tokens", "--repeat"}) {
    o.push_back({bench + flag, true});
  }
  o.push_back({"eval " + model() + " --tokens '1 2' --seq-len", true});
  o.push_back({"inspect " + model() + " --seq-len", true});
  o.push_back({"plan " + model() + " --ram 1M --seq-len", true});
  o.push_back({"quantize " + model() + " /tmp/llmcu_never_written.bin --group-size", true});
  o.push_back({"gen-random /tmp/llmcu_never_written.bin --shape 15M --seed", true});
  return o;
}

// Every numeric option of every command, given values no command can use:
// exit 2 and one short sentence that says what is wrong, before any work.
TEST(CliNumbers, HostileValuesOfEveryNumericOptionAreWrongUsage) {
  const std::string huge(400, '9');
  const std::vector<std::pair<std::string, std::string>> values = {
      {"-1", "must be between"},
      {"-99999999999999999999", "must be between"},
      {"99999999999999999999", "must be between"},
      {huge, "must be between"},
      {"1e309", ""},  // out of range, or not a whole number
      {"nan", "not a number"},
      {"inf", ""},
      {"-inf", ""},
      {"abc", "not a number"},
      {"''", "not a number"},
      {"0x10", "not a"},
      {"' 5'", "not a"},
      {"5x", "not a"},
  };
  for (const NumericOption& option : numeric_options()) {
    for (const auto& [value, expect] : values) {
      // -p and -s legitimately take some of these ("-1" is not a seed, but
      // "99999999999999999999" past 2^64 is not either).
      const std::string command = option.command + " " + value;
      const CommandResult r = run_cli(command);
      expect_clean_failure(r, 2, command);
      EXPECT_LT(r.err.size(), 400u) << command << "\n" << r.err;
      if (!expect.empty()) {
        EXPECT_NE(r.err.find(expect), std::string::npos) << command << r.err;
      }
      if (option.whole && value == "1e309") {
        EXPECT_NE(r.err.find("not a whole number"), std::string::npos) << command << r.err;
      }
      EXPECT_EQ(r.out, "") << command;
    }
  }
  EXPECT_NE(access("/tmp/llmcu_never_written.bin", F_OK), 0);
}

TEST(CliNumbers, RangeErrorsNameTheOptionAndTheBounds) {
  CommandResult r = run_cli("run " + model() + " --threads -1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--threads must be between 0 and 256 (got -1)"), std::string::npos) << r.err;
  r = run_cli("run " + model() + " -t 1e309");
  EXPECT_NE(r.err.find("--temperature must be between 0 and 100 (got 1e309)"), std::string::npos)
      << r.err;
  r = run_cli("run " + model() + " -n abc");
  EXPECT_NE(r.err.find("--steps: 'abc' is not a number"), std::string::npos) << r.err;
  r = run_cli("bench " + model() + " --gen-tokens 2147483647");
  EXPECT_NE(r.err.find("--gen-tokens must be between 1 and 16777216"), std::string::npos) << r.err;
}

// Values inside the bounds that used to overflow or divide by zero further on.
TEST(CliNumbers, ExtremeButValidValuesWork) {
  TempDir dir;
  // A vocabulary of just <unk>, <s>, </s>: bench's prompt spread divided by zero.
  ModelConfig c{8, 16, 1, 2, 2, 3, 16, true};
  const std::string tiny = dir.file("tiny.bin", make_v0_model(c));
  CommandResult r = run_cli("bench " + q(tiny) +
                            " --prompt-tokens 4 --gen-tokens 4 --repeat 1 "
                            "--no-bandwidth");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // More positions than the context: a usage error, not an int overflow.
  r = run_cli("bench " + model() + " --prompt-tokens 16777216 --gen-tokens 16777216");
  expect_clean_failure(r, 2, "bench huge");
  EXPECT_NE(r.err.find("exceeds the context of 512"), std::string::npos) << r.err;
  // Steps beyond the context run the whole context.
  r = run_cli("run " + model() + " -z " + tok() + " -t 0 -n 2147483647 --seq-len 2147483647");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Many threads on a tiny model.
  r = run_cli("run " + model() + " -z " + tok() + " -t 0 -n 16 --threads 64");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // --top-k beyond the vocabulary is no top-k.
  r = run_cli("run " + model() + " -z " + tok() + " -s 5 -n 32 --top-k 2147483647");
  const CommandResult plain = run_cli("run " + model() + " -z " + tok() + " -s 5 -n 32");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, plain.out);
}

TEST(CliNumbers, ShapeFieldsAreCheckedOneByOne) {
  const std::string out = "/tmp/llmcu_never_written_shape.bin";
  for (const char* shape :
       {"64,172,5,8,4,512,4294967808", "64,172,5,8,4,512,99999999999999999999",
        "64,172,5,8,4,-512,512", "64,172,5,8,4,512", "64,172,5,8,4,512,512,1", "64,,5,8,4,512,512",
        "64, 172,5,8,4,512,512", "64,172,5,8,4,512,512x", "1e3,172,5,8,4,512,512"}) {
    const CommandResult r = run_cli("gen-random " + q(out) + " --shape " + q(shape));
    expect_clean_failure(r, 2, shape);
    EXPECT_EQ(r.err.find("18446744"), std::string::npos) << r.err;
  }
  CommandResult r = run_cli("gen-random " + q(out) + " --shape 64,172,5,8,4,512,4294967808");
  EXPECT_NE(r.err.find("--shape seq_len must be between 1 and 16777216 (got 4294967808)"),
            std::string::npos)
      << r.err;
  // A valid shape whose file no disk holds: refused before a byte is written.
  r = run_cli("gen-random " + q(out) + " --shape 16384,65536,256,128,128,1000000,4096");
  expect_clean_failure(r, 1, "petabyte shape");
  EXPECT_NE(r.err.find("bytes free"), std::string::npos) << r.err;
  EXPECT_NE(access(out.c_str(), F_OK), 0);
}

// ---- texts and input files --------------------------------------------------

TEST(CliTexts, TextFilesThatAreNotTextAreRefused) {
  TempDir dir;
  const std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string nul = dir.file("nul.txt", {'O', 'n', 'c', 'e', 0, 'u', 'p', 'o', 'n'});
  const struct {
    std::string path;
    std::string expect;
  } cases[] = {
      {dir.path(), "not a text file"},   {"/dev/zero", "longer than"},
      {"/dev/null", "nothing to score"},  // empty: BOS alone
      {fifo, "nothing to score"},         // no writer: empty
      {nul, "NUL byte at offset 4"},     {dir.path() + "/missing.txt", "cannot open"},
  };
  for (const auto& c : cases) {
    const std::string command = "eval " + model() + " -z " + tok() + " --text " + q(c.path);
    const CommandResult r = run_cli(command);
    expect_clean_failure(r, 1, command);
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << command << "\n" << r.err;
    EXPECT_EQ(r.out, "");
    // The same file as a prompt (-f).
    const CommandResult p = run_cli("run " + model() + " -z " + tok() + " -n 4 -f " + q(c.path));
    if (c.expect == "nothing to score") {
      EXPECT_EQ(p.exit_code, 0) << p.err;  // an empty prompt is llama2.c's default
    } else {
      expect_clean_failure(p, 1, "-f " + c.path);
    }
  }
  // A NUL byte from standard input (-i -) is refused too.
  const CommandResult r = run_cli_input("run " + model() + " -z " + tok() + " -n 4 -i -", nul);
  expect_clean_failure(r, 1, "-i - with NUL");
  EXPECT_NE(r.err.find("standard input: holds a NUL byte at offset 4"), std::string::npos) << r.err;
}

TEST(CliTexts, EmptyPathsAreRefusedNotDefaulted) {
  for (const std::string& command :
       {std::string("run '' -n 4"), std::string("run '' -z ") + tok() + " -n 4",
        "run " + model() + " -z '' -n 4", std::string("inspect ''"),
        std::string("plan '' --ram 1M"), "eval " + model() + " --text ''",
        "eval " + model() + " -z '' --text /dev/null", std::string("encode -z '' hello"),
        "run " + model() + " -z " + tok() + " -f ''", std::string("chat ''"),
        "quantize " + model() + " ''", "pack " + model() + " " + tok() + " ''",
        std::string("gen-random '' --shape 15M")}) {
    const CommandResult r = run_cli(command);
    EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << command;
    expect_clean_failure(r, r.exit_code, command);
    EXPECT_NE(r.err.find("empty"), std::string::npos) << command << "\n" << r.err;
  }
}

// ---- output paths -----------------------------------------------------------

struct Writer {
  std::string name;
  std::string args;  // OUT where the output path goes
};

std::vector<Writer> writers() {
  return {{"quantize", "quantize " + model() + " OUT"},
          {"pack", "pack " + model() + " " + tok() + " OUT"},
          {"eval", "eval " + model() + " -z " + tok() + " --tokens '1 403 407' --logits-out OUT"},
          {"gen-random", "gen-random --shape 64,172,5,8,4,512,512 OUT"}};
}

std::string with_out(const std::string& args, const std::string& out) {
  const size_t at = args.find("OUT");
  return args.substr(0, at) + q(out) + args.substr(at + 3);
}

bool is_char_device(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

TEST(CliOutput, SpecialFilesAreNeverReplaced) {
  for (const Writer& w : writers()) {
    TempDir dir;
    const std::string fifo = dir.path() + "/fifo";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    const std::string to_null = dir.path() + "/to_null";
    ASSERT_EQ(symlink("/dev/null", to_null.c_str()), 0);
    const std::string dangling = dir.path() + "/dangling";
    ASSERT_EQ(symlink((dir.path() + "/nowhere").c_str(), dangling.c_str()), 0);
    mkdir((dir.path() + "/sub").c_str(), 0755);
    for (const std::string& out :
         {std::string("/dev/null"), std::string("/dev/stdout"), std::string("/dev/full"), fifo,
          to_null, dangling, dir.path() + "/sub", dir.path() + "/sub/"}) {
      const CommandResult r = run_cli(with_out(w.args, out));
      expect_clean_failure(r, 1, w.name + " -> " + out);
      EXPECT_NE(r.err.find("is "), std::string::npos) << r.err;
    }
    EXPECT_TRUE(is_char_device("/dev/null")) << w.name << " replaced /dev/null";
    struct stat st {};
    EXPECT_TRUE(lstat(fifo.c_str(), &st) == 0 && S_ISFIFO(st.st_mode));
    EXPECT_TRUE(lstat(to_null.c_str(), &st) == 0 && S_ISLNK(st.st_mode));
    EXPECT_TRUE(lstat(dangling.c_str(), &st) == 0 && S_ISLNK(st.st_mode));
    EXPECT_EQ(dir.listing(), (std::vector<std::string>{"dangling", "fifo", "sub", "to_null"}))
        << w.name;
  }
}

TEST(CliOutput, LongNamesLinksAndStaleTempFilesAreFine) {
  for (const Writer& w : writers()) {
    TempDir dir;
    // The longest name a Linux file system takes is 255 bytes.
    const std::string long_name = dir.path() + "/" + std::string(250, 'n') + ".bin";
    CommandResult r = run_cli(with_out(w.args, long_name));
    EXPECT_EQ(r.exit_code, 0) << w.name << "\n" << r.err;
    EXPECT_EQ(access(long_name.c_str(), F_OK), 0) << w.name;
    // OUT.tmp of someone else is left alone.
    const std::string out = dir.path() + "/out.bin";
    const std::string stale = dir.text("out.bin.tmp", "not ours");
    r = run_cli(with_out(w.args, out));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_file(stale), (std::vector<uint8_t>{'n', 'o', 't', ' ', 'o', 'u', 'r', 's'}));
    // A link to a regular file: the file is replaced, the link stays.
    const std::string target = dir.text("target.bin", "old");
    const std::string link = dir.path() + "/link.bin";
    ASSERT_EQ(symlink("target.bin", link.c_str()), 0);
    r = run_cli(with_out(w.args, link));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    struct stat st {};
    EXPECT_TRUE(lstat(link.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) << w.name;
    EXPECT_EQ(read_file(target), read_file(out)) << w.name;
    EXPECT_EQ(dir.listing(),
              (std::vector<std::string>{"link.bin", long_name.substr(dir.path().size() + 1),
                                        "out.bin", "out.bin.tmp", "target.bin"}))
        << w.name;
  }
}

TEST(CliOutput, ConcurrentWritersDoNotMixTheirBytes) {
  TempDir dir;
  const std::string out = dir.path() + "/model.bin";
  // Two different models written to one name at once: the result is one of
  // them whole, and no temporary file is left.
  const std::string a = cli() + " gen-random " + q(out) + " --shape 64,172,5,8,4,512,512 --seed 1";
  const std::string b = cli() + " gen-random " + q(out) + " --shape 64,172,5,8,4,512,512 --seed 2";
  for (int round = 0; round < 4; ++round) {
    const CommandResult r =
        run_shell(a + " >/dev/null & a=$!; " + b + " >/dev/null & b=$!; wait $a && wait $b");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(dir.listing(), std::vector<std::string>{"model.bin"});
    const CommandResult check = run_cli("inspect " + q(out));
    EXPECT_EQ(check.exit_code, 0) << check.err;
  }
}

TEST(CliOutput, TheFileSizeLimitIsCheckedFirstAndSignalsLeaveNoTempFile) {
  for (const Writer& w : writers()) {
    TempDir dir;
    const std::string out = dir.path() + "/out.bin";
    // No trap this time: SIGXFSZ must not kill the process, and the size is
    // known up front, so the refusal comes before any write.
    CommandResult r = run_shell("ulimit -f 1; exec " + cli() + " " + with_out(w.args, out));
    expect_clean_failure(r, 1, w.name);
    EXPECT_NE(r.err.find("file-size limit"), std::string::npos) << w.name << "\n" << r.err;
    EXPECT_EQ(dir.listing(), std::vector<std::string>{}) << w.name;
  }
}

// A write of ~170 MB (the 42M shape), interrupted: the process dies of the
// signal (as any program would) but removes its temporary file first.
TEST(CliOutput, InterruptedWritesLeaveNothing) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGXFSZ}) {
    TempDir dir;
    const std::string out = dir.path() + "/big.bin";
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      execl(LLMCU_CLI_PATH, "llmcu", "gen-random", out.c_str(), "--shape", "42M", nullptr);
      _exit(127);
    }
    // Wait until the temporary file exists and grows.
    bool writing = false;
    for (int i = 0; i < 2000 && !writing; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      for (const std::string& name : dir.listing()) writing = writing || name != "big.bin";
    }
    kill(pid, sig);
    int status = 0;
    waitpid(pid, &status, 0);
    if (sig == SIGXFSZ) {
      // Ignored: the write goes on and completes.
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
      EXPECT_EQ(dir.listing(), std::vector<std::string>{"big.bin"});
    } else {
      EXPECT_TRUE(writing) << "the write did not start";
      EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << sig << " " << status;
      EXPECT_EQ(dir.listing(), std::vector<std::string>{}) << "signal " << sig;
    }
  }
}

// ---- standard output ---------------------------------------------------------

std::vector<std::string> every_command(const TempDir& dir) {
  return {"run " + model() + " -z " + tok() + " -n 8",
          "chat " + model() + " -z " + tok() + " -n 64",
          "run " + model() + " -z " + tok() + " -n 64 -m chat",
          "encode -z " + tok() + " hello",
          "inspect " + model(),
          "inspect " + tok(),
          "plan " + model() + " --ram 1M",
          "eval " + model() + " -z " + tok() + " --tokens '1 403 407'",
          "bench " + model() + " --prompt-tokens 4 --gen-tokens 4 --repeat 1 --no-bandwidth",
          "quantize " + model() + " " + q(dir.path() + "/q.bin"),
          "pack " + model() + " " + tok() + " " + q(dir.path() + "/p.bin"),
          "gen-random " + q(dir.path() + "/g.bin") + " --shape 64,172,5,8,4,512,512",
          "--help",
          "run --help",
          "--version"};
}

TEST(CliStdout, AFullOrClosedStandardOutputIsAnErrorForEveryCommand) {
  TempDir dir;
  const std::string input = dir.text("chat.in", "system\nhello\n");
  for (const std::string& command : every_command(dir)) {
    const CommandResult full = run_shell(cli() + " " + command + " >/dev/full <" + q(input));
    expect_clean_failure(full, 1, command + " >/dev/full");
    EXPECT_NE(full.err.find("standard output"), std::string::npos) << command << full.err;
    const CommandResult closed = run_shell(cli() + " " + command + " >&- <" + q(input));
    expect_clean_failure(closed, 1, command + " >&-");
    EXPECT_NE(closed.err.find("standard output"), std::string::npos) << command << closed.err;
  }
  // With standard output closed, nothing went into the files written.
  const CommandResult check = run_cli("inspect " + q(dir.path() + "/p.bin"));
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

// ---- numeric honesty ---------------------------------------------------------

TEST(CliNumericHonesty, NonFiniteModelsComputeNothing) {
  TempDir dir;
  std::vector<uint8_t> bytes = read_file(models() + "/stories260K.bin");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  memcpy(bytes.data() + 28 + 4 * 1000, &nan, 4);  // one weight of the token embedding
  const std::string broken = dir.file("nan.bin", bytes);
  // Finite but huge: the activations overflow.
  std::vector<uint8_t> big = read_file(models() + "/stories260K.bin");
  const float huge = 3e38f;
  for (size_t o = 28 + 512 * 64 * 4; o < 28 + 512 * 64 * 4 + 64 * 4; o += 4) {
    memcpy(big.data() + o, &huge, 4);
  }
  const std::string overflow = dir.file("overflow.bin", big);
  for (const std::string& command :
       {"run " + q(broken) + " -z " + tok() + " -n 8", "chat " + q(broken) + " -z " + tok(),
        "eval " + q(broken) + " -z " + tok() + " --tokens '1 403 407'",
        "bench " + q(broken) + " --prompt-tokens 4 --gen-tokens 4 --repeat 1 --no-bandwidth",
        "quantize " + q(broken) + " " + q(dir.path() + "/q.bin"),
        "pack " + q(broken) + " " + tok() + " " + q(dir.path() + "/p.bin")}) {
    const CommandResult r = run_cli(command);
    expect_clean_failure(r, 1, command);
    EXPECT_NE(r.err.find("token_embedding, layer 0: weight 1000 is not finite"), std::string::npos)
        << command << "\n"
        << r.err;
    EXPECT_EQ(r.out, "") << command;
  }
  for (const std::string& command :
       {"run " + q(overflow) + " -z " + tok() + " -n 8 -i Once",
        "eval " + q(overflow) + " -z " + tok() + " --tokens '1 403'"}) {
    const CommandResult r = run_cli(command);
    expect_clean_failure(r, 1, command);
    EXPECT_NE(r.err.find("not finite"), std::string::npos) << command << "\n" << r.err;
    EXPECT_EQ(r.out, "") << command;
  }
  // inspect shows such a model, and says what is wrong with it.
  const CommandResult r = run_cli("inspect " + q(broken));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("numbers:     tensor token_embedding"), std::string::npos) << r.out;
}

TEST(CliNumericHonesty, EvalNeedsTwoTokens) {
  for (const char* tokens : {"'1'", "'403'"}) {
    const CommandResult r = run_cli("eval " + model() + " --tokens " + tokens);
    expect_clean_failure(r, 1, tokens);
    EXPECT_NE(r.err.find("nothing to score"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(CliNumericHonesty, ATemperatureTooSmallToInvertIsGreedy) {
  const std::string run = "run " + model() + " -z " + tok() + " -n 64 -i Once -s 3 ";
  const CommandResult greedy = run_cli(run + "-t 0");
  ASSERT_EQ(greedy.exit_code, 0);
  for (const char* t : {"1e-45", "1e-40", "1e-30"}) {
    const CommandResult r = run_cli(run + "-t " + t);
    EXPECT_EQ(r.exit_code, 0) << t << r.err;
    EXPECT_EQ(r.out, greedy.out) << t;
  }
}

TEST(CliNumericHonesty, SeedsWrapPastTheLargestWithoutBecomingRandom) {
  const CommandResult r =
      run_cli("run " + model() + " -z " + tok() + " -n 8 -s 18446744073709551615 --generations 3");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("seed: 18446744073709551615\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("seed: 1\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("seed: 2\n"), std::string::npos) << r.err;
  // The same text each time it is run: no seed came from the OS.
  const CommandResult again =
      run_cli("run " + model() + " -z " + tok() + " -n 8 -s 18446744073709551615 --generations 3");
  EXPECT_EQ(r.out, again.out);
}

TEST(CliNumericHonesty, SizesPrintedByInspectAndPlanAddUp) {
  // The terabyte plan of cli_hostile_test: every size printed is exact.
  ModelConfig c{2, 1, 60000, 1, 1, 3, 1 << 20, true};
  TempDir dir;
  const std::string path = dir.file("terabyte.bin", make_v0_model(c));
  for (const std::string& command : {"inspect " + q(path), "plan " + q(path) + " --ram 1G"}) {
    const CommandResult r = run_cli(command);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    unsigned long long arena = 0, weights = 0, total = 0, kv = 0, without = 0;
    const char* text = r.out.c_str();
    ASSERT_EQ(sscanf(strstr(text, "weights (in place)"), "weights (in place) %llu", &weights), 1);
    ASSERT_EQ(sscanf(strstr(text, "kv cache"), "kv cache %llu", &kv), 1);
    ASSERT_EQ(sscanf(strstr(text, "arena total"), "arena total %llu", &arena), 1);
    ASSERT_EQ(sscanf(strstr(text, "arena without kv"), "arena without kv %llu", &without), 1);
    ASSERT_EQ(sscanf(strstr(text, "  total"), "  total %llu", &total), 1);
    // 60000 layers x 2^20 positions x kv_dim 2 x 4 bytes x (keys, values): past 2^32 by far.
    EXPECT_EQ(kv, 60000ull * (1ull << 20) * 2 * 4 * 2) << r.out;
    EXPECT_GT(arena, kv);
    EXPECT_EQ(total, arena + weights);
    EXPECT_EQ(without, arena - kv);
    EXPECT_EQ(r.out.find("18446744"), std::string::npos) << r.out;
  }
}

// ---- a model truncated while it is read --------------------------------------

TEST(CliTruncation, AModelTruncatedDuringARunEndsWithAMessage) {
  TempDir dir;
  // About 28 MB of weights and a 4096-position context: seconds of decoding,
  // read from the file mapping (--no-huge-pages; eval never copies).
  const std::string path = dir.path() + "/model.bin";
  for (const std::string& command : {std::string("run"), std::string("eval")}) {
    const CommandResult made =
        run_cli("gen-random " + q(path) + " --shape 256,768,8,8,8,512,4096 --seed 3");
    ASSERT_EQ(made.exit_code, 0) << made.err;
    std::string tokens;
    for (int i = 0; i < 4000; ++i) tokens += std::to_string(3 + i % 500) + " ";
    const std::string args = command == "run" ? "run " + q(path) + " -z " + tok() +
                                                    " -t 0 -n 0 --no-huge-pages --threads 2"
                                              : "eval " + q(path) + " --tokens " + q(tokens);
    FILE* pipe = popen((cli() + " " + args + " 2>&1").c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    // Once it computes (text or nothing yet: give it a moment), cut the file.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_EQ(truncate(path.c_str(), 4096), 0);
    std::string output;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
    const int status = pclose(pipe);
    ASSERT_TRUE(WIFEXITED(status)) << command << " died of a signal\n" << output;
    EXPECT_EQ(WEXITSTATUS(status), 1) << command << "\n" << output;
    // Whole and once, however many threads fault together.
    const std::string message = "error: " + path + ": the file changed while it was being read";
    const size_t at = output.find(message);
    EXPECT_NE(at, std::string::npos)
        << command << "\n"
        << output.substr(output.size() > 2000 ? output.size() - 2000 : 0);
    EXPECT_EQ(output.find("the file changed", at + message.size()), std::string::npos)
        << command << "\n"
        << output;
  }
}

}  // namespace
}  // namespace llmcu::test
