// llmcu run [MODEL]: generate text with llama2.c's flags and defaults, or chat
// (-m chat). Standard output is exactly what llama2.c's run prints; statistics
// go to standard error.
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "chat_loop.h"
#include "cli.h"
#include "llmcu/chat.h"
#include "options.h"
#include "session.h"
#include "text_out.h"

namespace llmcu::cli {
namespace {

struct RunArgs {
  SessionArgs session;
  float temperature = 1.0f;
  float topp = 0.9f;
  uint64_t seed = 0;
  int32_t steps = 256;
  std::string prompt;
  bool has_prompt = false;
  std::string prompt_file;
  std::string mode = "generate";
  std::string system;
  bool has_system = false;
  int32_t generations = 1;
  int32_t top_k = 0;
  std::vector<std::string> stops;
  std::string chat_template;  // --chat-template
  bool verbose_prompt = false;
  bool no_huge_pages = false;  // read the mapping, not a huge-page copy (weights_for_decoding)
};

// The seed of generation g (from 0) after `seed`: s, s+1, ... skipping 0
// where they wrap past 2^64 - 1, since 0 means "one from the OS".
uint64_t nth_seed(uint64_t seed, int32_t g) {
  if (seed == 0) return 0;
  const uint64_t offset = static_cast<uint64_t>(g) % UINT64_MAX;
  return seed <= UINT64_MAX - offset ? seed + offset : seed - (UINT64_MAX - offset);
}

Status stdout_error() {
  return Status::error(StatusCode::kIoError, "cannot write the text to standard output: %s",
                       strerror(errno != 0 ? errno : EIO));
}

// Bytes of `prompt` that a generation prints back before its own text (the
// pieces of its tokens after BOS, as far as the steps reach).
Result<size_t> echoed_bytes(Generator& g, const std::string& prompt, int32_t steps) {
  LLMCU_TRY_ASSIGN(const std::span<const int32_t> ids, g.encode_prompt(prompt));
  const size_t positions = static_cast<size_t>(g.plan().positions(steps));
  size_t bytes = 0;
  for (size_t i = 1; i < ids.size() && i <= positions; ++i) {
    TextTokenizer& t = g.tokenizer();
    bytes += t.printable(t.decode(ids[i - 1], ids[i])).size();
  }
  return bytes;
}

Outcome generate(const RunArgs& args, const std::string& prompt) {
  SessionArgs session_args = args.session;
  session_args.prompt_bytes = prompt.size();
  LLMCU_TRY_ASSIGN(std::unique_ptr<Session> s, open_session(session_args));
  std::atomic<bool> cancel{false};
  TextOut out(args.stops, &cancel);
  // --stop looks at the generated text only, not at the prompt printed back.
  size_t echoed = 0;
  if (!args.stops.empty()) {
    LLMCU_TRY_ASSIGN(echoed, echoed_bytes(s->generator, prompt, args.steps));
  }
  for (int32_t g = 0; g < args.generations; ++g) {
    GenerateOptions options;
    options.prompt = prompt;
    options.steps = args.steps;
    options.temperature = args.temperature;
    options.topp = args.topp;
    options.top_k = args.top_k;
    options.seed = nth_seed(args.seed, g);
    options.cancel = &cancel;
    cancel.store(false);
    out.reset(echoed);
    Result<GenerationStats> result = s->generator.generate(options, TextOut::sink, &out);
    if (!result.is_ok()) {
      Status status = result.status();
      return status.with_context(s->model_path.c_str());
    }
    const GenerationStats& stats = *result;
    out.finish();
    printf("\n");
    if (out.failed() || fflush(stdout) != 0 || ferror(stdout)) return stdout_error();
    if (args.generations > 1) fprintf(stderr, "generation %d/%d\n", g + 1, args.generations);
    fprintf(stderr, "achieved tok/s: %f\n", stats.tokens_per_s);
    fprintf(stderr,
            "prompt tokens: %d, generated tokens: %d, positions: %d, time to first token: %.3f ms, "
            "seed: %" PRIu64 "\n",
            stats.prompt_tokens, stats.generated_tokens, stats.positions,
            static_cast<double>(stats.prefill_us) / 1000.0, stats.seed);
    fprintf(stderr, "memory: arena %zu bytes, weights %zu bytes (in place)", stats.arena_bytes,
            s->plan.weight_bytes);
    if (s->plan.model_memory > 0) {
      fprintf(stderr, ", model index %zu bytes", s->plan.model_memory);
    }
    fprintf(stderr, "\n");
  }
  return Outcome();
}

Outcome chat(const RunArgs& args) {
  ChatSettings settings;
  const bool terminal = isatty(STDIN_FILENO) != 0;
  settings.style = terminal ? ChatStyle::kInteractive : ChatStyle::kLlama2c;
  settings.line_editing = terminal;
  settings.ask_system = true;
  settings.has_system = args.has_system;
  settings.system = args.system;
  settings.has_first_user = args.has_prompt;
  settings.first_user = args.prompt;
  settings.stops = args.stops;
  settings.chat.steps = args.steps;
  settings.chat.temperature = args.temperature;
  settings.chat.topp = args.topp;
  settings.chat.top_k = args.top_k;
  settings.chat.seed = args.seed;
  settings.verbose_prompt = args.verbose_prompt;
  SessionArgs session_args = args.session;
  session_args.prompt_bytes = chat_prompt_bytes(settings);
  session_args.gguf_prompt_bytes = chat_template_prompt_bytes(settings);
  LLMCU_TRY_ASSIGN(std::unique_ptr<Session> s, open_session(session_args));
  if (Outcome o =
          choose_chat_template(s->loaded->model, s->model_path, args.chat_template, &settings.tmpl);
      !o.ok()) {
    return o;
  }
  // A template's chat reads its turns as `llmcu chat` does, piped or not.
  if (settings.tmpl != ChatTemplateKind::kNone) settings.style = ChatStyle::kInteractive;
  const ChatTemplate llama2(ChatFormat::kLlama2);
  Outcome outcome = run_chat(s->generator, llama2, settings);
  return outcome;
}

Outcome run(RunArgs args) {
  if (args.has_prompt && !args.prompt_file.empty()) {
    return Outcome::usage("run: give the prompt with -i or -f, not both");
  }
  if (args.mode == "chat" && (args.prompt == "-" || args.prompt_file == "-")) {
    return Outcome::usage("run: chat mode reads its turns from standard input; -i - cannot");
  }
  if (args.mode != "chat" && args.has_system) {
    return Outcome::usage("run: -y (a system prompt) is for -m chat");
  }
  if (args.mode != "chat" && (!args.chat_template.empty() || args.verbose_prompt)) {
    return Outcome::usage("run: --chat-template and --verbose-prompt are for -m chat");
  }
  args.session.huge_pages = !args.no_huge_pages;
  if (args.has_prompt && args.prompt == "-") {
    LLMCU_TRY_ASSIGN(args.prompt, read_text("-", kMaxPromptBytes));
  } else if (!args.prompt_file.empty()) {
    LLMCU_TRY_ASSIGN(args.prompt, read_text(args.prompt_file, kMaxPromptBytes));
    args.has_prompt = true;
  }
  if (args.mode == "chat") return chat(args);
  return generate(args, args.prompt);
}

}  // namespace

void add_sampling_options(CLI::App* cmd, float* temperature, float* topp, uint64_t* seed,
                          int32_t* top_k, std::vector<std::string>* stops) {
  add_real_option(cmd, "-t,--temperature", temperature, 0.0, 100.0, "0 is greedy");
  add_real_option(cmd, "-p,--topp", topp, 0.0, 1.0, "nucleus mass in [0,1]");
  add_uint64_option(cmd, "-s,--seed", seed, "random seed; 0 takes one from the OS");
  add_int_option(cmd, "--top-k", top_k, 0, INT32_MAX,
                 "sample from the k most probable tokens only; 0: all (llama2.c)");
  cmd->add_option("--stop", *stops, "end the text at this string (repeatable; not printed)")
      ->check(CLI::Validator(
          [](std::string& text) {
            return text.empty() ? std::string("a stop string cannot be empty") : std::string();
          },
          "TEXT"));
}

void add_chat_template_options(CLI::App* cmd, std::string* chat_template, bool* verbose_prompt) {
  cmd->add_option("--chat-template", *chat_template,
                  "chat in this template, not the GGUF file's own: " + chat_template_names())
      ->check(CLI::Validator(
          [](std::string& text) {
            return detect_chat_template(text) != ChatTemplateKind::kNone
                       ? std::string()
                       : "no template llmcu knows; the names: " + chat_template_names();
          },
          "NAME"));
  cmd->add_flag("--verbose-prompt", *verbose_prompt,
                "print each chat turn's text and tokens, as fed, to standard error");
}

void add_session_options(CLI::App* cmd, SessionArgs* session, bool* no_huge_pages) {
  add_path_option(cmd, "-z,--tokenizer", &session->tokenizer,
                  "tokenizer file (default: a container's own, else next to the model)");
  add_int_option(cmd, "--seq-len", &session->seq_len, 0, INT32_MAX,
                 "context to plan for (default: the model's)");
  add_int_option(cmd, "--threads", &session->threads, 0, kMaxThreads,
                 "worker threads (default: 1 for tiny models, else every CPU)");
  add_batch_option(cmd, &session->batch);
  cmd->add_flag("--no-huge-pages", *no_huge_pages,
                "read the weights from the file mapping, not a huge-page copy");
}

Registration register_run(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd =
      app.add_subcommand("run", "generate text or chat (llama2.c's flags and defaults)");
  CLI::Option* model =
      cmd->add_option("model", args->session.model,
                      "checkpoint or pack container (default: stories260K from LLMCU_MODELS)");
  add_sampling_options(cmd, &args->temperature, &args->topp, &args->seed, &args->top_k,
                       &args->stops);
  add_int_option(cmd, "-n,--steps", &args->steps, 0, INT32_MAX,
                 "positions to run; 0 means the whole context");
  CLI::Option* prompt = cmd->add_option("-i,--prompt", args->prompt,
                                        "prompt text; - reads it "
                                        "from standard input");
  add_path_option(cmd, "-f,--prompt-file", &args->prompt_file, "read the prompt from a file");
  cmd->add_option("-m,--mode", args->mode, "generate or chat")
      ->check(CLI::IsMember({"generate", "chat"}))
      ->capture_default_str();
  CLI::Option* system = cmd->add_option("-y,--system", args->system, "system prompt (chat mode)");
  add_chat_template_options(cmd, &args->chat_template, &args->verbose_prompt);
  add_int_option(cmd, "--generations", &args->generations, 1, 1000000,
                 "stories to generate back to back (seeds s, s+1, ...)");
  add_session_options(cmd, &args->session, &args->no_huge_pages);
  return {cmd, [args, model, prompt, system]() -> Outcome {
            args->session.model_given = model->count() > 0;
            args->has_prompt = prompt->count() > 0;
            args->has_system = system->count() > 0;
            return run(*args);
          }};
}

}  // namespace llmcu::cli
