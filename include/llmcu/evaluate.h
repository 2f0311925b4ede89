// Teacher-forced evaluation: feed a token sequence and score each next token
// under the model's logits (negative log-likelihood, perplexity). This is how a
// quantized model is compared with its fp32 original.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>

#include "llmcu/status.h"
#include "llmcu/transformer.h"

namespace llmcu {

struct EvalStats {
  int32_t tokens = 0;     // tokens fed (rows given to the logits sink)
  int32_t predicted = 0;  // tokens scored: every token after the first
  int32_t windows = 0;    // context windows used (see evaluate_tokens)
  double nll_sum = 0.0;   // natural log

  double mean_nll() const { return predicted > 0 ? nll_sum / predicted : 0.0; }
  double perplexity() const { return std::exp(mean_nll()); }
};

// Receives the logits after tokens[index] (vocab_size floats, valid during the call).
using LogitsSink = Status (*)(void* user, int32_t index, const float* logits, int32_t vocab_size);

// -log softmax(logits)[target], computed in double.
double negative_log_likelihood(const float* logits, int32_t vocab_size, int32_t target);

// Feeds tokens[0], tokens[1], ... at positions 0, 1, ... and scores each
// tokens[i + 1] under the logits after tokens[i]. A sequence longer than the
// transformer's context is cut into windows: the first holds seq_len tokens,
// each later one starts again at position 0 with BOS followed by the next
// seq_len - 1 tokens (that BOS is neither scored nor given to the sink; the
// window's first token is scored by the previous window's last logits).
// `sink` may be null.
Result<EvalStats> evaluate_tokens(Transformer& transformer, std::span<const int32_t> tokens,
                                  LogitsSink sink, void* user);

}  // namespace llmcu
