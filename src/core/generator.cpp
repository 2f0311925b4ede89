#include "llmcu/generator.h"

#include "llmcu/model_check.h"
#include "llmcu/platform.h"
#include "session_layout.h"

namespace llmcu {
Result<Generator> Generator::create(const Model& model, std::span<const uint8_t> tokenizer_bytes,
                                    const char* tokenizer_name, const MemoryPlan& plan,
                                    std::span<uint8_t> arena, Executor* executor,
                                    std::span<uint8_t> kv_cache_memory) {
  if (plan.purpose != SessionPurpose::kGenerate) {
    return Status::error(StatusCode::kInvalidArgument,
                         "a generator needs a memory plan made for generation "
                         "(SessionPurpose::kGenerate)");
  }
  SessionLayout layout;
  LLMCU_TRY(
      carve_planned_session(model.config, model.tokenizer, plan, arena, kv_cache_memory, &layout));
  const auto tables = std::span<uint8_t>(layout.tokenizer_tables, layout.tokenizer_table_bytes);
  Generator g;
  if (model.gguf != nullptr) {
    if (!tokenizer_bytes.empty()) {
      return Status::error(StatusCode::kInvalidArgument,
                           "%s: a GGUF model brings its own vocabulary; give no tokenizer file",
                           tokenizer_name);
    }
    LLMCU_TRY_ASSIGN(g.tokenizer_, TextTokenizer::load_gguf(*model.gguf, model.tokenizer, tables));
  } else {
    LLMCU_TRY_ASSIGN(g.tokenizer_,
                     TextTokenizer::load_llama2c(tokenizer_bytes, model.config.vocab_size, tables,
                                                 tokenizer_name));
  }
  g.plan_ = plan;
  g.transformer_ = Transformer(&model, layout.run, plan.seq_len, executor);
  g.sampler_ =
      Sampler(model.config.vocab_size, layout.sampler, model.weight_type == WeightType::kQ8);
  g.prompt_work_ = std::span<uint8_t>(layout.prompt_work, layout.prompt_work_bytes);
  return g;
}

Result<std::span<const int32_t>> Generator::encode_prompt(std::string_view text) {
  if (text.size() > plan_.max_prompt_bytes) {
    return Status::error(StatusCode::kOutOfRange,
                         "prompt is %llu bytes; this session was planned for at most %llu "
                         "(SessionOptions::max_prompt_bytes)",
                         static_cast<unsigned long long>(text.size()),
                         static_cast<unsigned long long>(plan_.max_prompt_bytes));
  }
  LLMCU_TRY_ASSIGN(std::span<const int32_t> ids,
                   tokenizer_.encode(text, /*add_special=*/true, prompt_work_));
  if (ids.empty()) {
    // A vocabulary that adds no BOS, and an empty prompt: start from BOS anyway.
    if (tokenizer_.bos() < 0) {
      return Status::error(StatusCode::kInvalidArgument,
                           "the prompt is empty and the vocabulary has no BOS to start from");
    }
    auto* first = reinterpret_cast<int32_t*>(prompt_work_.data());
    *first = tokenizer_.bos();
    ids = std::span<const int32_t>(first, 1);
  }
  return ids;
}

Result<GenerationStats> Generator::generate(const GenerateOptions& options, PieceSink sink,
                                            void* user) {
  if (!(options.temperature >= 0.0f) || !(options.topp >= 0.0f && options.topp <= 1.0f) ||
      options.steps < 0) {
    return Status::error(StatusCode::kInvalidArgument,
                         "need temperature >= 0, topp in [0, 1] and steps >= 0; got %g, %g, %ld",
                         static_cast<double>(options.temperature),
                         static_cast<double>(options.topp), static_cast<long>(options.steps));
  }
  const uint64_t start_us = platform::now_us();
  LLMCU_TRY_ASSIGN(const std::span<const int32_t> prompt, encode_prompt(options.prompt));
  const auto n_prompt = static_cast<int32_t>(prompt.size());
  const int32_t steps = plan_.positions(options.steps);

  GenerationStats stats;
  stats.prompt_tokens = n_prompt;
  stats.arena_bytes = plan_.arena_bytes;
  stats.seed = options.seed != 0 ? options.seed : platform::entropy_u64();
  sampler_.configure(options.temperature, options.topp, stats.seed, options.top_k);

  // Position 0 starts a new story: the cache entries past it are rewritten
  // before they are read, so a reset needs no clearing.
  int32_t token = prompt[0];
  int32_t pos = 0;
  uint64_t first_done_us = 0;
  int32_t first_positions = 0;  // positions the first forward pass fed
  bool done = false;
  while (pos < steps && !done) {
    if (options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed)) {
      stats.cancelled = true;
      break;
    }
    // The prompt's known tokens go through the layers in batches; from its
    // last token on, one position at a time.
    int32_t n = 1;
    if (pos < n_prompt) {
      n = n_prompt - pos;
      if (n > steps - pos) n = steps - pos;
      if (n > transformer_.batch()) n = transformer_.batch();
    }
    float* logits = n > 1 ? transformer_.forward_batch(&prompt[static_cast<size_t>(pos)], n, pos)
                          : transformer_.forward(token, pos);
    if (logits == nullptr) {
      return Status::error(StatusCode::kOutOfRange, "forward failed at position %ld",
                           static_cast<long>(pos));
    }
    LLMCU_TRY(check_batch_finite(transformer_, logits, pos, n));
    for (int32_t i = 0; i < n; ++i) {
      int32_t next;
      const bool forced = pos < n_prompt - 1;
      if (forced) {
        next = prompt[static_cast<size_t>(pos) + 1];
      } else {
        if (stats.generated_tokens == 0) stats.prefill_us = platform::now_us() - start_us;
        next = sampler_.sample(logits);
        ++stats.generated_tokens;
      }
      ++pos;
      // A prompt may hold stop tokens (a chat template's end of turn); only a
      // sampled one ends the generation (for llama2.c's vocabulary: BOS).
      // NaN logits in a broken model sample no valid token.
      if ((!forced && tokenizer_.ends_generation(next)) || next < 0 ||
          next >= tokenizer_.vocab_size()) {
        done = true;
        break;
      }
      const std::string_view piece = tokenizer_.printable(tokenizer_.decode(token, next));
      if (!piece.empty() && sink != nullptr) sink(user, piece);
      token = next;
    }
    if (first_done_us == 0) {
      first_done_us = platform::now_us();
      first_positions = n;
    }
  }
  const uint64_t end_us = platform::now_us();
  stats.positions = pos;
  stats.total_us = end_us - start_us;
  if (pos > first_positions && end_us > first_done_us) {
    stats.tokens_per_s =
        (pos - first_positions) / (static_cast<double>(end_us - first_done_us) / 1e6);
  }
  return stats;
}

}  // namespace llmcu
