// Picks the next token from logits exactly as llama2.c does, so the same seed
// gives the same text: greedy at temperature 0, else softmax(logits / T) and
// either multinomial sampling (topp <= 0 or >= 1) or nucleus (top-p) sampling,
// driven by a xorshift64* generator. Top-k (not in llama2.c, off by default)
// first keeps only the k most probable tokens.
#pragma once

#include <cstddef>
#include <cstdint>

namespace llmcu {

struct ProbIndex {
  float prob;
  int32_t index;
};

class Sampler {
 public:
  static size_t scratch_bytes(int32_t vocab_size) {
    return static_cast<size_t>(vocab_size) * sizeof(ProbIndex);
  }

  Sampler() = default;
  // `scratch` holds (vocab_size) candidates for top-p. int8_model: softmax
  // from the kernel family's Q8Path (runq.c's order where the family has
  // one), so that sampled int8 text is runq.c's too.
  Sampler(int32_t vocab_size, ProbIndex* scratch, bool int8_model = false)
      : vocab_size_(vocab_size), scratch_(scratch), int8_model_(int8_model) {}

  // seed must be non-zero (xorshift stays at 0 forever); the generator maps 0
  // to a platform entropy value before calling this. top_k <= 0 or >=
  // vocab_size keeps every token (llama2.c).
  void configure(float temperature, float topp, uint64_t seed, int32_t top_k = 0);

  // Samples a token id; overwrites `logits` with probabilities.
  int32_t sample(float* logits);

  uint32_t random_u32();
  float random_f32();  // in [0, 1)

 private:
  int32_t sample_multinomial(const float* probs, float coin) const;
  int32_t sample_topp(const float* probs, float coin);
  int32_t sample_top_k(const float* probs, float coin);

  int32_t vocab_size_ = 0;
  ProbIndex* scratch_ = nullptr;
  float temperature_ = 0.0f;
  float topp_ = 0.0f;
  int32_t top_k_ = 0;
  uint64_t state_ = 1;
  bool int8_model_ = false;
};

}  // namespace llmcu
