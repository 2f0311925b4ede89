// llama2.c parity of chat mode and the everyday conveniences of the llmcu
// command: -m chat against llama2.c's own output on piped sessions
// (tests/data/chat), -m generate, -f and -i -, --version, unknown commands,
// --stop, --top-k, pack containers and tokenizers in inspect and run, and the
// terminal chat (line editing, Ctrl-C, Ctrl-D) on a pseudo-terminal.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_helpers.h"
#include "llmcu/build_info.h"
#include "llmcu/crc32.h"

namespace llmcu::test {
namespace {

const std::string kChatData = LLMCU_TEST_DATA_DIR "/chat/";

std::string model() {
  return q(models() + "/stories260K.bin");
}
std::string tok() {
  return q(models() + "/tok512.bin");
}
std::string run() {
  return "run " + model() + " -z " + tok() + " ";
}

std::string text_of(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  return std::string(bytes.begin(), bytes.end());
}

// ---- llama2.c parity ---------------------------------------------------------

TEST(ChatParity, PipedSessionsPrintExactlyWhatLlama2cPrints) {
  std::ifstream in(kChatData + "cases.json");
  ASSERT_TRUE(in) << "missing " << kChatData << "cases.json";
  const nlohmann::json spec = nlohmann::json::parse(in);
  TempDir dir;
  // The random-weight model the oracle ran, rebuilt by gen-random.
  const nlohmann::json& random = spec["random_model"];
  const std::string random_path = dir.path() + "/random.bin";
  const CommandResult made =
      run_cli("gen-random " + q(random_path) + " --shape " + random["shape"].get<std::string>() +
              " --seed " + std::to_string(random["seed"].get<int>()));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  char crc[16];
  snprintf(crc, sizeof(crc), "%08x\n", crc32(read_file(random_path)));
  ASSERT_EQ(std::string(crc), text_of(kChatData + "random.crc32"))
      << "gen-random no longer writes the model the oracle ran (see tests/data/chat/README.md)";
  int cases = 0;
  for (const nlohmann::json& c : spec["cases"]) {
    const std::string name = c["name"];
    std::string args = c["model"] == "random" ? q(random_path) : model();
    args += " -z " + tok() + " -m chat";
    for (const nlohmann::json& a : c["args"]) args += " " + q(a.get<std::string>());
    const CommandResult r = run_cli_input("run " + args, kChatData + c["stdin"].get<std::string>());
    EXPECT_EQ(r.exit_code, 0) << name << "\n" << r.err;
    EXPECT_EQ(r.out, text_of(kChatData + name + ".out")) << name;
    ++cases;
  }
  EXPECT_GE(cases, 10);
}

// Also with the options llama2.c does not have at their neutral values.
TEST(ChatParity, NeutralExtrasChangeNothing) {
  const std::string input = kChatData + "story.in";
  const std::string base = run() + "-m chat -t 1 -s 42 -n 256";
  const CommandResult expected = run_cli_input(base, input);
  ASSERT_EQ(expected.out, text_of(kChatData + "story_sampled.out"));
  for (const char* extra : {" --top-k 0", " --top-k 512", " --threads 2", " --seq-len 512"}) {
    EXPECT_EQ(run_cli_input(base + extra, input).out, expected.out) << extra;
  }
}

TEST(ChatParity, GenerateIsTheDefaultMode) {
  const CommandResult plain = run_cli(run() + "-s 7 -n 64 -i 'Once upon'");
  const CommandResult generate = run_cli(run() + "-s 7 -n 64 -i 'Once upon' -m generate");
  EXPECT_EQ(plain.exit_code, 0);
  EXPECT_EQ(generate.exit_code, 0) << generate.err;
  EXPECT_EQ(plain.out, generate.out);
  const CommandResult bad = run_cli(run() + "-m talk");
  expect_clean_failure(bad, 2, "-m talk");
}

// A prompt longer than the steps, or than the context (-n 0 and -n 700 both
// run llama2.c's 512 positions): as many prompt tokens as fit are fed and
// printed, nothing is sampled (tests/data/prompt_past_steps).
TEST(ChatParity, PromptsPastTheStepsPrintWhatLlama2cPrints) {
  const std::string data = LLMCU_TEST_DATA_DIR "/prompt_past_steps/";
  const struct {
    const char* prompt;
    const char* args;
    const char* out;
  } cases[] = {{"short_prompt.txt", "-t 0 -n 10", "short_n10.out"},
               {"long_prompt.txt", "-t 0 -n 0", "long_n0.out"},
               {"long_prompt.txt", "-t 0.8 -s 5 -n 700", "long_n700.out"}};
  for (const auto& c : cases) {
    const CommandResult r = run_cli(run() + c.args + " -f " + q(data + c.prompt));
    EXPECT_EQ(r.exit_code, 0) << c.out << "\n" << r.err;
    EXPECT_EQ(r.out, text_of(data + c.out)) << c.out;
  }
}

// ---- everyday conveniences ----------------------------------------------------

TEST(Conveniences, PromptsFromAFileOrStandardInput) {
  TempDir dir;
  const std::string prompt = "Once upon a time, a cat";
  const std::string file = dir.text("prompt.txt", prompt);
  const CommandResult inline_prompt = run_cli(run() + "-t 0 -n 48 -i " + q(prompt));
  ASSERT_EQ(inline_prompt.exit_code, 0);
  const CommandResult from_file = run_cli(run() + "-t 0 -n 48 -f " + q(file));
  EXPECT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(from_file.out, inline_prompt.out);
  const CommandResult from_stdin = run_cli_input(run() + "-t 0 -n 48 -i -", file);
  EXPECT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(from_stdin.out, inline_prompt.out);
  // Both at once is wrong usage.
  expect_clean_failure(run_cli(run() + "-i a -f " + q(file)), 2, "-i and -f");
}

TEST(Conveniences, VersionSaysWhatWasBuilt) {
  const CommandResult r = run_cli("--version");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("llmcu 0.", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("(git "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::string("kernels ") + kernel_family_name()), std::string::npos) << r.out;
  EXPECT_TRUE(r.out.find("gcc") != std::string::npos || r.out.find("clang") != std::string::npos)
      << r.out;
}

TEST(Conveniences, AnUnknownCommandIsNamed) {
  const CommandResult r = run_cli("frobnicate " + model());
  expect_clean_failure(r, 2, "unknown command");
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("run, chat"), std::string::npos) << r.err;
}

TEST(Conveniences, StopStringsEndTheGeneratedText) {
  const CommandResult full = run_cli(run() + "-t 0 -n 100 -i 'Once upon a time'");
  ASSERT_EQ(full.exit_code, 0);
  // The greedy story: "Once upon a time, there was a little girl named Lily. ..."
  const size_t lily = full.out.find("Lily");
  ASSERT_NE(lily, std::string::npos) << full.out;
  CommandResult r = run_cli(run() + "-t 0 -n 100 -i 'Once upon a time' --stop Lily");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, full.out.substr(0, lily) + "\n");
  // Several, the first one found wins; one in the prompt does not count.
  r = run_cli(run() + "-t 0 -n 100 -i 'Once upon a time' --stop zzz --stop 'little' --stop time");
  EXPECT_EQ(r.out, full.out.substr(0, full.out.find("little")) + "\n");
  // A stop string that never comes: the whole text.
  r = run_cli(run() + "-t 0 -n 100 -i 'Once upon a time' --stop 'never seen'");
  EXPECT_EQ(r.out, full.out);
  expect_clean_failure(run_cli(run() + "--stop ''"), 2, "empty stop");
}

TEST(Conveniences, TopKOneIsGreedy) {
  const CommandResult greedy = run_cli(run() + "-t 0 -n 80");
  const CommandResult top1 = run_cli(run() + "-t 1 -s 9 -n 80 --top-k 1");
  EXPECT_EQ(top1.exit_code, 0) << top1.err;
  EXPECT_EQ(top1.out, greedy.out);
  // A small k still samples (differently from greedy for some seed).
  bool differs = false;
  for (int seed = 1; seed <= 5 && !differs; ++seed) {
    differs = run_cli(run() + "-t 1 -n 80 --top-k 5 -s " + std::to_string(seed)).out != greedy.out;
  }
  EXPECT_TRUE(differs);
}

TEST(Conveniences, ContainersRunAndInspectWithBothParts) {
  TempDir dir;
  const std::string packed = dir.path() + "/model.llmcupak";
  ASSERT_EQ(run_cli("pack " + model() + " " + tok() + " " + q(packed)).exit_code, 0);
  const CommandResult bare = run_cli(run() + "-t 0 -n 64 -i Once");
  const CommandResult from_pack = run_cli("run " + q(packed) + " -t 0 -n 64 -i Once");
  EXPECT_EQ(from_pack.exit_code, 0) << from_pack.err;
  EXPECT_EQ(from_pack.out, bare.out);
  const CommandResult chat =
      run_cli_input("run " + q(packed) + " -m chat -t 0 -n 200", kChatData + "story.in");
  EXPECT_EQ(chat.out, text_of(kChatData + "story_greedy.out"));
  const CommandResult eval = run_cli("eval " + q(packed) + " --tokens '1 403 407 3'");
  EXPECT_EQ(eval.exit_code, 0) << eval.err;
  const CommandResult r = run_cli("inspect " + q(packed));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* part :
       {"container:   llmcu pack version 1", "model part:", "dim 64, hidden_dim 172", "memory plan",
        "tokenizer part:", "vocabulary:  512 tokens", "byte fallback: 256 of 256"}) {
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
  }
  // A container is not packed again.
  expect_clean_failure(run_cli("pack " + q(packed) + " " + tok() + " " + q(packed + "2")), 1,
                       "pack of a pack");
  // A damaged container is refused by every command.
  std::vector<uint8_t> bytes = read_file(packed);
  bytes[bytes.size() - 10] ^= 0xff;
  const std::string damaged = dir.file("damaged.llmcupak", bytes);
  for (const std::string& command : {"run " + q(damaged) + " -n 4", "inspect " + q(damaged)}) {
    const CommandResult d = run_cli(command);
    expect_clean_failure(d, 1, command);
    EXPECT_NE(d.err.find(damaged), std::string::npos) << d.err;
  }
}

TEST(Conveniences, InspectDescribesATokenizer) {
  CommandResult r = run_cli("inspect " + tok());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"format:      llama2.c tokenizer", "vocabulary:  512 tokens",
                           "longest:     token", "byte fallback: 256 of 256 bytes"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
  r = run_cli("inspect " + q(models() + "/tokenizer.bin"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("vocabulary:  32000 tokens"), std::string::npos) << r.out;
}

// ---- the chat command from a pipe ---------------------------------------------

TEST(ChatCommand, OneTurnPerLineUntilTheEndOfInput) {
  TempDir dir;
  const std::string input = dir.text("in.txt", "Tell me a story.\n\nAnother one.\n");
  const CommandResult r =
      run_cli_input("chat " + model() + " -z " + tok() + " -t 0 -n 400 -y 'Be brief.'", input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The empty line is skipped: two turns, each "User: " then "Assistant: ...".
  size_t turns = 0;
  for (size_t at = r.out.find("User: Assistant: "); at != std::string::npos;
       at = r.out.find("User: Assistant: ", at + 1)) {
    ++turns;
  }
  EXPECT_GE(turns, 1u) << r.out;
  EXPECT_LE(turns, 2u) << r.out;
  EXPECT_EQ(r.out.find("Enter system prompt"), std::string::npos);
}

TEST(ChatCommand, AFullContextEndsTheConversation) {
  TempDir dir;
  const std::string input = dir.text("in.txt", "one\ntwo\nthree\n");
  const CommandResult r = run_cli_input("chat " + model() + " -z " + tok() + " -t 0 -n 40", input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("filled all 40 positions"), std::string::npos) << r.err;
}

// ---- the chat command on a terminal --------------------------------------------

// llmcu chat on a pseudo-terminal: what a person at a terminal sees.
class Terminal {
 public:
  explicit Terminal(const std::vector<std::string>& args) {
    struct winsize size {};
    size.ws_row = 40;
    size.ws_col = 200;
    pid_ = forkpty(&fd_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(LLMCU_CLI_PATH));
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      setenv("TERM", "xterm", 1);
      setenv("LC_ALL", "C", 1);
      execv(LLMCU_CLI_PATH, argv.data());
      _exit(127);
    }
  }
  ~Terminal() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }
  bool started() const { return pid_ > 0; }
  void type(const std::string& keys) {
    ASSERT_EQ(write(fd_, keys.data(), keys.size()), static_cast<ssize_t>(keys.size()));
  }
  // Reads until `text` has appeared since the last wait (or the timeout).
  bool wait_for(const std::string& text, int seconds = 20) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < end) {
      if (screen_.find(text, mark_) != std::string::npos) {
        mark_ = screen_.find(text, mark_) + text.size();
        return true;
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) > 0) {
        char buffer[4096];
        const ssize_t n = read(fd_, buffer, sizeof(buffer));
        if (n <= 0) break;
        screen_.append(buffer, static_cast<size_t>(n));
      }
    }
    return false;
  }
  // The exit status, waiting up to `seconds`; -1 if it has not exited.
  int exit_status(int seconds = 20) {
    for (int i = 0; i < seconds * 10; ++i) {
      int status = 0;
      wait_for("\x01never\x01", 0);  // drain the output
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      usleep(100000);
    }
    return -1;
  }
  const std::string& screen() const { return screen_; }

 private:
  int fd_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string screen_;
  size_t mark_ = 0;
};

TEST(ChatTerminal, CtrlCStopsTheAnswerAndCtrlDEnds) {
  TempDir dir;
  // Random weights, greedy: an answer that runs until the context is full,
  // thousands of tokens at a few milliseconds each, unless stopped.
  const std::string path = dir.path() + "/slow.bin";
  ASSERT_EQ(run_cli("gen-random " + q(path) + " --shape 256,768,8,8,8,512,4096").exit_code, 0);
  Terminal t({"chat", path, "-z", models() + "/tok512.bin", "-t", "0", "--no-huge-pages"});
  ASSERT_TRUE(t.started());
  // Keys go in once libedit waits for them, as a person's do: keys already
  // waiting when readline() starts are read as a cooked line (libedit's
  // typeahead), where Ctrl-C and Ctrl-D are the terminal's, not the editor's.
  const auto prompt = [&t] {
    const bool shown = t.wait_for("User: ");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return shown;
  };
  ASSERT_TRUE(prompt()) << t.screen();
  // Line editing: type, erase a word with backspaces, finish the line.
  t.type("hello wrold");
  t.type("\x7f\x7f\x7f\x7f\x7f");
  t.type("world\r");
  ASSERT_TRUE(t.wait_for("Assistant: ")) << t.screen();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  t.type("\x03");  // Ctrl-C
  ASSERT_TRUE(t.wait_for("[stopped]")) << t.screen();
  ASSERT_TRUE(prompt()) << t.screen();
  // Ctrl-C at the prompt drops the line and asks again.
  t.type("half a line\x03");
  ASSERT_TRUE(prompt()) << t.screen();
  // History: Up brings back "hello world".
  t.type("\x1b[A");
  ASSERT_TRUE(t.wait_for("hello world")) << t.screen();
  t.type("\x03");
  ASSERT_TRUE(prompt()) << t.screen();
  t.type("\x04");  // Ctrl-D
  EXPECT_EQ(t.exit_status(), 0) << t.screen();
}

TEST(ChatTerminal, TypedUtf8IsEditedAsCharacters) {
  // Whatever the environment's locale: one backspace takes a whole character,
  // and the line keeps the others' bytes.
  TempDir dir;
  const std::string path = dir.path() + "/slow.bin";
  ASSERT_EQ(run_cli("gen-random " + q(path) + " --shape 256,768,8,8,8,512,4096").exit_code, 0);
  Terminal t({"chat", path, "-z", models() + "/tok512.bin", "-t", "0", "--no-huge-pages"});
  ASSERT_TRUE(t.started());
  const auto prompt = [&t] {
    const bool shown = t.wait_for("User: ");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return shown;
  };
  ASSERT_TRUE(prompt()) << t.screen();
  t.type("caf\xc3\xa9 \xe2\x82\xac\x7f\xf0\x9f\x99\x82\r");
  ASSERT_TRUE(t.wait_for("Assistant: ")) << t.screen();
  t.type("\x03");
  ASSERT_TRUE(t.wait_for("[stopped]")) << t.screen();
  ASSERT_TRUE(prompt()) << t.screen();
  t.type("\x1b[A");  // history holds the line as it was sent
  ASSERT_TRUE(t.wait_for("caf\xc3\xa9 \xf0\x9f\x99\x82")) << t.screen();
  t.type("\x03");
  ASSERT_TRUE(prompt()) << t.screen();
  t.type("\x04");
  EXPECT_EQ(t.exit_status(), 0) << t.screen();
}

// ---- Ctrl-C while the output cannot be written ----------------------------------

// llmcu chat reading lines from a pipe and writing to one that the test keeps
// full, so that the process waits inside write() when its SIGINT comes.
class BlockedOutput {
 public:
  BlockedOutput(const std::vector<std::string>& args, const std::string& input,
                const std::string& err_path) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(err, STDERR_FILENO);
      for (int fd : {in[0], in[1], out[0], out[1], err}) close(fd);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(LLMCU_CLI_PATH));
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(LLMCU_CLI_PATH, argv.data());
      _exit(127);
    }
    close(in[0]);
    [[maybe_unused]] const ssize_t written = write(in[1], input.data(), input.size());
    close(in[1]);
    // A description of the pipe's write end of our own, non-blocking: the
    // child's keeps blocking.
    filler_ = open(("/proc/self/fd/" + std::to_string(out[1])).c_str(), O_WRONLY | O_NONBLOCK);
    close(out[1]);
    reader_ = out[0];
  }
  ~BlockedOutput() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    for (int fd : {filler_, reader_}) {
      if (fd >= 0) close(fd);
    }
  }
  bool started() const { return pid_ > 0 && filler_ >= 0; }
  // Fills the pipe: the child's next write waits.
  void fill() {
    static const std::string kFiller(4096, '\x01');
    while (write(filler_, kFiller.data(), kFiller.size()) > 0) {
    }
  }
  // True once the child waits in write() to standard output.
  bool wait_for_blocked_write(int seconds = 30) {
    for (int i = 0; i < seconds * 100; ++i) {
      std::ifstream call("/proc/" + std::to_string(pid_) + "/syscall");
      long number = -1;
      std::string fd;
      if (call >> number >> fd && number == SYS_write && fd == "0x1") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  void interrupt() { kill(pid_, SIGINT); }
  // Reads what is there, the filler left out, until `text` has come.
  bool read_until(const std::string& text, int seconds = 30) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (output_.find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() > end) return false;
      pollfd p{reader_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buffer[4096];
      const ssize_t n = read(reader_, buffer, sizeof(buffer));
      if (n <= 0) return false;
      for (ssize_t i = 0; i < n; ++i) {
        if (buffer[i] != '\x01') output_.push_back(buffer[i]);
      }
    }
    return true;
  }
  // Stops filling, reads to the end and returns the exit status (-1: none).
  int exit_status() {
    close(filler_);
    filler_ = -1;
    read_until("\x02never\x02");
    int status = 0;
    for (int i = 0; i < 300; ++i, std::this_thread::sleep_for(std::chrono::milliseconds(100))) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    return -1;
  }
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int filler_ = -1;
  int reader_ = -1;
  bool exited_ = false;
  std::string output_;
};

TEST(ChatSignals, CtrlCDuringABlockedWriteLosesNoOutput) {
  // A SIGINT that lands in write() used to fail it with EINTR, which stdio
  // takes for a dead stream: "cannot write to standard output".
  TempDir dir;
  const std::string path = dir.path() + "/slow.bin";
  ASSERT_EQ(run_cli("gen-random " + q(path) + " --shape 256,768,8,8,8,512,4096").exit_code, 0);
  const std::string err = dir.path() + "/err.txt";
  BlockedOutput chat({"chat", path, "-z", models() + "/tok512.bin", "-t", "0", "--no-huge-pages"},
                     "hello\n", err);
  ASSERT_TRUE(chat.started());
  // At the prompt: the interrupt drops the (empty) line and asks again.
  chat.fill();
  ASSERT_TRUE(chat.wait_for_blocked_write());
  chat.interrupt();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(chat.read_until("Assistant: ")) << chat.output() << text_of(err);
  // In the answer: it stops, and what was written before stays whole.
  chat.fill();
  ASSERT_TRUE(chat.wait_for_blocked_write());
  chat.interrupt();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(chat.exit_status(), 0) << text_of(err);
  EXPECT_EQ(text_of(err), "[stopped]\n");
  const std::string& out = chat.output();
  EXPECT_EQ(out.rfind("User: \nUser: Assistant: ", 0), 0u) << out;
  EXPECT_TRUE(out.ends_with("\nUser: \n")) << out;
}

}  // namespace
}  // namespace llmcu::test
