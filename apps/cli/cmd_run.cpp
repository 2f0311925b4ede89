// llmcu run [MODEL]: generate text with llama2.c's flags and defaults.
// Standard output is exactly what llama2.c's run prints; statistics go to
// standard error.
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "cli.h"
#include "llmcu/generator.h"
#include "model_store.h"
#include "options.h"
#include "thread_pool.h"

namespace llmcu::cli {
namespace {

struct RunArgs {
  std::string model;      // empty: the default model
  std::string tokenizer;  // empty: next to the model
  float temperature = 1.0f;
  float topp = 0.9f;
  uint64_t seed = 0;
  int32_t steps = 256;
  std::string prompt;
  int32_t generations = 1;
  int32_t seq_len = 0;
  int32_t threads = 0;         // 0: choose_threads() picks
  bool no_huge_pages = false;  // read the mapping, not a huge-page copy (weights_for_decoding)
};

void print_to_stdout(void*, std::string_view piece) {
  fwrite(piece.data(), 1, piece.size(), stdout);
  fflush(stdout);
}

Outcome run(const RunArgs& args) {
  std::string model_path = args.model;
  if (model_path.empty()) {
    LLMCU_TRY_ASSIGN(model_path, ensure_default_file(kDefaultModel));
  }
  LLMCU_TRY_ASSIGN(std::unique_ptr<LoadedModel> loaded,
                   load_model_file(model_path, !args.no_huge_pages));
  const Model& model = loaded->model;

  std::string tokenizer_path = args.tokenizer;
  if (tokenizer_path.empty()) {
    LLMCU_TRY_ASSIGN(tokenizer_path, args.model.empty()
                                         ? ensure_default_file(kDefaultTokenizer)
                                         : tokenizer_next_to(model_path, model.config.vocab_size));
  }
  LLMCU_TRY_ASSIGN(host::MappedFile tokenizer_file, host::MappedFile::open(tokenizer_path));

  SessionOptions session;
  session.seq_len = args.seq_len;
  session.prompt_bytes = args.prompt.size();
  LLMCU_TRY_ASSIGN(const MemoryPlan plan, plan_memory(model, session));
  LLMCU_TRY_ASSIGN(ArenaMemory arena, ArenaMemory::allocate(plan.arena_bytes, model_path));
  // Touch the arena now: its pages (mostly KV cache) would otherwise fault in
  // one at a time while tokens are decoded, a few percent of a small model's
  // tokens/s. Only when memory clearly allows it; a plan can be huge.
  if (plan.arena_bytes <= available_memory_bytes() / 2) {
    memset(arena.span().data(), 0, plan.arena_bytes);
  }
  host::ThreadPool pool(choose_threads(args.threads, model.file_bytes));
  LLMCU_TRY_ASSIGN(Generator generator,
                   Generator::create(model, tokenizer_file.bytes(), tokenizer_path.c_str(), plan,
                                     arena.span(), &pool));

  for (int32_t g = 0; g < args.generations; ++g) {
    GenerateOptions options;
    options.prompt = args.prompt;
    options.steps = args.steps;
    options.temperature = args.temperature;
    options.topp = args.topp;
    options.seed = args.seed == 0 ? 0 : args.seed + static_cast<uint64_t>(g);
    LLMCU_TRY_ASSIGN(const GenerationStats stats,
                     generator.generate(options, print_to_stdout, nullptr));
    printf("\n");
    if (fflush(stdout) != 0 || ferror(stdout)) {
      return Status::error(StatusCode::kIoError, "cannot write the text to standard output: %s",
                           strerror(errno));
    }
    if (args.generations > 1) fprintf(stderr, "generation %d/%d\n", g + 1, args.generations);
    fprintf(stderr, "achieved tok/s: %f\n", stats.tokens_per_s);
    fprintf(stderr,
            "prompt tokens: %d, generated tokens: %d, positions: %d, time to first token: %.3f ms, "
            "seed: %" PRIu64 "\n",
            stats.prompt_tokens, stats.generated_tokens, stats.positions,
            static_cast<double>(stats.prefill_us) / 1000.0, stats.seed);
    fprintf(stderr, "memory: arena %zu bytes, weights %zu bytes (in place)\n", stats.arena_bytes,
            plan.weight_bytes);
  }
  return Outcome();
}

}  // namespace

Registration register_run(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "generate text (llama2.c's flags and defaults)");
  cmd->add_option("model", args->model, "checkpoint (default: stories260K from LLMCU_MODELS)");
  cmd->add_option("-z,--tokenizer", args->tokenizer, "tokenizer file (default: next to the model)");
  cmd->add_option("-t,--temperature", args->temperature, "0 is greedy")
      ->check(CLI::NonNegativeNumber)
      ->default_val(1.0);
  cmd->add_option("-p,--topp", args->topp, "nucleus mass in [0,1]")
      ->check(CLI::Range(0.0, 1.0))
      ->default_val(0.9);
  cmd->add_option("-s,--seed", args->seed, "random seed; 0 takes one from the OS")
      ->check(kUint64)
      ->default_val(0);
  cmd->add_option("-n,--steps", args->steps, "positions to run; 0 means the whole context")
      ->check(CLI::NonNegativeNumber)
      ->default_val(256);
  cmd->add_option("-i,--prompt", args->prompt, "prompt text");
  cmd->add_option("--generations", args->generations,
                  "stories to generate back to back (seeds s, s+1, ...)")
      ->check(CLI::PositiveNumber)
      ->default_val(1);
  cmd->add_option("--seq-len", args->seq_len, "context to plan for (default: the model's)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", args->threads,
                  "worker threads (default: 1 for tiny models, else every CPU)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-huge-pages", args->no_huge_pages,
                "read the weights from the file mapping, not a huge-page copy");
  return {cmd, [args]() -> Outcome {
            // CLI11's range checks let NaN through (every comparison with it is false).
            if (std::isnan(args->temperature) || std::isnan(args->topp)) {
              return Outcome::usage("run: --temperature and --topp must be numbers, not NaN");
            }
            return run(*args);
          }};
}

}  // namespace llmcu::cli
