// How the llmcu process meets signals. Installed once by main():
//  - SIGINT, SIGTERM, SIGHUP, SIGPIPE: the temporary output file being
//    written, if any, is removed, then the process ends by the signal as usual;
//  - SIGXFSZ is ignored: a write past the file-size limit fails with EFBIG and
//    the command reports it (exit 1) and removes its temporary file;
//  - SIGBUS in a mapped input file (truncated while it was being read): a
//    message naming the file and exit 1, instead of a crash.
// A chat session can make SIGINT cancel the current answer instead.
#pragma once

#include <signal.h>

#include <atomic>
#include <string>

namespace llmcu::cli {

void install_signal_handlers();

// While alive, a fatal signal removes `path` before the process ends.
class TempFileGuard {
 public:
  explicit TempFileGuard(const std::string& path);
  ~TempFileGuard();
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  // The file was renamed or removed: nothing to clean up any more.
  void release();

 private:
  bool armed_ = true;
};

// While alive, SIGINT sets *flag (and counts) instead of ending the process.
class InterruptCancels {
 public:
  explicit InterruptCancels(std::atomic<bool>* flag);
  ~InterruptCancels();
  InterruptCancels(const InterruptCancels&) = delete;
  InterruptCancels& operator=(const InterruptCancels&) = delete;
};

// SIGINTs received while an InterruptCancels was alive.
int interrupts_received();

// Blocks the signals above while alive (around creating and registering a
// temporary file, so none can end the process in between).
class SignalsBlocked {
 public:
  SignalsBlocked();
  ~SignalsBlocked();

 private:
  sigset_t saved_;
};

}  // namespace llmcu::cli
