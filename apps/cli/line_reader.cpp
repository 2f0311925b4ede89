#include "line_reader.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "signals.h"

#if defined(LLMCU_HAVE_EDITLINE)
#include <editline/readline.h>
#endif

namespace llmcu::cli {
namespace {

// A line of any length from standard input, or nothing at its end.
std::optional<std::string> plain_line(bool* interrupted) {
  std::string line;
  while (true) {
    const int c = getchar();
    if (c == EOF) {
      if (ferror(stdin) && errno == EINTR) {
        clearerr(stdin);
        *interrupted = true;
        return std::nullopt;
      }
      if (line.empty()) return std::nullopt;
      return line;
    }
    if (c == '\n') return line;
    line.push_back(static_cast<char>(c));
  }
}

}  // namespace

std::optional<std::string> LineReader::read(const char* prompt) {
  while (true) {
    bool interrupted = false;
    const int interrupts = interrupts_received();
    std::optional<std::string> line;
#if defined(LLMCU_HAVE_EDITLINE)
    if (edit_) {
      // Our SIGINT handler, not libedit's: an interrupt ends readline() with
      // nothing, and we ask again.
      rl_catch_signals = 0;
      errno = 0;
      char* text = readline(prompt);
      if (text != nullptr) {
        line = text;
        if (!line->empty()) add_history(text);
        free(text);
      }
      interrupted = text == nullptr && (errno == EINTR || interrupts_received() != interrupts);
    } else
#endif
    {
      fputs(prompt, stdout);
      fflush(stdout);
      line = plain_line(&interrupted);
      interrupted = interrupted || interrupts_received() != interrupts;
    }
    if (line.has_value()) return line;
    fputs("\n", stdout);  // after "^C" or "^D", the next prompt on a line of its own
    fflush(stdout);
    if (!interrupted) return std::nullopt;
  }
}

}  // namespace llmcu::cli
