// Rows of ggml's tensor encodings as values, for tools that write GGUF files
// and for tests: encoding a row of floats the way llama.cpp's quantizer does
// (bit for bit), and decoding one back. The transformer never calls these;
// it reads rows through the kernel table.
#pragma once

#include <cstddef>
#include <cstdint>

#include "llmcu/gguf.h"

namespace llmcu {

// Types llmcu encodes and decodes: F32, F16, Q8_0 and Q4_0.
bool ggml_row_type_supported(GgmlType type);
// Bytes of one row of `cols` values (cols a multiple of the type's block).
size_t ggml_row_bytes(GgmlType type, int64_t cols);
// Whether a row of `cols` values fits the type's blocks.
bool ggml_row_fits(GgmlType type, int64_t cols);

// Encodes `cols` floats into ggml_row_bytes(type, cols) bytes at `out`.
// F16 rounds to nearest even; Q8_0 and Q4_0 are llama.cpp's reference
// quantizers. Returns false for a type it does not encode or a row that
// does not fit.
bool encode_ggml_row(GgmlType type, const float* x, int64_t cols, uint8_t* out);
// Decodes a row back into floats (exact for F32 and F16).
bool decode_ggml_row(GgmlType type, const uint8_t* row, int64_t cols, float* out);

}  // namespace llmcu
