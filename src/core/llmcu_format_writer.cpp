// The llmcu format's writer (docs/llmcu-format.md): plans every tensor at
// its canonical, 64-byte aligned offset, then streams header, table,
// tensors and the CRC-32 trailer through a sink.
#include <cmath>
#include <cstring>

#include "buffered_sink.h"
#include "bytes.h"
#include "checked_math.h"
#include "llmcu/llmcu_format.h"
#include "llmcu_format_shapes.h"

namespace llmcu {
namespace {

using ull = unsigned long long;

// ---- writer ----------------------------------------------------------------------

// What goes in the file, in file order.
struct Planned {
  LlmcuEntry entry;
  const float* norm;     // norms
  const Matrix* matrix;  // matrices
};

Status write_q8_tensor(BufferedSink& out, const LlmcuEntry& e, const Matrix& m,
                       QuantizeStats* stats) {
  const char* name = llmcu_kind_name(e.kind);
  const auto gs = static_cast<int32_t>(e.group_size);
  const auto cols = static_cast<int32_t>(e.cols);
  const int32_t groups = static_cast<int32_t>(e.row_stride) / gs;
  for (uint32_t l = 0; l < e.layers; ++l) {
    const float* w = m.f32(static_cast<int32_t>(l));
    for (uint32_t r = 0; r < e.rows; ++r) {
      const float* row = w + static_cast<size_t>(r) * static_cast<size_t>(m.row_stride);
      for (int32_t j = 0; j < cols; j += gs) {
        const int32_t n = cols - j < gs ? cols - j : gs;
        float scale = 0.0f;
        if (!group_scale(row + j, n, &scale)) {
          return Status::error(StatusCode::kInvalidFormat,
                               "tensor %s, layer %lu, row %lu: a weight is not finite", name,
                               static_cast<unsigned long>(l), static_cast<unsigned long>(r));
        }
        put_quantized(out, row + j, n, scale, stats);
      }
      out.zeros(e.row_stride - e.cols);
    }
    out.zeros(e.scale_offset - uint64_t{e.rows} * e.row_stride);
    for (uint32_t r = 0; r < e.rows; ++r) {
      const float* row = w + static_cast<size_t>(r) * static_cast<size_t>(m.row_stride);
      for (int32_t j = 0; j < cols; j += gs) {
        float scale = 0.0f;
        group_scale(row + j, cols - j < gs ? cols - j : gs, &scale);
        out.put(&scale, sizeof(scale));
      }
    }
    out.zeros(e.layer_stride - e.scale_offset - uint64_t{e.rows} * groups * 4);
    stats->groups += uint64_t{e.rows} * groups;
    if (!out.status().is_ok()) return out.status();
  }
  return Status::ok();
}

void write_f32_tensor(BufferedSink& out, const LlmcuEntry& e, const float* norm, const Matrix* m) {
  const uint64_t row_bytes = uint64_t{e.cols} * sizeof(float);
  for (uint32_t l = 0; l < e.layers; ++l) {
    for (uint32_t r = 0; r < e.rows; ++r) {
      const float* row = norm != nullptr ? norm + static_cast<size_t>(r) * e.cols
                                         : m->f32(static_cast<int32_t>(l)) +
                                               static_cast<size_t>(r) * m->row_stride;
      out.put(row, static_cast<size_t>(row_bytes));
    }
    out.zeros(e.layer_stride - uint64_t{e.rows} * row_bytes);
  }
}

// The tensors of `c` in file order with their layout and offsets; returns
// how many, or an error. `model` may be null (sizes only).
Result<uint32_t> plan_tensors(const ModelConfig& c, const Weights* w, WeightType type,
                              int32_t group_size, Planned out[kLlmcuMaxKind]) {
  const LlmcuType mt = type == WeightType::kQ8 ? LlmcuType::kQ8 : LlmcuType::kF32;
  const uint32_t gs = type == WeightType::kQ8 ? static_cast<uint32_t>(group_size) : 0;
  struct Item {
    LlmcuKind kind;
    const float* norm;
    const Matrix* matrix;
  };
  const Item items[] = {{LlmcuKind::kRmsAtt, w ? w->rms_att : nullptr, nullptr},
                        {LlmcuKind::kRmsFfn, w ? w->rms_ffn : nullptr, nullptr},
                        {LlmcuKind::kRmsFinal, w ? w->rms_final : nullptr, nullptr},
                        {LlmcuKind::kTokenEmbedding, nullptr, w ? &w->token_embedding : nullptr},
                        {LlmcuKind::kWq, nullptr, w ? &w->wq : nullptr},
                        {LlmcuKind::kWk, nullptr, w ? &w->wk : nullptr},
                        {LlmcuKind::kWv, nullptr, w ? &w->wv : nullptr},
                        {LlmcuKind::kWo, nullptr, w ? &w->wo : nullptr},
                        {LlmcuKind::kW1, nullptr, w ? &w->w1 : nullptr},
                        {LlmcuKind::kW2, nullptr, w ? &w->w2 : nullptr},
                        {LlmcuKind::kW3, nullptr, w ? &w->w3 : nullptr},
                        {LlmcuKind::kClassifier, nullptr, w ? &w->classifier : nullptr}};
  uint32_t n = 0;
  uint64_t offset = 0;  // from the data start; fixed up below
  for (const Item& item : items) {
    if (item.kind == LlmcuKind::kClassifier && c.shared_classifier) continue;
    const uint16_t kind = static_cast<uint16_t>(item.kind);
    const LlmcuShape s = llmcu_expected_shape(kind, c);
    const bool norm = llmcu_is_norm(kind);
    LLMCU_TRY_ASSIGN(LlmcuEntry e, llmcu_layout(item.kind, norm ? LlmcuType::kF32 : mt,
                                                norm ? 0 : gs, s.layers, s.rows, s.cols));
    e.offset = offset;
    if (!checked_add(&offset, e.bytes)) {
      return Status::error(StatusCode::kOutOfRange, "the file would exceed 2^64 bytes");
    }
    out[n++] = {e, item.norm, item.matrix};
  }
  const uint64_t data_begin = kLlmcuHeaderBytes + uint64_t{n} * kLlmcuEntryBytes;
  for (uint32_t i = 0; i < n; ++i) out[i].entry.offset += data_begin;
  return n;
}

Status check_writer_args(const ModelConfig& c, WeightType type, int32_t group_size) {
  LLMCU_TRY(validate_config(c));
  if (type == WeightType::kQ8 && (group_size < 1 || group_size > kMaxGroupSize)) {
    return Status::error(StatusCode::kInvalidArgument, "group size %ld must be between 1 and %ld",
                         static_cast<long>(group_size), static_cast<long>(kMaxGroupSize));
  }
  if (type == WeightType::kF32 && group_size != 0) {
    return Status::error(StatusCode::kInvalidArgument, "fp32 tensors have no group size");
  }
  return Status::ok();
}

}  // namespace

uint64_t llmcu_file_bytes(const ModelConfig& c, WeightType type, int32_t group_size) {
  if (!check_writer_args(c, type, group_size).is_ok()) return 0;
  Planned planned[kLlmcuMaxKind];
  Result<uint32_t> n = plan_tensors(c, nullptr, type, group_size, planned);
  if (!n.is_ok()) return 0;
  const LlmcuEntry& last = planned[*n - 1].entry;
  return last.offset + last.bytes + kLlmcuTrailerBytes;
}

Result<QuantizeStats> write_llmcu(const Model& model, WeightType type, int32_t group_size,
                                  ByteSink sink, void* user) {
  const ModelConfig& c = model.config;
  if (model.weight_type != WeightType::kF32) {
    return Status::error(StatusCode::kInvalidArgument,
                         "the model is already int8 (%s): quantize its fp32 original",
                         model_format_name(model.format));
  }
  LLMCU_TRY(check_writer_args(c, type, group_size));
  Planned planned[kLlmcuMaxKind];
  LLMCU_TRY_ASSIGN(uint32_t count, plan_tensors(c, &model.weights, type, group_size, planned));
  const LlmcuEntry& last = planned[count - 1].entry;

  LlmcuHeader h;
  h.file_bytes = last.offset + last.bytes + kLlmcuTrailerBytes;
  h.config = c;
  h.flags = c.shared_classifier ? kLlmcuFlagSharedClassifier : 0;
  h.tensor_count = count;

  BufferedSink out(sink, user);
  uint8_t block[kLlmcuHeaderBytes];
  encode_llmcu_header(h, block);
  out.put(block, sizeof(block));
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t entry[kLlmcuEntryBytes];
    encode_llmcu_entry(planned[i].entry, entry);
    out.put(entry, sizeof(entry));
  }
  QuantizeStats stats;
  for (uint32_t i = 0; i < count; ++i) {
    const Planned& p = planned[i];
    if (p.entry.type == static_cast<uint16_t>(LlmcuType::kQ8)) {
      LLMCU_TRY(write_q8_tensor(out, p.entry, *p.matrix, &stats));
    } else {
      write_f32_tensor(out, p.entry, p.norm, p.matrix);
    }
    if (!out.status().is_ok()) return out.status();
  }
  out.flush();
  uint8_t trailer[kLlmcuTrailerBytes];
  write_u32(trailer, out.crc());
  memcpy(trailer + 4, kLlmcuTrailerMagic, sizeof(kLlmcuTrailerMagic));
  out.put(trailer, sizeof(trailer));
  out.flush();
  if (!out.status().is_ok()) return out.status();
  stats.bytes_written = out.written();
  if (stats.bytes_written != h.file_bytes) {
    return Status::error(StatusCode::kIoError, "wrote %llu bytes, planned %llu",
                         static_cast<ull>(stats.bytes_written), static_cast<ull>(h.file_bytes));
  }
  return stats;
}

}  // namespace llmcu
