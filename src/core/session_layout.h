// The one place that decides where each session buffer lives in the arena;
// the memory plan runs it on a counting arena, Generator::create on the real one.
#pragma once

#include "llmcu/arena.h"
#include "llmcu/memory_plan.h"
#include "llmcu/sampler.h"
#include "llmcu/transformer.h"

namespace llmcu {

struct SessionLayout {
  RunBuffers run;
  uint8_t* tokenizer_tables = nullptr;  // Tokenizer::table_bytes(vocab_size)
  ProbIndex* sampler = nullptr;         // (vocab_size)
  int32_t* prompt_work = nullptr;       // (prompt_work_ints)
  size_t prompt_work_ints = 0;
};

// Carves (or, on a counting arena, measures) every buffer and records the
// bytes of each part in `plan`. `plan->seq_len` and `max_prompt_bytes` must be set.
// The KV cache comes from `kv_arena` when it is not null, else from `arena`;
// plan->arena_bytes counts both.
void carve_session(const ModelConfig& config, Arena& arena, Arena* kv_arena, SessionLayout* layout,
                   MemoryPlan* plan);

}  // namespace llmcu
