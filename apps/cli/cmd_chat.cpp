// llmcu chat [MODEL]: a conversation with a chat model. On a terminal, lines
// are edited with history, Ctrl-C stops the answer and Ctrl-D ends the
// session; from a pipe, one turn per line until the end of input.
#include <unistd.h>

#include "chat_loop.h"
#include "cli.h"
#include "llmcu/chat.h"
#include "options.h"
#include "session.h"

namespace llmcu::cli {
namespace {

struct ChatArgs {
  SessionArgs session;
  float temperature = 1.0f;
  float topp = 0.9f;
  uint64_t seed = 0;
  int32_t top_k = 0;
  int32_t steps = 0;
  std::string system;
  std::vector<std::string> stops;
  std::string chat_template;  // --chat-template
  bool verbose_prompt = false;
  bool no_huge_pages = false;
};

Outcome chat(const ChatArgs& args, bool has_system) {
  ChatSettings settings;
  settings.style = ChatStyle::kInteractive;
  settings.line_editing = isatty(STDIN_FILENO) != 0;
  settings.ask_system = false;
  settings.has_system = has_system;
  settings.system = args.system;
  settings.stops = args.stops;
  settings.chat.steps = args.steps;
  settings.chat.temperature = args.temperature;
  settings.chat.topp = args.topp;
  settings.chat.top_k = args.top_k;
  settings.chat.seed = args.seed;
  settings.verbose_prompt = args.verbose_prompt;
  SessionArgs session_args = args.session;
  session_args.huge_pages = !args.no_huge_pages;
  session_args.prompt_bytes = chat_prompt_bytes(settings);
  session_args.gguf_prompt_bytes = chat_template_prompt_bytes(settings);
  LLMCU_TRY_ASSIGN(std::unique_ptr<Session> s, open_session(session_args));
  if (Outcome o =
          choose_chat_template(s->loaded->model, s->model_path, args.chat_template, &settings.tmpl);
      !o.ok()) {
    return o;
  }
  const ChatTemplate llama2(ChatFormat::kLlama2);
  return run_chat(s->generator, llama2, settings);
}

}  // namespace

Registration register_chat(CLI::App& app) {
  auto args = std::make_shared<ChatArgs>();
  CLI::App* cmd = app.add_subcommand(
      "chat",
      "talk with a model: line editing and history on a terminal, Ctrl-C stops an "
      "answer, Ctrl-D ends");
  CLI::Option* model =
      cmd->add_option("model", args->session.model,
                      "checkpoint or pack container (default: stories260K from LLMCU_MODELS)");
  add_sampling_options(cmd, &args->temperature, &args->topp, &args->seed, &args->top_k,
                       &args->stops);
  add_int_option(cmd, "-n,--steps", &args->steps, 0, INT32_MAX,
                 "positions for the whole conversation; 0 means the whole context");
  CLI::Option* system = cmd->add_option("-y,--system", args->system, "system prompt");
  add_chat_template_options(cmd, &args->chat_template, &args->verbose_prompt);
  add_session_options(cmd, &args->session, &args->no_huge_pages);
  return {cmd, [args, model, system]() -> Outcome {
            args->session.model_given = model->count() > 0;
            return chat(*args, system->count() > 0);
          }};
}

}  // namespace llmcu::cli
