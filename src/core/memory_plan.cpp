#include "llmcu/memory_plan.h"

#include <initializer_list>

#include "checked_math.h"
#include "llmcu/tokenizer_spec.h"
#include "session_layout.h"

namespace llmcu {
namespace {

// The session options, resolved: the only place their defaults are decided.
void resolve_options(const ModelConfig& c, const SessionOptions& options, MemoryPlan* plan) {
  plan->purpose = options.purpose;
  plan->seq_len =
      (options.seq_len <= 0 || options.seq_len > c.seq_len) ? c.seq_len : options.seq_len;
  int32_t batch = options.batch < 1 ? 1 : options.batch;
  if (batch > kMaxBatch) batch = kMaxBatch;
  plan->batch = batch < plan->seq_len ? batch : plan->seq_len;
  if (options.purpose == SessionPurpose::kForward) {
    plan->max_prompt_bytes = 0;
    return;
  }
  size_t bytes = options.max_prompt_bytes > 0
                     ? options.max_prompt_bytes
                     : kPromptBytesPerPosition * static_cast<size_t>(plan->seq_len);
  if (options.prompt_bytes > bytes) bytes = options.prompt_bytes;
  plan->max_prompt_bytes = bytes;
}

// plan_memory() for a config already validated.
Result<MemoryPlan> plan_valid_config(const ModelConfig& c, const TokenizerSpec& tokenizer,
                                     const SessionOptions& options) {
  MemoryPlan plan;
  resolve_options(c, options, &plan);

  // Bound the total in 64 bits first: on a 32-bit target size_t arithmetic
  // inside the arena could otherwise wrap.
  // (+ 8 positions: the tiled key layout's last tile.)
  const uint64_t seq = plan.seq_len + 8ull, layers = c.n_layers, kv_dim = c.kv_dim();
  uint64_t kv = 0, att = 0, bound = 0, prompt = 0;
  const bool fits =
      checked_product(&kv, {2, layers, seq, kv_dim, sizeof(float)}) &&
      checked_product(&att, {static_cast<uint64_t>(c.n_heads), seq, sizeof(float)}) &&
      // Work per prompt byte: 24 for llama2.c's encoder, up to ~130 for byte-level BPE.
      checked_product(&prompt, {256, plan.max_prompt_bytes}) && checked_add(&bound, kv) &&
      checked_add(&bound, att) && checked_add(&bound, 64ull * 1024 + 16ull * c.vocab_size) &&
      checked_add(&bound, 48ull * static_cast<uint64_t>(plan.batch) * (c.dim + c.hidden_dim)) &&
      checked_add(&bound, prompt) && checked_add(&bound, tokenizer_table_bytes(tokenizer));
  if (!fits || bound > SIZE_MAX / 2) {
    return Status::error(StatusCode::kOutOfRange,
                         "a session at seq_len %ld needs more memory than this target can address",
                         static_cast<long>(plan.seq_len));
  }
  Arena counter;
  SessionLayout layout;
  carve_session(c, tokenizer, counter, nullptr, &layout, &plan);
  return plan;
}

}  // namespace

void carve_session(const ModelConfig& c, const TokenizerSpec& tokenizer, Arena& arena,
                   Arena* kv_arena, SessionLayout* layout, MemoryPlan* plan) {
  // The cache first, so that in one arena the layout is the same as before
  // the cache could be split off.
  Arena& kv = kv_arena != nullptr ? *kv_arena : arena;
  const size_t kv_start = kv.used();
  layout->run.carve_kv_cache(c, plan->seq_len, kv);
  plan->kv_cache = kv.used() - kv_start;

  size_t mark = arena.used();
  auto part = [&arena, &mark](size_t* bytes) {
    *bytes = arena.used() - mark;
    mark = arena.used();
  };
  layout->run.carve_activations(c, plan->seq_len, plan->batch, arena);
  part(&plan->activations);
  layout->run.carve_logits(c, arena);
  part(&plan->logits);
  if (plan->purpose == SessionPurpose::kGenerate) {
    layout->sampler = arena.allocate<ProbIndex>(c.vocab_size);
    part(&plan->sampler);
    layout->tokenizer_table_bytes = tokenizer_table_bytes(tokenizer);
    layout->tokenizer_tables = arena.allocate<uint8_t>(layout->tokenizer_table_bytes);
    part(&plan->tokenizer_tables);
    layout->prompt_work_bytes = tokenizer_work_bytes(tokenizer, plan->max_prompt_bytes);
    layout->prompt_work = arena.allocate<uint8_t>(layout->prompt_work_bytes);
    part(&plan->prompt_work);
  }
  plan->arena_bytes = arena.used() + (kv_arena != nullptr ? kv_arena->used() : 0);
}

Status carve_planned_session(const ModelConfig& c, const TokenizerSpec& tokenizer,
                             const MemoryPlan& plan, std::span<uint8_t> arena_memory,
                             std::span<uint8_t> kv_cache_memory, SessionLayout* layout) {
  // A plan is a value the caller can edit or mix up: it must be this model's.
  Result<MemoryPlan> expected = plan_valid_config(
      c, tokenizer, {plan.seq_len, plan.max_prompt_bytes, 0, plan.purpose, plan.batch});
  if (!expected.is_ok() || expected->arena_bytes != plan.arena_bytes ||
      expected->kv_cache != plan.kv_cache || expected->max_prompt_bytes != plan.max_prompt_bytes ||
      expected->batch != plan.batch) {
    return Status::error(StatusCode::kInvalidArgument,
                         "the memory plan was not made for this model");
  }
  const bool split = !kv_cache_memory.empty();
  Arena arena(arena_memory);
  Arena kv_arena(kv_cache_memory);
  MemoryPlan carved = plan;
  carve_session(c, tokenizer, arena, split ? &kv_arena : nullptr, layout, &carved);
  if (split && kv_arena.exhausted()) {
    return Status::error(StatusCode::kResourceExhausted,
                         "KV cache memory of %llu bytes is too small: the memory plan needs %llu",
                         static_cast<unsigned long long>(kv_cache_memory.size()),
                         static_cast<unsigned long long>(plan.kv_cache));
  }
  if (arena.exhausted()) {
    return Status::error(
        StatusCode::kResourceExhausted,
        "arena of %llu bytes is too small: the memory plan needs %llu%s",
        static_cast<unsigned long long>(arena_memory.size()),
        static_cast<unsigned long long>(split ? plan.hot_bytes() : plan.arena_bytes),
        split ? " besides the KV cache" : "");
  }
  return Status::ok();
}

Result<MemoryPlan> plan_memory(const ModelConfig& c, const SessionOptions& options) {
  LLMCU_TRY(validate_config(c));
  return plan_valid_config(c, llama2c_tokenizer_spec(c.vocab_size), options);
}

Result<MemoryPlan> plan_memory(const Model& model, const SessionOptions& options) {
  LLMCU_TRY_ASSIGN(MemoryPlan plan, plan_valid_config(model.config, model.tokenizer, options));
  plan.weight_bytes = model.file_bytes;
  plan.model_memory = model.memory_bytes;
  return plan;
}

namespace {

int32_t longest_fitting(const ModelConfig& config, const TokenizerSpec& tokenizer,
                        size_t arena_budget, SessionOptions options) {
  auto fits = [&](int32_t seq_len) {
    options.seq_len = seq_len;
    Result<MemoryPlan> plan = plan_valid_config(config, tokenizer, options);
    return plan.is_ok() && plan->seq_len == seq_len && plan->arena_bytes <= arena_budget;
  };
  if (!validate_config(config).is_ok() || !fits(1)) return 0;
  int32_t lo = 1, hi = config.seq_len;  // fits(lo) holds
  while (lo < hi) {
    const int32_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

}  // namespace

int32_t max_seq_len_for(const ModelConfig& config, size_t arena_budget, SessionOptions options) {
  return longest_fitting(config, llama2c_tokenizer_spec(config.vocab_size), arena_budget, options);
}

int32_t max_seq_len_for(const Model& model, size_t arena_budget, SessionOptions options) {
  return longest_fitting(model.config, model.tokenizer, arena_budget, options);
}

}  // namespace llmcu
