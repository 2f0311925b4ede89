#include "line_reader.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <clocale>
#include <cstdio>
#include <cstdlib>

#include "signals.h"

#if defined(LLMCU_HAVE_EDITLINE)
#include <editline/readline.h>
#endif

namespace llmcu::cli {
namespace {

#if defined(LLMCU_HAVE_EDITLINE)
// interrupts_received() when the current readline() began.
int g_interrupts_at_prompt = 0;
// A byte read past an invalid UTF-8 sequence, returned next; -2 if none.
int g_pending_byte = -2;

// The next byte of `fd`, or -1 at its end or once an interrupt has come.
// SIGINT is blocked except inside ppoll(), so one that arrives while libedit
// is drawing is seen here instead of being lost until the next key.
int read_byte(int fd) {
  sigset_t sigint, saved;
  sigemptyset(&sigint);
  sigaddset(&sigint, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigint, &saved);
  sigset_t waiting = saved;
  sigdelset(&waiting, SIGINT);
  int result = -1;
  while (interrupts_received() == g_interrupts_at_prompt) {
    pollfd ready{fd, POLLIN, 0};
    if (ppoll(&ready, 1, nullptr, &waiting) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    unsigned char byte;
    const ssize_t n = read(fd, &byte, 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n == 1) result = byte;
    break;
  }
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  return result;
}

// libedit's key reader (rl_getc_function): one character as a code point,
// since libedit stores what this returns as a wchar_t unconverted; -1 ends
// readline(). Invalid UTF-8 is dropped, as libedit's own reader drops it.
int read_key(FILE* in) {
  const int fd = fileno(in);
  while (true) {
    int lead = g_pending_byte;
    g_pending_byte = -2;
    if (lead == -2) lead = read_byte(fd);
    if (lead < 0x80) return lead;
    const int extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
    if (extra == 0 || lead > 0xF4) continue;
    int code = lead & (0x3F >> extra);
    bool valid = true;
    for (int i = 0; i < extra && valid; ++i) {
      const int next = read_byte(fd);
      if (next < 0) return -1;
      if ((next & 0xC0) != 0x80) {
        g_pending_byte = next;
        valid = false;
      } else {
        code = (code << 6) | (next & 0x3F);
      }
    }
    static constexpr int kSmallest[] = {0, 0x80, 0x800, 0x10000};
    if (valid && code >= kSmallest[extra] && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF)) {
      return code;
    }
  }
}
#endif

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

LineReader::LineReader(bool edit) : edit_(edit) {
#if defined(LLMCU_HAVE_EDITLINE)
  // libedit turns the line's code points back into bytes by the locale's
  // character set: UTF-8, whatever the environment says.
  if (edit_ && setlocale(LC_CTYPE, "C.UTF-8") == nullptr) setlocale(LC_CTYPE, "");
#endif
}

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
      rl_getc_function = read_key;
      g_interrupts_at_prompt = interrupts;
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
