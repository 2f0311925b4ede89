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
  LLMCU_TRY(carve_planned_session(model.config, plan, arena, kv_cache_memory, &layout));
  const auto tables = std::span<uint8_t>(layout.tokenizer_tables, plan.tokenizer_tables);
  LLMCU_TRY_ASSIGN(Tokenizer tokenizer, Tokenizer::load(tokenizer_bytes, model.config.vocab_size,
                                                        tables, tokenizer_name));
  Generator g;
  g.plan_ = plan;
  g.tokenizer_ = tokenizer;
  g.transformer_ = Transformer(&model, layout.run, plan.seq_len, executor);
  g.sampler_ =
      Sampler(model.config.vocab_size, layout.sampler, model.weight_type == WeightType::kQ8);
  g.prompt_work_ = std::span<int32_t>(layout.prompt_work, layout.prompt_work_ints);
  return g;
}

Result<std::span<const int32_t>> Generator::encode_prompt(std::string_view text) {
  if (Tokenizer::encode_work_ints(text.size()) > prompt_work_.size()) {
    return Status::error(StatusCode::kOutOfRange,
                         "prompt is %llu bytes; this session was planned for at most %llu "
                         "(SessionOptions::max_prompt_bytes)",
                         static_cast<unsigned long long>(text.size()),
                         static_cast<unsigned long long>(plan_.max_prompt_bytes));
  }
  int32_t n = 0;
  LLMCU_TRY(tokenizer_.encode(text, /*bos=*/true, /*eos=*/false, prompt_work_, &n));
  return std::span<const int32_t>(prompt_work_.data(), static_cast<size_t>(n));
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
  while (pos < steps) {
    if (options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed)) {
      stats.cancelled = true;
      break;
    }
    float* logits = transformer_.forward(token, pos);
    if (logits == nullptr) {
      return Status::error(StatusCode::kOutOfRange, "forward failed at position %ld",
                           static_cast<long>(pos));
    }
    LLMCU_TRY(check_forward_finite(transformer_, logits, pos));
    int32_t next;
    if (pos < n_prompt - 1) {
      next = prompt[pos + 1];
    } else {
      if (stats.generated_tokens == 0) stats.prefill_us = platform::now_us() - start_us;
      next = sampler_.sample(logits);
      ++stats.generated_tokens;
    }
    ++pos;
    if (next == Tokenizer::kBos) break;
    const std::string_view piece = Tokenizer::printable(tokenizer_.decode(token, next));
    if (!piece.empty() && sink != nullptr) sink(user, piece);
    token = next;
    if (first_done_us == 0) first_done_us = platform::now_us();
  }
  const uint64_t end_us = platform::now_us();
  stats.positions = pos;
  stats.total_us = end_us - start_us;
  if (pos > 1 && end_us > first_done_us) {
    stats.tokens_per_s = (pos - 1) / (static_cast<double>(end_us - first_done_us) / 1e6);
  }
  return stats;
}

}  // namespace llmcu
