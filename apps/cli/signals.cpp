#include "signals.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "mapped_file.h"

namespace llmcu::cli {
namespace {

constexpr int kTerminating[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

// The temporary file to remove: a fixed buffer, since the handler can neither
// allocate nor lock.
char g_temp_path[4096];
volatile sig_atomic_t g_temp_armed = 0;
std::atomic<std::atomic<bool>*> g_cancel{nullptr};
std::atomic<int> g_interrupts{0};

void remove_temp_file() {
  if (g_temp_armed) {
    g_temp_armed = 0;
    unlink(g_temp_path);
  }
}

void on_terminate(int sig) {
  std::atomic<bool>* cancel = g_cancel.load();
  if (sig == SIGINT && cancel != nullptr) {
    cancel->store(true);
    g_interrupts.fetch_add(1);
    return;
  }
  remove_temp_file();
  // Die of the signal (the shell sees 128 + sig): it is delivered again
  // when this handler returns.
  signal(sig, SIG_DFL);
  raise(sig);
}

// Set by the first thread to fault in a mapped file; any other thread that
// faults meanwhile waits for it to print and end the process.
std::atomic<bool> g_bus_error_reported{false};

void on_bus_error(int, siginfo_t* info, void*) {
  const char* path = host::MappedFile::path_holding(info->si_addr);
  remove_temp_file();
  if (path != nullptr) {
    if (g_bus_error_reported.exchange(true)) {
      for (;;) pause();
    }
    // One write, so that nothing else written to stderr lands inside it.
    static constexpr char kHead[] = "\nerror: ";
    static constexpr char kTail[] =
        ": the file changed while it was being read (truncated or rewritten in place); "
        "stopped\n";
    char message[sizeof(g_temp_path) + sizeof(kHead) + sizeof(kTail)];
    size_t n = 0;
    const auto append = [&](const char* text, size_t length) {
      if (length > sizeof(message) - n) length = sizeof(message) - n;
      memcpy(message + n, text, length);
      n += length;
    };
    append(kHead, sizeof(kHead) - 1);
    append(path, strnlen(path, sizeof(g_temp_path)));
    append(kTail, sizeof(kTail) - 1);
    [[maybe_unused]] const ssize_t written = write(STDERR_FILENO, message, n);
    _exit(1);
  }
  // Not a file we read: the fault repeats on return and ends the process.
  signal(SIGBUS, SIG_DFL);
}

sigset_t terminating_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kTerminating) sigaddset(&set, sig);
  return set;
}

}  // namespace

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_terminate;
  // A chat's SIGINT returns (InterruptCancels): a read or write it lands in
  // goes on rather than failing with EINTR, which stdio would take for an
  // error of the stream and lose its buffered output.
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (int sig : kTerminating) {
    // A shell that started us in the background with SIGINT ignored means it.
    struct sigaction old {};
    sigaction(sig, nullptr, &old);
    if (old.sa_handler == SIG_IGN) continue;
    sigaction(sig, &action, nullptr);
  }
  signal(SIGXFSZ, SIG_IGN);
  struct sigaction bus {};
  bus.sa_sigaction = on_bus_error;
  bus.sa_flags = SA_SIGINFO;
  sigemptyset(&bus.sa_mask);
  sigaction(SIGBUS, &bus, nullptr);
}

TempFileGuard::TempFileGuard(const std::string& path) {
  const size_t n = path.size() < sizeof(g_temp_path) - 1 ? path.size() : sizeof(g_temp_path) - 1;
  g_temp_armed = 0;
  memcpy(g_temp_path, path.data(), n);
  g_temp_path[n] = '\0';
  g_temp_armed = 1;
}

TempFileGuard::~TempFileGuard() {
  release();
}

void TempFileGuard::release() {
  if (armed_) g_temp_armed = 0;
  armed_ = false;
}

InterruptCancels::InterruptCancels(std::atomic<bool>* flag) {
  g_cancel.store(flag);
}

InterruptCancels::~InterruptCancels() {
  g_cancel.store(nullptr);
}

int interrupts_received() {
  return g_interrupts.load();
}

SignalsBlocked::SignalsBlocked() {
  const sigset_t set = terminating_set();
  pthread_sigmask(SIG_BLOCK, &set, &saved_);
}

SignalsBlocked::~SignalsBlocked() {
  pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
}

}  // namespace llmcu::cli
