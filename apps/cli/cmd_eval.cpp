// llmcu eval MODEL (--text FILE | --tokens "ID ...") [--logits-out FILE]:
// teacher-forced perplexity of any model we read (llmcu/evaluate.h).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "commands.h"
#include "llmcu/arena.h"
#include "llmcu/evaluate.h"
#include "llmcu/memory_plan.h"
#include "llmcu/model.h"
#include "llmcu/tokenizer.h"
#include "llmcu/transformer.h"
#include "mapped_file.h"
#include "model_store.h"

namespace llmcu::cli {
namespace {

int fail(const Status& status) {
  fprintf(stderr, "error: %s\n", status.message());
  return kExitBadInput;
}

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

Result<std::vector<int32_t>> encode_text_file(const std::string& text_path,
                                              const std::string& tokenizer_path,
                                              int32_t vocab_size) {
  std::ifstream in(text_path, std::ios::binary);
  if (!in) {
    return Status::error(StatusCode::kIoError, "%s: cannot read: %s", text_path.c_str(),
                         strerror(errno));
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  Result<host::MappedFile> file = host::MappedFile::open(tokenizer_path);
  if (!file.is_ok()) return file.status();
  std::vector<uint32_t> tables(Tokenizer::table_bytes(vocab_size) / sizeof(uint32_t) + 1);
  Result<Tokenizer> tokenizer =
      Tokenizer::load(file->bytes(), vocab_size,
                      {reinterpret_cast<uint8_t*>(tables.data()), tables.size() * sizeof(uint32_t)},
                      tokenizer_path.c_str());
  if (!tokenizer.is_ok()) return tokenizer.status();
  std::vector<int32_t> work(Tokenizer::encode_work_ints(text.size()));
  int32_t n = 0;
  LLMCU_TRY(tokenizer->encode(text, /*bos=*/true, /*eos=*/false, work, &n));
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

}  // namespace

int eval_command(const EvalArgs& args) {
  if (args.text_file.empty() == args.tokens.empty()) {
    fprintf(stderr, "eval: give exactly one of --text FILE and --tokens \"ID ID ...\"\n");
    return kExitUsage;
  }
  Result<host::MappedFile> model_file = host::MappedFile::open(args.model);
  if (!model_file.is_ok()) return fail(model_file.status());
  Result<Model> model = load_model(model_file->bytes(), args.model.c_str());
  if (!model.is_ok()) return fail(model.status());
  const ModelConfig& c = model->config;

  Result<std::vector<int32_t>> tokens = Status::ok();
  if (!args.tokens.empty()) {
    tokens = parse_tokens(args.tokens);
  } else {
    std::string tokenizer_path = args.tokenizer;
    if (tokenizer_path.empty()) {
      Result<std::string> found = tokenizer_next_to(args.model, c.vocab_size);
      if (!found.is_ok()) return fail(found.status());
      tokenizer_path = *found;
    }
    tokens = encode_text_file(args.text_file, tokenizer_path, c.vocab_size);
  }
  if (!tokens.is_ok()) return fail(tokens.status());

  // The transformer's buffers only: no sampler, tokenizer tables or prompt memory.
  SessionOptions session;
  session.seq_len = args.seq_len;
  session.purpose = SessionPurpose::kForward;
  Result<MemoryPlan> plan = plan_memory(*model, session);
  if (!plan.is_ok()) return fail(plan.status());
  ArenaMemory arena(plan->arena_bytes);
  if (arena.storage == nullptr) {
    return fail(Status::error(StatusCode::kResourceExhausted,
                              "%s: cannot allocate the %zu bytes its session needs (seq_len "
                              "%d); try a shorter --seq-len",
                              args.model.c_str(), plan->arena_bytes, plan->seq_len));
  }
  Result<Transformer> transformer = Transformer::create(*model, *plan, arena.span(), nullptr);
  if (!transformer.is_ok()) return fail(transformer.status());

  // The logits go to a temporary name beside --logits-out and are renamed
  // into place only when complete: a failed run leaves no partial file.
  FILE* logits_file = nullptr;
  const std::string logits_tmp = args.logits_out + ".tmp";
  if (!args.logits_out.empty()) {
    logits_file = fopen(logits_tmp.c_str(), "wb");
    if (logits_file == nullptr) {
      return fail(Status::error(StatusCode::kIoError, "%s: cannot write: %s",
                                args.logits_out.c_str(), strerror(errno)));
    }
  }
  Result<EvalStats> stats = evaluate_tokens(
      *transformer, *tokens, logits_file != nullptr ? write_logits_row : nullptr, logits_file);
  if (logits_file != nullptr && fclose(logits_file) != 0 && stats.is_ok()) {
    stats = Status::error(StatusCode::kIoError, "%s: %s", args.logits_out.c_str(), strerror(errno));
  }
  if (logits_file != nullptr && stats.is_ok() &&
      rename(logits_tmp.c_str(), args.logits_out.c_str()) != 0) {
    stats = Status::error(StatusCode::kIoError, "%s: cannot rename %s into place: %s",
                          args.logits_out.c_str(), logits_tmp.c_str(), strerror(errno));
  }
  if (logits_file != nullptr && !stats.is_ok()) remove(logits_tmp.c_str());
  if (!stats.is_ok()) {
    Status status = stats.status();
    return fail(status.with_context(args.model.c_str()));
  }
  printf("model:       %s (%s)\n", args.model.c_str(), model_format_name(model->format));
  printf("tokens:      %d (%d scored, %d window%s of up to %d positions)\n", stats->tokens,
         stats->predicted, stats->windows, stats->windows == 1 ? "" : "s", plan->seq_len);
  printf("mean nll:    %.6f\n", stats->mean_nll());
  printf("perplexity:  %.6f\n", stats->perplexity());
  if (logits_file != nullptr) {
    printf("logits:      %s (%d rows of %d float32)\n", args.logits_out.c_str(), stats->tokens,
           c.vocab_size);
  }
  return kExitOk;
}

}  // namespace llmcu::cli
