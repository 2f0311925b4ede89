#include "chat_loop.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>

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

// A chat template's markers around a turn, the end of the previous reply
// included: Llama 3's, the longest, take about 170 bytes with a system turn.
constexpr size_t kTemplateBytes = 256;

// The text of each user turn: llama2.c's Llama 2 layout, or a GGUF model's
// template rendered from the first message not fed yet, after the end of the
// previous reply (the model's end-of-turn token is not fed: chat.h).
class TurnText {
 public:
  TurnText(const ChatTemplate& llama2c, ChatTemplateKind tmpl) : llama2c_(llama2c), tmpl_(tmpl) {}

  // `first_turn`: the conversation is at position 0 (the llama2.c layout).
  std::string render(std::string_view system, std::string_view user, bool first_turn) const {
    if (tmpl_ == ChatTemplateKind::kNone) return llama2c_render(llama2c_, system, user, first_turn);
    std::vector<ChatTurn> messages = history_;
    if (!started_ && !system.empty()) messages.push_back({ChatRole::kSystem, system});
    messages.push_back({ChatRole::kUser, user});
    std::string text = started_ ? chat_reply_end(tmpl_) : "";
    const size_t at = text.size();
    const size_t first = started_ ? history_.size() : 0;
    text.resize(at + render_chat(tmpl_, messages, /*add_assistant=*/true, {}, first));
    render_chat(tmpl_, messages, true, std::span<char>(text.data() + at, text.size() - at), first);
    return text;
  }

  // The turn for `user` was fed: it and its answer are the history. The
  // answers are kept empty: only the text from the first message not fed
  // is rendered, and that does not depend on what came before.
  void fed(std::string_view system, std::string_view user) {
    if (tmpl_ == ChatTemplateKind::kNone) return;
    if (!started_ && !system.empty()) add(ChatRole::kSystem, system);
    add(ChatRole::kUser, user);
    add(ChatRole::kAssistant, "");
    started_ = true;
  }

 private:
  static std::string llama2c_render(const ChatTemplate& t, std::string_view system,
                                    std::string_view user, bool first_turn) {
    const ChatMessage message{system, user};
    std::string text(t.render(message, first_turn, {}), '\0');
    t.render(message, first_turn, text);
    return text;
  }
  void add(ChatRole role, std::string_view content) {
    texts_.emplace_back(content);
    history_.push_back({role, texts_.back()});
  }

  const ChatTemplate& llama2c_;
  ChatTemplateKind tmpl_;
  std::deque<std::string> texts_;  // what history_ points into
  std::vector<ChatTurn> history_;
  bool started_ = false;  // a turn was fed
};

// --verbose-prompt: a turn's text (between byte counts, so that it can be
// read back exactly) and the tokens fed for it.
void show_prompt(const std::string& text, std::span<const int32_t> tokens) {
  fprintf(stderr, "[prompt: %zu bytes]\n", text.size());
  fwrite(text.data(), 1, text.size(), stderr);
  fprintf(stderr, "\n[prompt: %zu tokens:", tokens.size());
  for (const int32_t t : tokens) fprintf(stderr, " %d", t);
  fputs("]\n", stderr);
}

void show_end(const TurnStats& stats, const TextTokenizer& tokenizer) {
  if (stats.end != TurnEnd::kEndOfTurn || stats.end_token < 0) return;
  const std::string piece(tokenizer.piece(stats.end_token));
  fprintf(stderr, "[answer: %d tokens, ended by token %d %s]\n", stats.generated_tokens,
          stats.end_token, piece.c_str());
}

// Encodes one turn, shows it with --verbose-prompt, prints "Assistant: "
// (then `*answering` is true) and feeds it.
Result<TurnStats> take_turn(Chat& chat, Generator& generator, const std::string& prompt,
                            const ChatSettings& s, TextOut& out, bool* answering) {
  *answering = false;
  LLMCU_TRY_ASSIGN(const std::span<const int32_t> tokens, chat.encode(prompt));
  if (s.verbose_prompt) {
    fflush(stdout);
    show_prompt(prompt, tokens);
  }
  fputs("Assistant: ", stdout);
  *answering = true;
  if (s.style == ChatStyle::kInteractive) fflush(stdout);
  LLMCU_TRY_ASSIGN(const TurnStats stats, chat.turn_tokens(tokens, TextOut::sink, &out));
  if (s.verbose_prompt) show_end(stats, generator.tokenizer());
  return stats;
}

Status write_failed() {
  return Status::error(StatusCode::kIoError, "cannot write to standard output: %s",
                       strerror(errno != 0 ? errno : EIO));
}

Outcome llama2c_session(Chat& chat, Generator& generator, const TurnText& text,
                        const ChatSettings& s, TextOut& out, std::atomic<bool>& cancel) {
  std::string system = s.system;
  std::string user;
  if (!s.has_system) read_like_llama2c("Enter system prompt (optional): ", &system);
  while (!chat.finished()) {
    if (chat.position() == 0 && s.has_first_user) {
      user = s.first_user;
    } else {
      read_like_llama2c("User: ", &user);
    }
    const std::string prompt = text.render(system, user, chat.position() == 0);
    out.reset();
    cancel.store(false);  // a --stop string ends one answer, not the session
    bool answering = false;
    LLMCU_TRY(take_turn(chat, generator, prompt, s, out, &answering).status());
    out.finish();
    if (out.failed()) return write_failed();
  }
  fputs("\n", stdout);
  return Outcome();
}

Outcome interactive_session(Chat& chat, Generator& generator, TurnText& text, const ChatSettings& s,
                            TextOut& out, std::atomic<bool>& cancel) {
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
    const std::string prompt = text.render(system, user, chat.position() == 0);
    out.reset();
    cancel.store(false);
    const int32_t position = chat.position();
    bool answering = false;
    Result<TurnStats> turn = take_turn(chat, generator, prompt, s, out, &answering);
    if (chat.position() != position) text.fed(system, user);
    out.finish();
    if (answering) fputs("\n", stdout);
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

size_t chat_template_prompt_bytes(const ChatSettings& settings) {
  ChatSettings s = settings;
  s.style = ChatStyle::kInteractive;  // a template's chat always is
  return chat_prompt_bytes(s) + kTemplateBytes;
}

std::string chat_template_names() {
  std::string names;
  for (ChatTemplateKind t :
       {ChatTemplateKind::kChatML, ChatTemplateKind::kLlama2, ChatTemplateKind::kLlama2Sys,
        ChatTemplateKind::kLlama2SysBos, ChatTemplateKind::kLlama2SysStrip,
        ChatTemplateKind::kLlama3, ChatTemplateKind::kZephyr}) {
    if (!names.empty()) names += ", ";
    names += chat_template_name(t);
  }
  return names;
}

Outcome choose_chat_template(const Model& model, const std::string& path, const std::string& name,
                             ChatTemplateKind* tmpl) {
  *tmpl = ChatTemplateKind::kNone;
  if (!name.empty()) {
    const ChatTemplateKind forced = detect_chat_template(name);
    if (forced == ChatTemplateKind::kNone) {
      return Outcome::usage("--chat-template: '%.64s' is no template llmcu knows (names: %s)",
                            name.c_str(), chat_template_names().c_str());
    }
    if (model.gguf == nullptr) {
      return Outcome::usage(
          "--chat-template is for GGUF models: %s is a llama2.c model, which chats in "
          "llama2.c's Llama 2 layout",
          path.c_str());
    }
    *tmpl = forced;
    return Outcome();
  }
  if (model.gguf == nullptr) return Outcome();
  *tmpl = model_chat_template(model);
  if (*tmpl == ChatTemplateKind::kNone) {
    const bool has = model.gguf->find("tokenizer.chat_template") != nullptr;
    fprintf(stderr,
            "note: %s has %s; the turns use llama2.c's Llama 2 layout (--chat-template NAME "
            "chooses one of %s)\n",
            path.c_str(), has ? "a chat template llmcu does not know" : "no chat template",
            chat_template_names().c_str());
  }
  return Outcome();
}

Outcome run_chat(Generator& generator, const ChatTemplate& chat_template,
                 const ChatSettings& settings) {
  std::atomic<bool> cancel{false};
  ChatOptions options = settings.chat;
  options.cancel = &cancel;
  const bool templated = settings.tmpl != ChatTemplateKind::kNone;
  const bool llama2c = settings.style == ChatStyle::kLlama2c && !templated;
  options.llama2c_compatible = llama2c;
  options.template_turns = templated;
  LLMCU_TRY_ASSIGN(Chat chat, Chat::start(&generator, options));
  TextOut out(settings.stops, &cancel);
  TurnText text(chat_template, settings.tmpl);
  if (llama2c) return llama2c_session(chat, generator, text, settings, out, cancel);
  // Ctrl-C stops the answer (or the line being typed), not the session.
  InterruptCancels interrupts(&cancel);
  return interactive_session(chat, generator, text, settings, out, cancel);
}

}  // namespace llmcu::cli
