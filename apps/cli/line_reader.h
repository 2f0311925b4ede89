// The lines of a chat: typed at a terminal with line editing and history
// (libedit, when the build has it), or read from a pipe.
#pragma once

#include <optional>
#include <string>

namespace llmcu::cli {

class LineReader {
 public:
  // `edit`: standard input is a terminal worth editing on.
  explicit LineReader(bool edit);

  // Shows `prompt` and returns the next line without its newline, or nothing
  // at the end of input (Ctrl-D). An interrupt (Ctrl-C, while SIGINT cancels:
  // signals.h) drops the line being typed and asks again.
  std::optional<std::string> read(const char* prompt);

 private:
  bool edit_;
};

}  // namespace llmcu::cli
