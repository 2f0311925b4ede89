// What a generation session needs, computed before anything is allocated:
// the arena is allocated once at exactly arena_bytes, and generating a token
// allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>

#include "llmcu/model.h"
#include "llmcu/status.h"

namespace llmcu {

struct SessionOptions {
  int32_t seq_len = 0;          // context to plan for; 0 or more than the model's: the model's
  size_t max_prompt_bytes = 0;  // longest prompt text; 0: 4 bytes per context position
};

struct MemoryPlan {
  int32_t seq_len = 0;
  size_t max_prompt_bytes = 0;
  // Read in place from the model bytes; not part of the arena.
  size_t weight_bytes = 0;
  // Arena parts, each rounded up to Arena::kAlignment.
  size_t kv_cache = 0;          // keys and values, about (2, n_layers, seq_len, kv_dim) floats
  size_t activations = 0;       // x, xb, xb2, q, hb, hb2, att, RoPE angles, int8 input
  size_t logits = 0;            // (vocab_size) floats
  size_t sampler = 0;           // (vocab_size) candidates for top-p
  size_t tokenizer_tables = 0;  // (2, vocab_size) uint32
  size_t prompt_work = 0;       // encode() work ints for max_prompt_bytes
  size_t arena_bytes = 0;       // everything above that lives in the arena

  size_t total_bytes() const { return arena_bytes + weight_bytes; }
  // The arena without the KV cache. The cache is the largest part and is read
  // sequentially, so a target with fast and slow RAM can give it a block of
  // its own in the slow one (Generator::create's kv_cache_memory) and keep
  // these bytes, the buffers every matvec touches, in the fast one.
  size_t hot_bytes() const { return arena_bytes - kv_cache; }
};

// Fails if the sizes overflow size_t (possible on 32-bit targets).
Result<MemoryPlan> plan_memory(const ModelConfig& config, const SessionOptions& options);
// Same, with weight_bytes filled in from a loaded model.
Result<MemoryPlan> plan_memory(const Model& model, const SessionOptions& options);

// The longest context whose arena fits in `arena_budget` bytes (0 if none).
int32_t max_seq_len_for(const ModelConfig& config, size_t arena_budget, size_t max_prompt_bytes);

}  // namespace llmcu
