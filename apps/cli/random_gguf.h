// GGUF files with random weights (llmcu gen-random --format gguf): the
// shapes of published llama and qwen2 models, in any type llmcu computes,
// with a made-up SentencePiece vocabulary, for speed and agreement work
// without the real weights. llama.cpp loads what this writes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "gguf_export.h"
#include "llmcu/gguf.h"
#include "llmcu/model.h"
#include "llmcu/status.h"

namespace llmcu::cli {

struct RandomGgufSpec {
  ModelConfig config;  // dims, rms_eps and rope_theta; shared_classifier: tied
  bool qwen2 = false;  // architecture qwen2 (q/k/v biases, rotary halves)
  GgmlType type = GgmlType::kF32;
  uint64_t seed = 1;
  std::string name = "random";
};

// Vocabulary: <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, then
// made-up pieces; so vocab_size must be at least 259.
Result<GgufExportReport> write_random_gguf(const RandomGgufSpec& spec, FILE* f);

}  // namespace llmcu::cli
