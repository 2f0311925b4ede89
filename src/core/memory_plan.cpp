#include "llmcu/memory_plan.h"

#include <initializer_list>

#include "checked_math.h"
#include "llmcu/tokenizer.h"
#include "session_layout.h"

namespace llmcu {

void carve_session(const ModelConfig& c, Arena& arena, Arena* kv_arena, SessionLayout* layout,
                   MemoryPlan* plan) {
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
  layout->run.carve_activations(c, plan->seq_len, arena);
  part(&plan->activations);
  layout->run.carve_logits(c, arena);
  part(&plan->logits);
  layout->sampler = arena.allocate<ProbIndex>(c.vocab_size);
  part(&plan->sampler);
  layout->tokenizer_tables = arena.allocate<uint8_t>(Tokenizer::table_bytes(c.vocab_size));
  part(&plan->tokenizer_tables);
  layout->prompt_work_ints = Tokenizer::encode_work_ints(plan->max_prompt_bytes);
  layout->prompt_work = arena.allocate<int32_t>(layout->prompt_work_ints);
  part(&plan->prompt_work);
  plan->arena_bytes = arena.used() + (kv_arena != nullptr ? kv_arena->used() : 0);
}

Result<MemoryPlan> plan_memory(const ModelConfig& c, const SessionOptions& options) {
  LLMCU_TRY(validate_config(c));
  MemoryPlan plan;
  plan.seq_len =
      (options.seq_len <= 0 || options.seq_len > c.seq_len) ? c.seq_len : options.seq_len;
  plan.max_prompt_bytes = options.max_prompt_bytes > 0 ? options.max_prompt_bytes
                                                       : 4 * static_cast<size_t>(plan.seq_len);

  // Bound the total in 64 bits first: on a 32-bit target size_t arithmetic
  // inside the arena could otherwise wrap.
  // (+ 8 positions: the tiled key layout's last tile.)
  const uint64_t seq = plan.seq_len + 8ull, layers = c.n_layers, kv_dim = c.kv_dim();
  uint64_t kv = 0, att = 0, bound = 0;
  const bool fits =
      checked_product(&kv, {2, layers, seq, kv_dim, sizeof(float)}) &&
      checked_product(&att, {static_cast<uint64_t>(c.n_heads), seq, sizeof(float)}) &&
      checked_add(&bound, kv) && checked_add(&bound, att) &&
      checked_add(&bound, 64ull * 1024 + 16ull * c.vocab_size + 48ull * (c.dim + c.hidden_dim)) &&
      checked_add(&bound, 8ull * plan.max_prompt_bytes);
  if (!fits || bound > SIZE_MAX / 2) {
    return Status::error(StatusCode::kOutOfRange,
                         "a session at seq_len %ld needs more memory than this target can address",
                         static_cast<long>(plan.seq_len));
  }
  Arena counter;
  SessionLayout layout;
  carve_session(c, counter, nullptr, &layout, &plan);
  return plan;
}

Result<MemoryPlan> plan_memory(const Model& model, const SessionOptions& options) {
  Result<MemoryPlan> plan = plan_memory(model.config, options);
  if (plan.is_ok()) plan->weight_bytes = model.file_bytes;
  return plan;
}

int32_t max_seq_len_for(const ModelConfig& config, size_t arena_budget, size_t max_prompt_bytes) {
  auto fits = [&](int32_t seq_len) {
    Result<MemoryPlan> plan = plan_memory(config, {seq_len, max_prompt_bytes});
    return plan.is_ok() && plan->seq_len == seq_len && plan->arena_bytes <= arena_budget;
  };
  if (validate_config(config).code() != StatusCode::kOk || !fits(1)) return 0;
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

}  // namespace llmcu
