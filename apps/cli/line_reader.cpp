#include "line_reader.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "signals.h"

#if defined(LLMCU_HAVE_EDITLINE)
#include <editline/readline.h>
#endif

namespace llmcu::cli {
namespace {

// interrupts_received() when the current read() began.
int g_interrupts_at_prompt = 0;

// Up to `capacity` bytes of `fd` into `bytes`: how many, 0 at its end, or -1
// once an interrupt has come. SIGINT restarts reads and writes (signals.cpp),
// so it is unblocked only inside ppoll(), which it always interrupts: one that
// arrives while the prompt is drawn is seen here, not after the next key.
ssize_t read_some(int fd, unsigned char* bytes, size_t capacity) {
  sigset_t sigint, saved;
  sigemptyset(&sigint);
  sigaddset(&sigint, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigint, &saved);
  sigset_t waiting = saved;
  sigdelset(&waiting, SIGINT);
  ssize_t result = -1;
  while (interrupts_received() == g_interrupts_at_prompt) {
    pollfd ready{fd, POLLIN, 0};
    if (ppoll(&ready, 1, nullptr, &waiting) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    const ssize_t n = read(fd, bytes, capacity);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    result = n < 0 ? -1 : n;
    break;
  }
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  return result;
}

#if defined(LLMCU_HAVE_EDITLINE)
// A byte read past an invalid UTF-8 sequence, returned next; -2 if none.
int g_pending_byte = -2;

// The next byte of `fd`, or -1 at its end or once an interrupt has come; one
// read at a time, so that libedit sees typeahead as the terminal holds it.
int read_byte(int fd) {
  unsigned char byte;
  return read_some(fd, &byte, 1) == 1 ? byte : -1;
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

// Standard input read ahead by plain_line(), its only reader.
unsigned char g_input[4096];
size_t g_input_begin = 0;
size_t g_input_end = 0;

// A line of any length from standard input, or nothing at its end or (then
// `*interrupted`) once an interrupt has come.
std::optional<std::string> plain_line(bool* interrupted) {
  std::string line;
  while (true) {
    if (g_input_begin == g_input_end) {
      const ssize_t n = read_some(STDIN_FILENO, g_input, sizeof(g_input));
      if (n <= 0) {
        *interrupted = n < 0 && interrupts_received() != g_interrupts_at_prompt;
        if (*interrupted || line.empty()) return std::nullopt;
        return line;
      }
      g_input_begin = 0;
      g_input_end = static_cast<size_t>(n);
    }
    const unsigned char* begin = g_input + g_input_begin;
    const unsigned char* end = g_input + g_input_end;
    const unsigned char* newline =
        static_cast<const unsigned char*>(memchr(begin, '\n', end - begin));
    const unsigned char* stop = newline != nullptr ? newline : end;
    line.append(reinterpret_cast<const char*>(begin), stop - begin);
    g_input_begin = (newline != nullptr ? newline + 1 : end) - g_input;
    if (newline != nullptr) return line;
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
    g_interrupts_at_prompt = interrupts;
#if defined(LLMCU_HAVE_EDITLINE)
    if (edit_) {
      // Our SIGINT handler, not libedit's: an interrupt ends readline() with
      // nothing, and we ask again.
      rl_catch_signals = 0;
      rl_getc_function = read_key;
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
