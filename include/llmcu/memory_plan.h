// What a generation session needs, computed before anything is allocated:
// the arena is allocated once at exactly arena_bytes, and generating a token
// allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>

#include "llmcu/model.h"
#include "llmcu/status.h"

namespace llmcu {

// Prompt text a session plans for when not told: bytes per context position.
inline constexpr size_t kPromptBytesPerPosition = 4;

// What the session is for: a generation needs the tokenizer's tables, the
// sampler's candidates and prompt memory besides the transformer's buffers;
// feeding known tokens (evaluation, benchmarks) needs only the transformer.
enum class SessionPurpose : uint8_t { kGenerate, kForward };

// What a front end asks of a session. Every field may stay at its default:
// plan_memory() resolves them, the one place these rules are written, and the
// MemoryPlan carries the result to everything that sizes or runs a session.
struct SessionOptions {
  int32_t seq_len = 0;          // context; 0 or more than the model's: the model's
  size_t max_prompt_bytes = 0;  // longest prompt text; 0: kPromptBytesPerPosition per position
  size_t prompt_bytes = 0;      // a prompt known now: max_prompt_bytes is at least this
  SessionPurpose purpose = SessionPurpose::kGenerate;
  // Prompt tokens that go through the layers together (Transformer::
  // forward_batch): each weight is then read once per batch instead of once
  // per token, for (batch - 1) more rows of the per-token buffers. 0 or 1:
  // one at a time; more than seq_len or kMaxBatch: the smaller of the two.
  int32_t batch = 0;
};

// The largest batch a session plans for.
inline constexpr int32_t kMaxBatch = 4096;

// Positions a generation of `steps` runs in a context of `seq_len`: 0 or
// more than seq_len means seq_len (llama2.c's -n).
inline int32_t resolve_steps(int32_t steps, int32_t seq_len) {
  return (steps <= 0 || steps > seq_len) ? seq_len : steps;
}

struct MemoryPlan {
  // The session's options, resolved.
  int32_t seq_len = 0;
  size_t max_prompt_bytes = 0;  // 0 for SessionPurpose::kForward
  SessionPurpose purpose = SessionPurpose::kGenerate;
  int32_t batch = 1;  // in [1, seq_len]
  // Read in place from the model bytes; not part of the arena.
  size_t weight_bytes = 0;
  // The memory load_model was given (GGUF: the file's index and per-layer
  // tables), held as long as the model; not part of the arena. 0 for
  // llama2.c and llmcu files and for plans made from a config alone.
  size_t model_memory = 0;
  // Arena parts, each rounded up to Arena::kAlignment.
  size_t kv_cache = 0;  // keys and values, about (2, n_layers, seq_len, kv_dim) floats
  // x, xb, xb2, q, hb, hb2 and the matvec inputs (batch rows each), att, RoPE angles
  size_t activations = 0;
  size_t logits = 0;   // (vocab_size) floats
  size_t sampler = 0;  // (vocab_size) candidates for top-p
  // The tokenizer's tables: (2, vocab_size) uint32 for llama2.c's; a GGUF
  // vocabulary's offsets, sorted ids, special tokens and merges.
  size_t tokenizer_tables = 0;
  size_t prompt_work = 0;  // encode work (and ids) for max_prompt_bytes of text
  size_t arena_bytes = 0;  // everything above that lives in the arena

  // RAM the session needs besides the weights.
  size_t ram_bytes() const { return arena_bytes + model_memory; }
  size_t total_bytes() const { return arena_bytes + model_memory + weight_bytes; }
  // The arena without the KV cache. The cache is the largest part and is read
  // sequentially, so a target with fast and slow RAM can give it a block of
  // its own in the slow one (Generator::create's kv_cache_memory) and keep
  // these bytes, the buffers every matvec touches, in the fast one.
  size_t hot_bytes() const { return arena_bytes - kv_cache; }
  // Positions a generation of `steps` runs (resolve_steps).
  int32_t positions(int32_t steps) const { return resolve_steps(steps, seq_len); }
};

// Validates the config, then plans, for llama2.c's tokenizer. Fails if the
// sizes overflow size_t (possible on 32-bit targets).
Result<MemoryPlan> plan_memory(const ModelConfig& config, const SessionOptions& options);
// Same for a loaded model (whose config load_model validated) and its
// tokenizer (model.tokenizer), with weight_bytes and model_memory filled in.
Result<MemoryPlan> plan_memory(const Model& model, const SessionOptions& options);

// The longest context whose arena fits in `arena_budget` bytes (0 if none),
// each candidate planned with `options` (whose seq_len is ignored).
int32_t max_seq_len_for(const ModelConfig& config, size_t arena_budget,
                        SessionOptions options = {});
int32_t max_seq_len_for(const Model& model, size_t arena_budget, SessionOptions options = {});

}  // namespace llmcu
