// The GGUF loader behind load_model() and model_memory_bytes() (llmcu/model.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "llmcu/model.h"
#include "llmcu/status.h"

namespace llmcu {

Result<size_t> gguf_model_memory_bytes(std::span<const uint8_t> bytes, const char* name);
Result<Model> load_gguf(std::span<const uint8_t> bytes, const char* name,
                        std::span<uint8_t> memory);

}  // namespace llmcu
