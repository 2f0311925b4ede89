// llmcu eval MODEL (--text FILE | --tokens "ID ...") [--logits-out FILE]:
// teacher-forced perplexity of any model we read (llmcu/evaluate.h).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "cli.h"
#include "host_tokenizer.h"
#include "llmcu/arena.h"
#include "llmcu/evaluate.h"
#include "llmcu/memory_plan.h"
#include "llmcu/model.h"
#include "llmcu/tokenizer.h"
#include "llmcu/transformer.h"
#include "mapped_file.h"
#include "model_store.h"
#include "options.h"
#include "output_file.h"

namespace llmcu::cli {
namespace {

Result<std::vector<int32_t>> parse_tokens(const std::string& text) {
  std::vector<int32_t> ids;
  const char* p = text.c_str();
  while (true) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == ',') ++p;
    if (*p == '\0') break;
    errno = 0;
    char* end = nullptr;
    const long v = strtol(p, &end, 10);
    if (end == p || errno != 0 || v < 0 || v > INT32_MAX ||
        (*end != '\0' && *end != ' ' && *end != '\t' && *end != '\n' && *end != ',')) {
      return Status::error(StatusCode::kInvalidArgument,
                           "--tokens: '%.20s' is not a token id (non-negative integer)", p);
    }
    ids.push_back(static_cast<int32_t>(v));
    p = end;
  }
  if (ids.empty()) return Status::error(StatusCode::kInvalidArgument, "--tokens: no token ids");
  return ids;
}

// Texts to evaluate: a few MB of text is hours of teacher forcing on a large
// model, and encoding takes 24 bytes of work per byte.
constexpr size_t kMaxEvalTextBytes = size_t{16} << 20;

// The ids of a text file, BOS first (as the vocabulary adds it, for GGUF).
Result<std::vector<int32_t>> encode_text_file(const std::string& text_path,
                                              HostTokenizer& tokenizer) {
  LLMCU_TRY_ASSIGN(const std::string text, read_text(text_path, kMaxEvalTextBytes));
  return tokenizer.encode(text, /*add_special=*/true);
}

// The same with a llama2.c tokenizer held in memory (a container's).
Result<std::vector<int32_t>> encode_text_file(const std::string& text_path,
                                              std::span<const uint8_t> tokenizer_bytes,
                                              const std::string& tokenizer_name,
                                              int32_t vocab_size) {
  LLMCU_TRY_ASSIGN(const std::string text, read_text(text_path, kMaxEvalTextBytes));
  std::vector<uint32_t> tables(Tokenizer::table_bytes(vocab_size) / sizeof(uint32_t) + 1);
  LLMCU_TRY_ASSIGN(Tokenizer tokenizer, Tokenizer::load(tokenizer_bytes, vocab_size,
                                                        {reinterpret_cast<uint8_t*>(tables.data()),
                                                         tables.size() * sizeof(uint32_t)},
                                                        tokenizer_name.c_str()));
  std::vector<int32_t> work(Tokenizer::encode_work_ints(text.size()));
  int32_t n = 0;
  LLMCU_TRY(tokenizer.encode(text, /*bos=*/true, /*eos=*/false, work, &n));
  work.resize(static_cast<size_t>(n));
  return work;
}

Status write_logits_row(void* user, int32_t, const float* logits, int32_t vocab_size) {
  FILE* f = static_cast<FILE*>(user);
  if (fwrite(logits, sizeof(float), static_cast<size_t>(vocab_size), f) !=
      static_cast<size_t>(vocab_size)) {
    return Status::error(StatusCode::kIoError, "writing logits failed: %s", strerror(errno));
  }
  return Status::ok();
}

struct EvalArgs {
  std::string model;
  std::string tokenizer;   // empty: next to the model (needed for --text only)
  std::string text_file;   // encoded with BOS first
  std::string tokens;      // "ID ID ..."
  std::string logits_out;  // float32 rows, vocab_size per fed token
  int32_t seq_len = 0;
};

Outcome eval(const EvalArgs& args) {
  if (args.text_file.empty() == args.tokens.empty()) {
    return Outcome::usage("eval: give exactly one of --text FILE and --tokens \"ID ID ...\"");
  }
  LLMCU_TRY_ASSIGN(std::unique_ptr<LoadedModel> loaded, load_model_file(args.model));
  const Model& model = loaded->model;
  const ModelConfig& c = model.config;

  std::vector<int32_t> tokens;
  if (!args.tokens.empty()) {
    LLMCU_TRY_ASSIGN(tokens, parse_tokens(args.tokens));
  } else {
    // A GGUF model's own vocabulary unless -z names another file (llama2.c
    // tokenizer or GGUF) of the same size; a container's tokenizer.
    std::unique_ptr<HostTokenizer> tokenizer;
    if (model.gguf != nullptr && args.tokenizer.empty()) {
      LLMCU_TRY_ASSIGN(tokenizer, HostTokenizer::of_model(model));
    } else if (args.tokenizer.empty() && loaded->packed) {
      LLMCU_TRY_ASSIGN(tokens, encode_text_file(args.text_file, loaded->packed_tokenizer,
                                                args.model, c.vocab_size));
    } else {
      std::string tokenizer_path = args.tokenizer;
      if (tokenizer_path.empty()) {
        LLMCU_TRY_ASSIGN(tokenizer_path, tokenizer_next_to(args.model, c.vocab_size));
      }
      LLMCU_TRY_ASSIGN(tokenizer, HostTokenizer::open(tokenizer_path, c.vocab_size));
    }
    if (tokenizer != nullptr) {
      LLMCU_TRY_ASSIGN(tokens, encode_text_file(args.text_file, *tokenizer));
    }
  }

  // The transformer's buffers only: no sampler, tokenizer tables or prompt memory.
  SessionOptions session;
  session.seq_len = args.seq_len;
  session.purpose = SessionPurpose::kForward;
  LLMCU_TRY_ASSIGN(const MemoryPlan plan, plan_memory(model, session));
  LLMCU_TRY_ASSIGN(ArenaMemory arena, ArenaMemory::allocate(plan.arena_bytes, args.model));
  LLMCU_TRY_ASSIGN(Transformer transformer,
                   Transformer::create(model, plan, arena.span(), nullptr));

  EvalStats stats;
  auto evaluate = [&](LogitsSink sink, void* user) -> Status {
    Result<EvalStats> result = evaluate_tokens(transformer, tokens, sink, user);
    if (!result.is_ok()) {
      Status status = result.status();
      return status.with_context(args.model.c_str());
    }
    stats = *result;
    return Status::ok();
  };
  if (args.logits_out.empty()) {
    LLMCU_TRY(evaluate(nullptr, nullptr));
  } else {
    // Streamed into a file renamed into place when complete.
    if (tokens.size() < 2) return evaluate(nullptr, nullptr);  // the error, before any file
    const uint64_t bytes = uint64_t{tokens.size()} * static_cast<uint64_t>(c.vocab_size) * 4;
    LLMCU_TRY(write_atomically(args.logits_out, bytes, [&](FILE* f, const std::string&) {
      return evaluate(write_logits_row, f);
    }));
  }
  printf("model:       %s (%s)\n", args.model.c_str(), model_format_name(model.format));
  printf("tokens:      %d (%d scored, %d window%s of up to %d positions)\n", stats.tokens,
         stats.predicted, stats.windows, stats.windows == 1 ? "" : "s", plan.seq_len);
  printf("mean nll:    %.6f\n", stats.mean_nll());
  printf("perplexity:  %.6f\n", stats.perplexity());
  if (!args.logits_out.empty()) {
    printf("logits:      %s (%d rows of %d float32)\n", args.logits_out.c_str(), stats.tokens,
           c.vocab_size);
  }
  return Outcome();
}

}  // namespace

Registration register_eval(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd =
      app.add_subcommand("eval", "teacher-forced perplexity of a text or token sequence");
  cmd->add_option("model", args->model, "checkpoint")->required();
  add_path_option(cmd, "-z,--tokenizer", &args->tokenizer,
                  "tokenizer file (default: next to the model)");
  add_path_option(cmd, "--text", &args->text_file, "text file to evaluate (BOS is prepended)");
  cmd->add_option("--tokens", args->tokens, "token ids to evaluate, e.g. \"1 403 407\"");
  add_path_option(cmd, "--logits-out", &args->logits_out,
                  "write every position's logits as float32 rows");
  add_int_option(cmd, "--seq-len", &args->seq_len, 0, INT32_MAX,
                 "context window (default: the model's)");
  return {cmd, [args] { return eval(*args); }};
}

}  // namespace llmcu::cli
