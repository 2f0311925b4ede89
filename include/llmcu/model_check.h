// Numeric honesty: a model whose numbers are not finite must not produce text
// or a perplexity. Loading checks structure only (it must stay cheap on a
// microcontroller); these checks are what a front end adds.
#pragma once

#include <cstddef>
#include <cstdint>

#include "llmcu/model.h"
#include "llmcu/status.h"
#include "llmcu/transformer.h"

namespace llmcu {

// Whether x[0, n) are all finite.
bool all_finite(const float* x, size_t n);

// Refuses a model with a NaN or an infinity among its fp32 weights (every
// tensor of an fp32 model; the norms and the int8 groups' scales of an int8
// one), naming the tensor and layer. Reads every weight once.
Status check_weights_finite(const Model& model);

// An error unless what `transformer` computed at `pos` is finite: the final
// hidden state and the `logits` it returned. NaN or infinity there comes from
// weights that hold them or from numbers that overflow on the way. Both are
// checked because an int8 model quantizes the hidden state before the
// classifier, and that can turn NaN into finite garbage.
Status check_forward_finite(const Transformer& transformer, const float* logits, int32_t pos);
// The same after forward_batch() of n tokens from `pos`: every token's final
// hidden state, and the logits (the last token's).
Status check_batch_finite(const Transformer& transformer, const float* logits, int32_t pos,
                          int32_t n);

}  // namespace llmcu
