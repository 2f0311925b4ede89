// The llmcu format (docs/llmcu-format.md): names, the canonical layout of a
// tensor, and the header and table entries as bytes. The strict loader is in
// llmcu_format_reader.cpp, the writer in llmcu_format_writer.cpp.
#include "llmcu/llmcu_format.h"

#include <cstring>

#include "bytes.h"
#include "checked_math.h"
#include "llmcu_format_shapes.h"

namespace llmcu {
namespace {

using ull = unsigned long long;

constexpr const char* kKindNames[kLlmcuMaxKind + 1] = {nullptr,     "token_embedding",
                                                       "rms_att",   "rms_ffn",
                                                       "rms_final", "wq",
                                                       "wk",        "wv",
                                                       "wo",        "w1",
                                                       "w2",        "w3",
                                                       "classifier"};

}  // namespace

bool llmcu_is_norm(uint16_t kind) {
  return kind == static_cast<uint16_t>(LlmcuKind::kRmsAtt) ||
         kind == static_cast<uint16_t>(LlmcuKind::kRmsFfn) ||
         kind == static_cast<uint16_t>(LlmcuKind::kRmsFinal);
}

LlmcuShape llmcu_expected_shape(uint16_t kind, const ModelConfig& c) {
  const auto dim = static_cast<uint32_t>(c.dim), hidden = static_cast<uint32_t>(c.hidden_dim);
  const auto layers = static_cast<uint32_t>(c.n_layers),
             vocab = static_cast<uint32_t>(c.vocab_size);
  const auto kv = static_cast<uint32_t>(c.kv_dim());
  switch (static_cast<LlmcuKind>(kind)) {
    case LlmcuKind::kTokenEmbedding: return {1, vocab, dim};
    case LlmcuKind::kRmsAtt: return {1, layers, dim};
    case LlmcuKind::kRmsFfn: return {1, layers, dim};
    case LlmcuKind::kRmsFinal: return {1, 1, dim};
    case LlmcuKind::kWq: return {layers, dim, dim};
    case LlmcuKind::kWk: return {layers, kv, dim};
    case LlmcuKind::kWv: return {layers, kv, dim};
    case LlmcuKind::kWo: return {layers, dim, dim};
    case LlmcuKind::kW1: return {layers, hidden, dim};
    case LlmcuKind::kW2: return {layers, dim, hidden};
    case LlmcuKind::kW3: return {layers, hidden, dim};
    case LlmcuKind::kClassifier: return {1, vocab, dim};
  }
  return {0, 0, 0};
}

const char* llmcu_kind_name(uint16_t kind) {
  return kind >= 1 && kind <= kLlmcuMaxKind ? kKindNames[kind] : nullptr;
}

const char* llmcu_type_name(uint16_t type) {
  switch (static_cast<LlmcuType>(type)) {
    case LlmcuType::kF32: return "f32";
    case LlmcuType::kQ8: return "q8";
    case LlmcuType::kQ4: return "q4";
  }
  return nullptr;
}

bool is_llmcu_file(std::span<const uint8_t> bytes) {
  return bytes.size() >= sizeof(kLlmcuMagic) &&
         memcmp(bytes.data(), kLlmcuMagic, sizeof(kLlmcuMagic)) == 0;
}

Result<LlmcuEntry> llmcu_layout(LlmcuKind kind, LlmcuType type, uint32_t group_size,
                                uint32_t layers, uint32_t rows, uint32_t cols) {
  LlmcuEntry e;
  e.kind = static_cast<uint16_t>(kind);
  e.type = static_cast<uint16_t>(type);
  e.group_size = group_size;
  e.layers = layers;
  e.rows = rows;
  e.cols = cols;
  uint64_t layer_bytes = 0;
  if (type == LlmcuType::kF32) {
    e.row_stride = cols;
    if (!checked_product(&layer_bytes, {rows, cols, sizeof(float)})) layer_bytes = UINT64_MAX;
  } else if (type == LlmcuType::kQ8) {
    if (group_size == 0) {
      return Status::error(StatusCode::kInvalidArgument, "q8 needs a group size");
    }
    const uint64_t groups = (uint64_t{cols} + group_size - 1) / group_size;
    const uint64_t stride = groups * group_size;
    if (stride > UINT32_MAX) {
      return Status::error(StatusCode::kOutOfRange, "a padded row of %llu values is too long",
                           static_cast<ull>(stride));
    }
    e.row_stride = static_cast<uint32_t>(stride);
    uint64_t values = 0, scales = 0;
    if (!checked_product(&values, {rows, stride}) || !align_up(values, kLlmcuAlignment, &values) ||
        !checked_product(&scales, {rows, groups, sizeof(float)}) || !checked_add(&scales, values)) {
      layer_bytes = UINT64_MAX;
    } else {
      e.scale_offset = values;
      layer_bytes = scales;
    }
  } else {
    return Status::error(StatusCode::kUnsupported, "type %s has no layout in this version",
                         llmcu_type_name(static_cast<uint16_t>(type)));
  }
  if (layer_bytes == UINT64_MAX || !align_up(layer_bytes, kLlmcuAlignment, &layer_bytes) ||
      !checked_product(&e.bytes, {layers, layer_bytes})) {
    return Status::error(StatusCode::kOutOfRange,
                         "size of a (%lu, %lu, %lu) tensor overflows 64 bits",
                         static_cast<unsigned long>(layers), static_cast<unsigned long>(rows),
                         static_cast<unsigned long>(cols));
  }
  e.layer_stride = layer_bytes;
  return e;
}

Result<LlmcuHeader> decode_llmcu_header(std::span<const uint8_t> bytes) {
  if (bytes.size() < kLlmcuHeaderBytes) {
    return Status::error(StatusCode::kInvalidFormat, "truncated header");
  }
  const uint8_t* p = bytes.data();
  LlmcuHeader h;
  h.version = read_u32(p + 8);
  h.header_bytes = read_u32(p + 12);
  h.file_bytes = read_u64(p + 16);
  int32_t* fields[] = {&h.config.dim,     &h.config.hidden_dim, &h.config.n_layers,
                       &h.config.n_heads, &h.config.n_kv_heads, &h.config.vocab_size,
                       &h.config.seq_len};
  for (size_t i = 0; i < 7; ++i) *fields[i] = static_cast<int32_t>(read_u32(p + 24 + 4 * i));
  h.flags = read_u32(p + 52);
  h.config.shared_classifier = (h.flags & kLlmcuFlagSharedClassifier) != 0;
  h.tensor_count = read_u32(p + 56);
  h.entry_bytes = read_u32(p + 60);
  return h;
}

Result<LlmcuEntry> decode_llmcu_entry(std::span<const uint8_t> bytes, uint32_t index) {
  const uint64_t at = kLlmcuHeaderBytes + uint64_t{index} * kLlmcuEntryBytes;
  if (at + kLlmcuEntryBytes > bytes.size()) {
    return Status::error(StatusCode::kInvalidFormat, "truncated table entry %lu",
                         static_cast<unsigned long>(index));
  }
  const uint8_t* p = bytes.data() + at;
  LlmcuEntry e;
  e.kind = read_u16(p + 0);
  e.type = read_u16(p + 2);
  e.group_size = read_u32(p + 4);
  e.layers = read_u32(p + 8);
  e.rows = read_u32(p + 12);
  e.cols = read_u32(p + 16);
  e.row_stride = read_u32(p + 20);
  e.offset = read_u64(p + 24);
  e.bytes = read_u64(p + 32);
  e.layer_stride = read_u64(p + 40);
  e.scale_offset = read_u64(p + 48);
  return e;
}

void encode_llmcu_header(const LlmcuHeader& h, uint8_t out[kLlmcuHeaderBytes]) {
  memset(out, 0, kLlmcuHeaderBytes);
  memcpy(out, kLlmcuMagic, sizeof(kLlmcuMagic));
  write_u32(out + 8, h.version);
  write_u32(out + 12, h.header_bytes);
  write_u64(out + 16, h.file_bytes);
  const int32_t fields[] = {h.config.dim,     h.config.hidden_dim, h.config.n_layers,
                            h.config.n_heads, h.config.n_kv_heads, h.config.vocab_size,
                            h.config.seq_len};
  for (size_t i = 0; i < 7; ++i) write_u32(out + 24 + 4 * i, static_cast<uint32_t>(fields[i]));
  write_u32(out + 52, h.flags);
  write_u32(out + 56, h.tensor_count);
  write_u32(out + 60, h.entry_bytes);
}

void encode_llmcu_entry(const LlmcuEntry& e, uint8_t out[kLlmcuEntryBytes]) {
  memset(out, 0, kLlmcuEntryBytes);
  write_u16(out + 0, e.kind);
  write_u16(out + 2, e.type);
  write_u32(out + 4, e.group_size);
  write_u32(out + 8, e.layers);
  write_u32(out + 12, e.rows);
  write_u32(out + 16, e.cols);
  write_u32(out + 20, e.row_stride);
  write_u64(out + 24, e.offset);
  write_u64(out + 32, e.bytes);
  write_u64(out + 40, e.layer_stride);
  write_u64(out + 48, e.scale_offset);
}

}  // namespace llmcu
