#include "llmcu/evaluate.h"

#include "llmcu/model_check.h"
#include "llmcu/tokenizer.h"

namespace llmcu {

double negative_log_likelihood(const float* logits, int32_t vocab_size, int32_t target) {
  double max_logit = logits[0];
  for (int32_t i = 1; i < vocab_size; ++i) {
    if (logits[i] > max_logit) max_logit = logits[i];
  }
  double sum = 0.0;
  for (int32_t i = 0; i < vocab_size; ++i) sum += std::exp(logits[i] - max_logit);
  return max_logit + std::log(sum) - logits[target];
}

Result<EvalStats> evaluate_tokens(Transformer& t, std::span<const int32_t> tokens, LogitsSink sink,
                                  void* user) {
  const int32_t vocab = t.model().config.vocab_size;
  const int32_t seq_len = t.seq_len();
  if (tokens.size() < 2) {
    return Status::error(StatusCode::kInvalidArgument,
                         "%llu token%s: nothing to score (each token is scored under the logits "
                         "after the one before it, so it takes at least two)",
                         static_cast<unsigned long long>(tokens.size()),
                         tokens.size() == 1 ? "" : "s");
  }
  if (tokens.size() > static_cast<size_t>(INT32_MAX)) {
    return Status::error(StatusCode::kOutOfRange, "too many tokens to evaluate");
  }
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= vocab) {
      return Status::error(StatusCode::kInvalidArgument,
                           "token %llu is %ld, outside the vocabulary [0, %ld)",
                           static_cast<unsigned long long>(i), static_cast<long>(tokens[i]),
                           static_cast<long>(vocab));
    }
  }
  if (seq_len < 2 && tokens.size() > static_cast<size_t>(seq_len)) {
    return Status::error(StatusCode::kOutOfRange,
                         "a context of %ld positions cannot hold BOS and a token",
                         static_cast<long>(seq_len));
  }

  EvalStats stats;
  const auto n = static_cast<int32_t>(tokens.size());
  int32_t next = 0;  // the next token to feed
  while (next < n) {
    int32_t pos = 0;
    if (stats.windows > 0) {
      // A fresh context starts with BOS. The window's first token was
      // already scored, with more context, by the previous window's last logits.
      if (t.forward(Tokenizer::kBos, 0) == nullptr) {
        return Status::error(StatusCode::kOutOfRange, "forward failed at position 0");
      }
      pos = 1;
    }
    ++stats.windows;
    for (; pos < seq_len && next < n; ++pos, ++next) {
      const float* logits = t.forward(tokens[next], pos);
      if (logits == nullptr) {
        return Status::error(StatusCode::kOutOfRange, "forward failed at position %ld",
                             static_cast<long>(pos));
      }
      LLMCU_TRY(check_forward_finite(t, logits, next));
      if (sink != nullptr) LLMCU_TRY(sink(user, next, logits, vocab));
      if (next + 1 < n) {
        stats.nll_sum += negative_log_likelihood(logits, vocab, tokens[next + 1]);
        ++stats.predicted;
      }
      ++stats.tokens;
    }
  }
  return stats;
}

}  // namespace llmcu
