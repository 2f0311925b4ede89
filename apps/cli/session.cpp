#include "session.h"

#include <cstring>

#include "model_store.h"

namespace llmcu::cli {

Result<std::unique_ptr<Session>> open_session(const SessionArgs& args) {
  auto s = std::make_unique<Session>();
  if (args.model_given && args.model.empty()) {
    return Status::error(StatusCode::kIoError, "the model path is empty");
  }
  s->model_path = args.model;
  if (!args.model_given) {
    LLMCU_TRY_ASSIGN(s->model_path, ensure_default_file(kDefaultModel));
  }
  LoadOptions load;
  load.huge_pages = args.huge_pages;
  LLMCU_TRY_ASSIGN(s->loaded, load_model_file(s->model_path, load));
  const Model& model = s->loaded->model;

  std::span<const uint8_t> tokenizer_bytes;
  s->tokenizer_path = args.tokenizer;
  if (model.gguf != nullptr) {
    // A GGUF model brings its own vocabulary (bare or packed).
    if (!s->tokenizer_path.empty()) {
      return Status::error(StatusCode::kInvalidArgument,
                           "%s brings its own vocabulary; -z is for llama2.c models",
                           s->model_path.c_str());
    }
    s->tokenizer_path = s->model_path;
  } else if (s->tokenizer_path.empty() && s->loaded->packed) {
    s->tokenizer_path = s->model_path;  // errors name the container
    tokenizer_bytes = s->loaded->packed_tokenizer;
  } else {
    if (s->tokenizer_path.empty()) {
      LLMCU_TRY_ASSIGN(s->tokenizer_path,
                       args.model_given ? tokenizer_next_to(s->model_path, model.config.vocab_size)
                                        : ensure_default_file(kDefaultTokenizer));
    }
    LLMCU_TRY_ASSIGN(s->tokenizer_file, host::MappedFile::open(s->tokenizer_path));
    tokenizer_bytes = s->tokenizer_file.bytes();
  }

  SessionOptions session;
  session.seq_len = args.seq_len;
  session.prompt_bytes = model.gguf != nullptr && args.gguf_prompt_bytes > args.prompt_bytes
                             ? args.gguf_prompt_bytes
                             : args.prompt_bytes;
  session.batch = args.batch;
  LLMCU_TRY_ASSIGN(s->plan, plan_memory(model, session));
  LLMCU_TRY_ASSIGN(s->arena, ArenaMemory::allocate(s->plan.arena_bytes, s->model_path));
  // Touch the arena now: its pages (mostly KV cache) would otherwise fault in
  // one at a time while tokens are decoded, a few percent of a small model's
  // tokens/s. Only when memory clearly allows it; a plan can be huge.
  if (s->plan.arena_bytes <= available_memory_bytes() / 2) {
    memset(s->arena.span().data(), 0, s->plan.arena_bytes);
  }
  s->pool = std::make_unique<host::ThreadPool>(choose_threads(args.threads, model.file_bytes));
  LLMCU_TRY_ASSIGN(s->generator,
                   Generator::create(model, tokenizer_bytes, s->tokenizer_path.c_str(), s->plan,
                                     s->arena.span(), s->pool.get()));
  return s;
}

}  // namespace llmcu::cli
