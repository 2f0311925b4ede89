// The llmcu model format (docs/llmcu-format.md has the byte layout):
//
//   header (64 bytes) | tensor table (64 bytes per tensor) | tensor data | trailer (8 bytes)
//
// Every tensor starts at a multiple of 64 bytes from the start of the file, so
// a file mapped at an aligned address (mmap, a flash partition) gives SIMD
// kernels aligned rows in place. int8 (q8) rows are padded to whole groups,
// so any group size works for any shape. The trailer holds the CRC-32 of
// everything before it; the loader verifies it before it trusts a byte.
//
// Loading goes through load_model() (llmcu/model.h), which recognises the
// magic. The functions here are for writers and for tools that show the table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "llmcu/crc32.h"
#include "llmcu/model.h"
#include "llmcu/quantize.h"
#include "llmcu/status.h"

namespace llmcu {

inline constexpr uint8_t kLlmcuMagic[8] = {'L', 'L', 'M', 'C', 'U', 'M', 'D', 'L'};
inline constexpr uint8_t kLlmcuTrailerMagic[4] = {'L', 'E', 'N', 'D'};
inline constexpr uint32_t kLlmcuVersion = 1;
inline constexpr size_t kLlmcuHeaderBytes = 64;
inline constexpr size_t kLlmcuEntryBytes = 64;
inline constexpr size_t kLlmcuTrailerBytes = 8;  // u32 CRC-32, "LEND"
inline constexpr size_t kLlmcuAlignment = 64;
inline constexpr uint32_t kLlmcuMaxTensors = 32;
inline constexpr uint32_t kLlmcuFlagSharedClassifier = 1u << 0;

// What a tensor is. Values are stored in the file: never renumber.
enum class LlmcuKind : uint16_t {
  kTokenEmbedding = 1,  // (1, vocab_size, dim)
  kRmsAtt = 2,          // (1, n_layers, dim)
  kRmsFfn = 3,          // (1, n_layers, dim)
  kRmsFinal = 4,        // (1, 1, dim)
  kWq = 5,              // (n_layers, dim, dim)
  kWk = 6,              // (n_layers, kv_dim, dim)
  kWv = 7,              // (n_layers, kv_dim, dim)
  kWo = 8,              // (n_layers, dim, dim)
  kW1 = 9,              // (n_layers, hidden_dim, dim)
  kW2 = 10,             // (n_layers, dim, hidden_dim)
  kW3 = 11,             // (n_layers, hidden_dim, dim)
  kClassifier = 12,     // (1, vocab_size, dim), only without the shared-classifier flag
};
inline constexpr uint16_t kLlmcuMaxKind = 12;

// How a tensor's values are stored. Values are stored in the file.
enum class LlmcuType : uint16_t {
  kF32 = 0,  // little-endian IEEE float
  kQ8 = 1,   // int8 rows padded to whole groups, then one fp32 scale per group
  kQ4 = 2,   // reserved for 4-bit groups; no loader accepts it yet
};

struct LlmcuHeader {
  uint32_t version = kLlmcuVersion;
  uint32_t header_bytes = kLlmcuHeaderBytes;
  uint64_t file_bytes = 0;
  ModelConfig config;  // group_size is not in the header (it is per tensor)
  uint32_t flags = 0;
  uint32_t tensor_count = 0;
  uint32_t entry_bytes = kLlmcuEntryBytes;
};

// One row of the tensor table: `layers` matrices of (rows, cols), each at
// offset + l * layer_stride. q8: every row has row_stride int8 values (cols
// rounded up to a multiple of group_size, zero-padded), then at scale_offset
// bytes from the layer's start rows * row_stride / group_size fp32 scales.
struct LlmcuEntry {
  uint16_t kind = 0;
  uint16_t type = 0;
  uint32_t group_size = 0;  // q8: values per scale; f32: 0
  uint32_t layers = 0;
  uint32_t rows = 0;
  uint32_t cols = 0;
  uint32_t row_stride = 0;  // values from one row to the next
  uint64_t offset = 0;      // from the start of the file; a multiple of 64
  uint64_t bytes = 0;       // layers * layer_stride
  uint64_t layer_stride = 0;
  uint64_t scale_offset = 0;  // q8: from the layer's start; f32: 0
};

// "token_embedding", "wq", ...; nullptr for a kind this build does not know.
const char* llmcu_kind_name(uint16_t kind);
// "f32", "q8", "q4"; nullptr for an unknown type.
const char* llmcu_type_name(uint16_t type);

// True if `bytes` starts with the llmcu magic.
bool is_llmcu_file(std::span<const uint8_t> bytes);

// The canonical layout of one tensor (what writers write and loaders demand):
// row_stride, scale_offset, layer_stride and bytes from kind, type, group size
// and shape. Fails if a size overflows 64 bits.
Result<LlmcuEntry> llmcu_layout(LlmcuKind kind, LlmcuType type, uint32_t group_size,
                                uint32_t layers, uint32_t rows, uint32_t cols);

// Byte-level decoding, without validation beyond the bounds of `bytes`. For
// tools that show a file load_model() accepted.
Result<LlmcuHeader> decode_llmcu_header(std::span<const uint8_t> bytes);
Result<LlmcuEntry> decode_llmcu_entry(std::span<const uint8_t> bytes, uint32_t index);
void encode_llmcu_header(const LlmcuHeader& header, uint8_t out[kLlmcuHeaderBytes]);
void encode_llmcu_entry(const LlmcuEntry& entry, uint8_t out[kLlmcuEntryBytes]);

// The loader behind load_model() for llmcu files (errors without the file
// name; load_model adds it).
Result<Model> load_llmcu(std::span<const uint8_t> bytes);

// Bytes of the llmcu file write_llmcu() writes for this config, type and
// group size (0 if a size overflows).
uint64_t llmcu_file_bytes(const ModelConfig& config, WeightType type, int32_t group_size);

// Writes an fp32 `model` (any format we read) as an llmcu file whose matrices
// are `type`: kQ8 quantizes each row in groups of `group_size` (1 to
// kMaxGroupSize, any value: the last group of a row is zero-padded), each
// group's scale max|w| / 127 and each value round(w / scale), as export.py;
// kF32 copies the weights (group_size 0). Norms stay fp32. Streams through
// `sink` in one pass (the CRC is in the trailer); fails on non-finite
// weights, naming the tensor.
Result<QuantizeStats> write_llmcu(const Model& model, WeightType type, int32_t group_size,
                                  ByteSink sink, void* user);

}  // namespace llmcu
