// What the llmcu format's reader and writer share beyond the public header:
// the shape every tensor kind has under a config.
#pragma once

#include <cstdint>

#include "llmcu/llmcu_format.h"
#include "llmcu/model.h"

namespace llmcu {

// The (layers, rows, cols) a tensor kind has under `c`; all zero for an unknown kind.
struct LlmcuShape {
  uint32_t layers, rows, cols;
};
LlmcuShape llmcu_expected_shape(uint16_t kind, const ModelConfig& c);

// rms_att, rms_ffn and rms_final: fp32 vectors, never quantized.
bool llmcu_is_norm(uint16_t kind);

}  // namespace llmcu
