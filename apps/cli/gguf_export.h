// A loaded model written as GGUF (llmcu quantize --format gguf): llama.cpp
// loads what this writes, and from a GGUF source it writes what llama.cpp's
// llama-quantize writes for the same type, byte for byte (the same metadata,
// tensor order, types and quantized bits), fallbacks aside.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "llmcu/gguf.h"
#include "llmcu/model.h"
#include "llmcu/status.h"
#include "llmcu/tokenizer.h"

namespace llmcu::cli {

// The type a tensor takes in a file of `file_type` (F32, F16, Q8_0, Q4_0):
//  - vectors (norms, biases) stay F32;
//  - F32 and F16 files: every matrix that type;
//  - Q8_0 files: every matrix Q8_0;
//  - Q4_0 files: every matrix Q4_0 except the classifier (output.weight, or
//    token_embd.weight when it is tied), Q8_0: llama.cpp gives it Q6_K when
//    its rows are a multiple of 256 values and Q8_0 otherwise, and llmcu
//    computes no Q6_K;
//  - a row length that is not a multiple of 32 (stories260K's hidden_dim
//    172) cannot be Q8_0 or Q4_0: F16, where llama.cpp's quantizer refuses
//    the file (it has no fallback for these two types).
GgmlType choose_tensor_type(GgmlType file_type, uint32_t n_dims, uint64_t row_length,
                            bool classifier);

// llama.cpp's general.file_type for a file of `type` (LLAMA_FTYPE_*).
uint32_t llama_file_type(GgmlType type);

struct GgufExportReport {
  uint64_t bytes = 0;
  uint32_t tensors = 0;
  uint32_t by_type[4] = {};            // F32, F16, Q8_0, Q4_0
  std::vector<std::string> fallbacks;  // "blk.0.ffn_down.weight: F16 (rows of 172 values)"
};

// Writes `model` as a GGUF of `file_type`. A GGUF source (F32 or F16
// matrices) keeps its metadata and tensor set; a llama2.c or llmcu source
// (fp32) takes its vocabulary from `vocabulary`, llama2.c's tokenizer file,
// written as llama.cpp's converter writes it. Either way general.file_type
// and general.quantization_version are set, as llama-quantize sets them.
Result<GgufExportReport> write_model_gguf(const Model& model, GgmlType file_type,
                                          const Tokenizer* vocabulary, FILE* f);

}  // namespace llmcu::cli
