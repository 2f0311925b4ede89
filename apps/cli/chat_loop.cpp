#include "chat_loop.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "line_reader.h"
#include "signals.h"
#include "text_out.h"

namespace llmcu::cli {
namespace {

// llama2.c's read_stdin(): at most 511 bytes of a line (the rest is left for
// the next read), the newline stripped, the text up to a NUL byte; at the end
// of input the buffer keeps what it held.
constexpr size_t kLlama2cLineBytes = 512;

void read_like_llama2c(const char* guide, std::string* buffer) {
  fputs(guide, stdout);
  char line[kLlama2cLineBytes];
  if (fgets(line, sizeof(line), stdin) != nullptr) {
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
    *buffer = line;
  }
}

std::string render(const ChatTemplate& t, std::string_view system, std::string_view user,
                   bool first_turn) {
  const ChatMessage message{system, user};
  std::string text(t.render(message, first_turn, {}), '\0');
  t.render(message, first_turn, text);
  return text;
}

Status write_failed() {
  return Status::error(StatusCode::kIoError, "cannot write to standard output: %s",
                       strerror(errno != 0 ? errno : EIO));
}

Outcome llama2c_session(Chat& chat, const ChatTemplate& t, const ChatSettings& s, TextOut& out,
                        std::atomic<bool>& cancel) {
  std::string system = s.system;
  std::string user;
  if (!s.has_system) read_like_llama2c("Enter system prompt (optional): ", &system);
  while (!chat.finished()) {
    if (chat.position() == 0 && s.has_first_user) {
      user = s.first_user;
    } else {
      read_like_llama2c("User: ", &user);
    }
    const std::string prompt = render(t, system, user, chat.position() == 0);
    fputs("Assistant: ", stdout);
    out.reset();
    cancel.store(false);  // a --stop string ends one answer, not the session
    LLMCU_TRY(chat.turn(prompt, TextOut::sink, &out).status());
    out.finish();
    if (out.failed()) return write_failed();
  }
  fputs("\n", stdout);
  return Outcome();
}

Outcome interactive_session(Chat& chat, const ChatTemplate& t, const ChatSettings& s, TextOut& out,
                            std::atomic<bool>& cancel) {
  LineReader reader(s.line_editing);
  std::string system = s.system;
  if (!s.has_system && s.ask_system) {
    std::optional<std::string> line = reader.read("Enter system prompt (optional): ");
    if (!line.has_value()) return Outcome();
    system = *line;
  }
  bool first = true;
  while (!chat.finished()) {
    std::string user;
    if (first && s.has_first_user) {
      user = s.first_user;
    } else {
      std::optional<std::string> line = reader.read("User: ");
      if (!line.has_value()) break;  // Ctrl-D
      if (line->empty()) continue;
      user = *line;
    }
    first = false;
    const std::string prompt = render(t, system, user, chat.position() == 0);
    fputs("Assistant: ", stdout);
    fflush(stdout);
    out.reset();
    cancel.store(false);
    Result<TurnStats> turn = chat.turn(prompt, TextOut::sink, &out);
    out.finish();
    fputs("\n", stdout);
    fflush(stdout);
    if (out.failed()) return write_failed();
    if (!turn.is_ok()) {
      // A turn too long for the session's prompt memory: say so, go on.
      if (turn.status().code() != StatusCode::kOutOfRange) return turn.status();
      fprintf(stderr, "error: %s\n", turn.status().message());
      continue;
    }
    if (turn->end == TurnEnd::kContextFull) {
      fprintf(stderr, "[the conversation filled all %d positions; it ends here]\n", chat.steps());
    } else if (turn->end == TurnEnd::kCancelled && !out.stopped()) {
      fputs("[stopped]\n", stderr);
    }
  }
  return Outcome();
}

}  // namespace

size_t chat_prompt_bytes(const ChatSettings& s) {
  // A rendered turn: the template's text, the system prompt and the line.
  // llama2.c reads lines of at most 511 bytes; a person may paste more.
  const size_t line = s.style == ChatStyle::kLlama2c ? kLlama2cLineBytes : size_t{16} << 10;
  const size_t system = s.has_system ? s.system.size() : line;
  const size_t user = s.has_first_user && s.first_user.size() > line ? s.first_user.size() : line;
  return 64 + system + user;
}

Outcome run_chat(Generator& generator, const ChatTemplate& chat_template,
                 const ChatSettings& settings) {
  std::atomic<bool> cancel{false};
  ChatOptions options = settings.chat;
  options.cancel = &cancel;
  options.llama2c_compatible = settings.style == ChatStyle::kLlama2c;
  LLMCU_TRY_ASSIGN(Chat chat, Chat::start(&generator, options));
  TextOut out(settings.stops, &cancel);
  if (settings.style == ChatStyle::kLlama2c) {
    return llama2c_session(chat, chat_template, settings, out, cancel);
  }
  // Ctrl-C stops the answer (or the line being typed), not the session.
  InterruptCancels interrupts(&cancel);
  return interactive_session(chat, chat_template, settings, out, cancel);
}

}  // namespace llmcu::cli
