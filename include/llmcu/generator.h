// Prompt -> prefill -> decode, llama2.c's generation loop over one loaded
// model. A Generator owns nothing: the model bytes, the tokenizer bytes and
// the arena all belong to the caller, and one Generator can run any number of
// generations back to back (each starts from position 0).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "llmcu/executor.h"
#include "llmcu/memory_plan.h"
#include "llmcu/model.h"
#include "llmcu/sampler.h"
#include "llmcu/status.h"
#include "llmcu/text_tokenizer.h"
#include "llmcu/transformer.h"

namespace llmcu {

struct GenerateOptions {
  std::string_view prompt;
  int32_t steps = 256;       // positions, prompt included (resolve_steps)
  float temperature = 1.0f;  // 0: greedy
  float topp = 0.9f;         // nucleus mass; <= 0 or >= 1: plain multinomial
  uint64_t seed = 0;         // 0: take one from the platform's entropy source
  int32_t top_k = 0;         // keep the k most probable tokens; 0: all (llama2.c)
  // Checked before every position: once true, the generation ends there (a
  // signal handler or another thread may set it; a sink may set it to stop
  // at a stop string).
  const std::atomic<bool>* cancel = nullptr;
};

struct GenerationStats {
  int32_t prompt_tokens = 0;     // including BOS (when the vocabulary adds one)
  int32_t generated_tokens = 0;  // sampled, not forced
  int32_t positions = 0;         // positions fed
  uint64_t seed = 0;             // the seed actually used
  uint64_t prefill_us = 0;       // start to the first sampled token
  uint64_t total_us = 0;
  // llama2.c's "achieved tok/s": positions after the first forward pass
  // (the first position, or the prompt's first batch), over the time since
  // it finished.
  double tokens_per_s = 0.0;
  size_t arena_bytes = 0;
  bool cancelled = false;  // ended by GenerateOptions::cancel
};

// Receives each printable piece of text as it is produced.
using PieceSink = void (*)(void* user, std::string_view piece);

class Generator {
 public:
  Generator() = default;

  // Carves the session `plan` lays out (plan_memory with
  // SessionPurpose::kGenerate, for this model) from `arena`, which must hold
  // plan.arena_bytes, and loads the tokenizer into it: llama2.c's tokenizer
  // file `tokenizer_bytes` for llama2.c and llmcu models; a GGUF model's own
  // vocabulary (tokenizer_bytes must then be empty). `executor` may be
  // null: everything then runs on the calling thread.
  //
  // A non-empty `kv_cache_memory` (plan.kv_cache bytes, not overlapping
  // `arena`) takes the KV cache, and `arena` then needs only plan.hot_bytes():
  // on a microcontroller the small, hot buffers can stay in internal RAM while
  // the cache goes to PSRAM. Generation is the same either way. A block that
  // does not start on an Arena::kAlignment boundary needs up to
  // kAlignment - 1 bytes more.
  static Result<Generator> create(const Model& model, std::span<const uint8_t> tokenizer_bytes,
                                  const char* tokenizer_name, const MemoryPlan& plan,
                                  std::span<uint8_t> arena, Executor* executor,
                                  std::span<uint8_t> kv_cache_memory = {});

  // Like llama2.c, a prompt longer than the steps (or the context) is fed as
  // far as they reach, each forced token printed, and nothing is sampled.
  // Logits that are not finite (a model whose numbers overflow) end it with
  // an error instead of text.
  Result<GenerationStats> generate(const GenerateOptions& options, PieceSink sink, void* user);

  // Encodes `text` into the session's prompt memory, with BOS when the
  // vocabulary adds one (which may hold more tokens than the context); a
  // prompt of no tokens is BOS alone.
  Result<std::span<const int32_t>> encode_prompt(std::string_view text);

  const TextTokenizer& tokenizer() const { return tokenizer_; }
  TextTokenizer& tokenizer() { return tokenizer_; }  // decode() uses its piece buffer
  Transformer& transformer() { return transformer_; }
  Sampler& sampler() { return sampler_; }
  const MemoryPlan& plan() const { return plan_; }

 private:
  MemoryPlan plan_;
  TextTokenizer tokenizer_;
  Transformer transformer_;
  Sampler sampler_;
  std::span<uint8_t> prompt_work_;
};

}  // namespace llmcu
