// The one place that decides where each session buffer lives in the arena;
// the memory plan runs it on a counting arena, Generator::create on the real one.
#pragma once

#include <span>

#include "llmcu/arena.h"
#include "llmcu/memory_plan.h"
#include "llmcu/sampler.h"
#include "llmcu/transformer.h"

namespace llmcu {

struct SessionLayout {
  RunBuffers run;
  // SessionPurpose::kGenerate only (null for kForward):
  uint8_t* tokenizer_tables = nullptr;  // (tokenizer_table_bytes(spec))
  size_t tokenizer_table_bytes = 0;
  ProbIndex* sampler = nullptr;    // (vocab_size)
  uint8_t* prompt_work = nullptr;  // (prompt_work_bytes)
  size_t prompt_work_bytes = 0;
};

// Carves (or, on a counting arena, measures) every buffer and records the
// bytes of each part in `plan`. `plan->seq_len` and `max_prompt_bytes` must be set.
// The KV cache comes from `kv_arena` when it is not null, else from `arena`;
// plan->arena_bytes counts both.
void carve_session(const ModelConfig& config, const TokenizerSpec& tokenizer, Arena& arena,
                   Arena* kv_arena, SessionLayout* layout, MemoryPlan* plan);

// Carves `plan`'s session from real memory: `arena`, and the KV cache from
// `kv_cache_memory` unless it is empty. An error that says what is missing
// when a block is too small, or when the plan was made for another model.
Status carve_planned_session(const ModelConfig& config, const TokenizerSpec& tokenizer,
                             const MemoryPlan& plan, std::span<uint8_t> arena,
                             std::span<uint8_t> kv_cache_memory, SessionLayout* layout);

}  // namespace llmcu
