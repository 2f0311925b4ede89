// The llmcu format's strict loader (docs/llmcu-format.md). It checks, in order: the header, that
// the table and the file are as long as the header says (naming the tensor that is cut off), the
// CRC-32 in the trailer, then every table entry against the config and the canonical layout, that
// tensors are 64-byte aligned, inside the data region and disjoint, that every byte outside them is
// zero, and that every scale is finite. Only then is a pointer formed.
#include <cmath>
#include <cstring>

#include "bytes.h"
#include "checked_math.h"
#include "llmcu/llmcu_format.h"
#include "llmcu_format_shapes.h"

namespace llmcu {
namespace {

using ull = unsigned long long;

uint64_t count_parameters(const ModelConfig& c) {
  const uint64_t dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers, vocab = c.vocab_size;
  const uint64_t kv_dim = c.kv_dim();
  const uint64_t per_layer = 2 * dim + dim * dim * 2 + dim * kv_dim * 2 + dim * hidden * 3;
  uint64_t total = vocab * dim + layers * per_layer + dim;
  if (!c.shared_classifier) total += vocab * dim;
  return total;
}

// First byte in [begin, end) that is not zero, or end.
uint64_t first_nonzero(const uint8_t* base, uint64_t begin, uint64_t end) {
  for (uint64_t i = begin; i < end; ++i) {
    if (base[i] != 0) return i;
  }
  return end;
}

const char* entry_label(const LlmcuEntry& e) {
  const char* name = llmcu_kind_name(e.kind);
  return name != nullptr ? name : "(unknown kind)";
}

// ---- loader pieces -------------------------------------------------------------

// The file is shorter than the header says: name what is cut off.
Status truncated_data(std::span<const uint8_t> bytes, const LlmcuHeader& h) {
  const uint64_t size = bytes.size();
  for (uint32_t i = 0; i < h.tensor_count; ++i) {
    const LlmcuEntry e = *decode_llmcu_entry(bytes, i);
    uint64_t end = e.offset;
    if (!checked_add(&end, e.bytes) || end > size) {
      return Status::error(StatusCode::kInvalidFormat,
                           "truncated: header says %llu bytes, file has %llu; tensor %s (table "
                           "entry %u, bytes from %llu) is cut off",
                           static_cast<ull>(h.file_bytes), static_cast<ull>(size), entry_label(e),
                           static_cast<unsigned>(i), static_cast<ull>(e.offset));
    }
  }
  return Status::error(StatusCode::kInvalidFormat,
                       "truncated: header says %llu bytes, file has %llu; the trailer is cut off",
                       static_cast<ull>(h.file_bytes), static_cast<ull>(size));
}

Status check_header(std::span<const uint8_t> bytes, LlmcuHeader* out) {
  const uint64_t size = bytes.size();
  if (size < kLlmcuHeaderBytes) {
    return Status::error(StatusCode::kInvalidFormat,
                         "truncated: the header needs %u bytes, file has %llu",
                         static_cast<unsigned>(kLlmcuHeaderBytes), static_cast<ull>(size));
  }
  if (!is_llmcu_file(bytes)) {
    return Status::error(StatusCode::kInvalidFormat, "no llmcu magic \"LLMCUMDL\" at byte 0");
  }
  const LlmcuHeader h = *decode_llmcu_header(bytes);
  if (h.version != kLlmcuVersion) {
    return Status::error(
        StatusCode::kUnsupported, "format version %lu; this build reads version %lu",
        static_cast<unsigned long>(h.version), static_cast<unsigned long>(kLlmcuVersion));
  }
  if (h.header_bytes != kLlmcuHeaderBytes || h.entry_bytes != kLlmcuEntryBytes) {
    return Status::error(
        StatusCode::kInvalidFormat, "header_bytes %lu and entry_bytes %lu: version 1 has 64 and 64",
        static_cast<unsigned long>(h.header_bytes), static_cast<unsigned long>(h.entry_bytes));
  }
  if ((h.flags & ~kLlmcuFlagSharedClassifier) != 0) {
    return Status::error(StatusCode::kInvalidFormat,
                         "unknown flags 0x%08lx in the header (only bit 0, shared classifier, "
                         "is defined)",
                         static_cast<unsigned long>(h.flags));
  }
  if (h.tensor_count == 0 || h.tensor_count > kLlmcuMaxTensors) {
    return Status::error(StatusCode::kInvalidFormat, "tensor_count %lu: must be between 1 and %lu",
                         static_cast<unsigned long>(h.tensor_count),
                         static_cast<unsigned long>(kLlmcuMaxTensors));
  }
  const uint64_t table_end = kLlmcuHeaderBytes + uint64_t{h.tensor_count} * kLlmcuEntryBytes;
  if (size < table_end) {
    const uint64_t cut = (size - kLlmcuHeaderBytes) / kLlmcuEntryBytes;
    const uint64_t start = kLlmcuHeaderBytes + cut * kLlmcuEntryBytes;
    return Status::error(StatusCode::kInvalidFormat,
                         "truncated: tensor table entry %llu of %lu (bytes %llu-%llu) is cut off: "
                         "file has %llu bytes",
                         static_cast<ull>(cut), static_cast<unsigned long>(h.tensor_count),
                         static_cast<ull>(start), static_cast<ull>(start + kLlmcuEntryBytes - 1),
                         static_cast<ull>(size));
  }
  if (h.file_bytes < table_end + kLlmcuTrailerBytes) {
    return Status::error(StatusCode::kInvalidFormat,
                         "header says %llu bytes, less than its header, table and trailer (%llu)",
                         static_cast<ull>(h.file_bytes),
                         static_cast<ull>(table_end + kLlmcuTrailerBytes));
  }
  if (size < h.file_bytes) return truncated_data(bytes, h);
  if (size > h.file_bytes) {
    return Status::error(StatusCode::kInvalidFormat,
                         "%llu trailing bytes: header says %llu bytes, file has %llu",
                         static_cast<ull>(size - h.file_bytes), static_cast<ull>(h.file_bytes),
                         static_cast<ull>(size));
  }
  const uint8_t* trailer = bytes.data() + size - kLlmcuTrailerBytes;
  if (memcmp(trailer + 4, kLlmcuTrailerMagic, sizeof(kLlmcuTrailerMagic)) != 0) {
    return Status::error(StatusCode::kInvalidFormat,
                         "no trailer: the last 4 bytes are not \"LEND\" (file cut or overwritten)");
  }
  const uint32_t stored = read_u32(trailer);
  const uint32_t computed = crc32(bytes.first(size - kLlmcuTrailerBytes));
  if (stored != computed) {
    return Status::error(StatusCode::kInvalidFormat,
                         "checksum mismatch: the trailer says CRC-32 0x%08lx, the bytes give "
                         "0x%08lx: the file is corrupt",
                         static_cast<unsigned long>(stored), static_cast<unsigned long>(computed));
  }
  *out = h;
  return Status::ok();
}

// One entry against the config and the canonical layout. `data_begin` and
// `data_end` bound the tensor data region.
Status check_entry(const LlmcuEntry& e, uint32_t index, const ModelConfig& c, uint64_t data_begin,
                   uint64_t data_end, std::span<const uint8_t> bytes) {
  const char* name = llmcu_kind_name(e.kind);
  if (name == nullptr) {
    return Status::error(StatusCode::kInvalidFormat,
                         "tensor table entry %lu: unknown tensor kind %u",
                         static_cast<unsigned long>(index), static_cast<unsigned>(e.kind));
  }
  const uint8_t* raw = bytes.data() + kLlmcuHeaderBytes + uint64_t{index} * kLlmcuEntryBytes;
  if (read_u64(raw + 56) != 0) {
    return Status::error(StatusCode::kInvalidFormat,
                         "tensor %s: reserved bytes 56-63 of its table entry are not zero", name);
  }
  if (e.type == static_cast<uint16_t>(LlmcuType::kQ4)) {
    return Status::error(StatusCode::kUnsupported,
                         "tensor %s: type q4 is reserved for a later version; this build reads "
                         "f32 and q8",
                         name);
  }
  if (e.type != static_cast<uint16_t>(LlmcuType::kF32) &&
      e.type != static_cast<uint16_t>(LlmcuType::kQ8)) {
    return Status::error(StatusCode::kInvalidFormat,
                         "tensor %s: unknown type %u (this build reads 0 = f32 and 1 = q8)", name,
                         static_cast<unsigned>(e.type));
  }
  const bool q8 = e.type == static_cast<uint16_t>(LlmcuType::kQ8);
  if (q8 && llmcu_is_norm(e.kind)) {
    return Status::error(StatusCode::kInvalidFormat, "tensor %s: norms must be f32, not q8", name);
  }
  if (!q8 && e.group_size != 0) {
    return Status::error(StatusCode::kInvalidFormat,
                         "tensor %s: f32 with group size %lu (must be 0)", name,
                         static_cast<unsigned long>(e.group_size));
  }
  if (q8 && (e.group_size == 0 || e.group_size > static_cast<uint32_t>(kMaxGroupSize))) {
    return Status::error(
        StatusCode::kInvalidFormat, "tensor %s: group size %lu must be between 1 and %ld", name,
        static_cast<unsigned long>(e.group_size), static_cast<long>(kMaxGroupSize));
  }
  const LlmcuShape s = llmcu_expected_shape(e.kind, c);
  if (e.layers != s.layers || e.rows != s.rows || e.cols != s.cols) {
    return Status::error(StatusCode::kInvalidFormat,
                         "tensor %s: shape (%lu, %lu, %lu), the config needs (%lu, %lu, %lu)", name,
                         static_cast<unsigned long>(e.layers), static_cast<unsigned long>(e.rows),
                         static_cast<unsigned long>(e.cols), static_cast<unsigned long>(s.layers),
                         static_cast<unsigned long>(s.rows), static_cast<unsigned long>(s.cols));
  }
  Result<LlmcuEntry> want =
      llmcu_layout(static_cast<LlmcuKind>(e.kind), static_cast<LlmcuType>(e.type), e.group_size,
                   e.layers, e.rows, e.cols);
  if (!want.is_ok()) {
    Status status = want.status();
    return status.with_context(name);
  }
  const struct {
    const char* field;
    uint64_t got, need;
  } fields[] = {{"row_stride", e.row_stride, want->row_stride},
                {"scale_offset", e.scale_offset, want->scale_offset},
                {"layer_stride", e.layer_stride, want->layer_stride},
                {"bytes", e.bytes, want->bytes}};
  for (const auto& f : fields) {
    if (f.got != f.need) {
      return Status::error(StatusCode::kInvalidFormat,
                           "tensor %s: %s is %llu, the layout of a %s (%lu, %lu, %lu) tensor "
                           "needs %llu",
                           name, f.field, static_cast<ull>(f.got), llmcu_type_name(e.type),
                           static_cast<unsigned long>(e.layers), static_cast<unsigned long>(e.rows),
                           static_cast<unsigned long>(e.cols), static_cast<ull>(f.need));
    }
  }
  if (e.offset % kLlmcuAlignment != 0) {
    return Status::error(StatusCode::kInvalidFormat,
                         "tensor %s: offset %llu is not a multiple of %u", name,
                         static_cast<ull>(e.offset), static_cast<unsigned>(kLlmcuAlignment));
  }
  uint64_t end = e.offset;
  if (e.offset < data_begin || !checked_add(&end, e.bytes) || end > data_end) {
    return Status::error(StatusCode::kInvalidFormat,
                         "tensor %s: bytes from %llu, %llu long, lie outside the tensor data "
                         "(bytes %llu-%llu)",
                         name, static_cast<ull>(e.offset), static_cast<ull>(e.bytes),
                         static_cast<ull>(data_begin), static_cast<ull>(data_end - 1));
  }
  return Status::ok();
}

// Inside one tensor: row padding and the gaps around the scales are zero,
// every scale is finite.
Status check_tensor_contents(const LlmcuEntry& e, const uint8_t* base) {
  const char* name = llmcu_kind_name(e.kind);
  const bool q8 = e.type == static_cast<uint16_t>(LlmcuType::kQ8);
  const uint64_t value_bytes =
      q8 ? uint64_t{e.rows} * e.row_stride : uint64_t{e.rows} * e.cols * sizeof(float);
  const uint64_t groups = q8 ? e.row_stride / e.group_size : 0;
  const uint64_t scales_end = q8 ? e.scale_offset + uint64_t{e.rows} * groups * 4 : value_bytes;
  for (uint32_t l = 0; l < e.layers; ++l) {
    const uint8_t* layer = base + e.offset + uint64_t{l} * e.layer_stride;
    if (q8) {
      for (uint32_t r = 0; r < e.rows; ++r) {
        const uint64_t row = uint64_t{r} * e.row_stride;
        const uint64_t bad = first_nonzero(layer, row + e.cols, row + e.row_stride);
        if (bad != row + e.row_stride) {
          return Status::error(StatusCode::kInvalidFormat,
                               "tensor %s, layer %lu, row %lu: padding value %llu of its last "
                               "group is not zero",
                               name, static_cast<unsigned long>(l), static_cast<unsigned long>(r),
                               static_cast<ull>(bad - row - e.cols));
        }
      }
      for (uint64_t g = 0; g < uint64_t{e.rows} * groups; ++g) {
        float scale;
        memcpy(&scale, layer + e.scale_offset + g * 4, sizeof(scale));
        if (!std::isfinite(scale)) {
          return Status::error(StatusCode::kInvalidFormat,
                               "tensor %s, layer %lu, row %llu: scale of group %llu is not finite",
                               name, static_cast<unsigned long>(l), static_cast<ull>(g / groups),
                               static_cast<ull>(g % groups));
        }
      }
    }
    const uint64_t pads[2][2] = {{value_bytes, q8 ? e.scale_offset : value_bytes},
                                 {scales_end, e.layer_stride}};
    for (const auto& pad : pads) {
      const uint64_t bad = first_nonzero(layer, pad[0], pad[1]);
      if (bad != pad[1]) {
        return Status::error(StatusCode::kInvalidFormat,
                             "tensor %s, layer %lu: alignment padding byte %llu is not zero", name,
                             static_cast<unsigned long>(l), static_cast<ull>(bad));
      }
    }
  }
  return Status::ok();
}

Matrix matrix_view(const LlmcuEntry& e, const uint8_t* base) {
  Matrix m;
  m.type = e.type == static_cast<uint16_t>(LlmcuType::kQ8) ? WeightType::kQ8 : WeightType::kF32;
  m.base = base + e.offset;
  m.layer_stride = static_cast<size_t>(e.layer_stride);
  m.rows = static_cast<int32_t>(e.rows);
  m.cols = static_cast<int32_t>(e.cols);
  m.group_size = static_cast<int32_t>(e.group_size);
  m.row_stride = static_cast<int32_t>(e.row_stride);
  m.scale_offset = static_cast<size_t>(e.scale_offset);
  return m;
}

Result<Model> load_checked(std::span<const uint8_t> bytes) {
  LlmcuHeader h;
  LLMCU_TRY(check_header(bytes, &h));
  ModelConfig c = h.config;
  c.shared_classifier = (h.flags & kLlmcuFlagSharedClassifier) != 0;
  LLMCU_TRY(validate_config(c));

  const uint64_t data_begin = kLlmcuHeaderBytes + uint64_t{h.tensor_count} * kLlmcuEntryBytes;
  const uint64_t data_end = h.file_bytes - kLlmcuTrailerBytes;
  int32_t by_kind[kLlmcuMaxKind + 1];
  for (int32_t& k : by_kind) k = -1;
  LlmcuEntry entries[kLlmcuMaxKind + 1];
  for (uint32_t i = 0; i < h.tensor_count; ++i) {
    const LlmcuEntry e = *decode_llmcu_entry(bytes, i);
    LLMCU_TRY(check_entry(e, i, c, data_begin, data_end, bytes));
    if (by_kind[e.kind] >= 0) {
      return Status::error(StatusCode::kInvalidFormat,
                           "tensor table entry %lu: a second %s tensor (entry %ld is one)",
                           static_cast<unsigned long>(i), llmcu_kind_name(e.kind),
                           static_cast<long>(by_kind[e.kind]));
    }
    by_kind[e.kind] = static_cast<int32_t>(i);
    entries[e.kind] = e;
  }
  for (uint16_t k = 1; k <= kLlmcuMaxKind; ++k) {
    const bool is_classifier = k == static_cast<uint16_t>(LlmcuKind::kClassifier);
    if (is_classifier && c.shared_classifier && by_kind[k] >= 0) {
      return Status::error(StatusCode::kInvalidFormat,
                           "a classifier tensor (entry %ld), but the header's flags say the "
                           "classifier is the token embedding",
                           static_cast<long>(by_kind[k]));
    }
    if (by_kind[k] < 0 && !(is_classifier && c.shared_classifier)) {
      return Status::error(StatusCode::kInvalidFormat, "no %s tensor in the table%s",
                           llmcu_kind_name(k),
                           is_classifier ? " (the header's flags say it is not shared)" : "");
    }
  }
  // One type and one group size for every matrix: the int8 input of a matvec
  // is quantized once for all the matrices that read it.
  const LlmcuEntry& first = entries[static_cast<uint16_t>(LlmcuKind::kTokenEmbedding)];
  for (uint16_t k = 1; k <= kLlmcuMaxKind; ++k) {
    if (llmcu_is_norm(k) || by_kind[k] < 0) continue;
    const LlmcuEntry& e = entries[k];
    if (e.type != first.type || e.group_size != first.group_size) {
      return Status::error(StatusCode::kUnsupported,
                           "tensor %s is %s with group size %lu, token_embedding %s with group "
                           "size %lu: this version needs one type and group size for all matrices",
                           llmcu_kind_name(k), llmcu_type_name(e.type),
                           static_cast<unsigned long>(e.group_size), llmcu_type_name(first.type),
                           static_cast<unsigned long>(first.group_size));
    }
  }
  // Disjoint, and every byte between them zero: walk them in offset order.
  for (uint32_t i = 0; i < h.tensor_count; ++i) {
    const LlmcuEntry a = *decode_llmcu_entry(bytes, i);
    for (uint32_t j = i + 1; j < h.tensor_count; ++j) {
      const LlmcuEntry b = *decode_llmcu_entry(bytes, j);
      if (a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes) {
        return Status::error(StatusCode::kInvalidFormat,
                             "tensors %s (bytes %llu-%llu) and %s (bytes %llu-%llu) overlap",
                             llmcu_kind_name(a.kind), static_cast<ull>(a.offset),
                             static_cast<ull>(a.offset + a.bytes - 1), llmcu_kind_name(b.kind),
                             static_cast<ull>(b.offset), static_cast<ull>(b.offset + b.bytes - 1));
      }
    }
  }
  uint64_t cursor = data_begin;
  for (;;) {
    uint64_t next = data_end, next_end = data_end;
    for (uint32_t i = 0; i < h.tensor_count; ++i) {
      const LlmcuEntry e = *decode_llmcu_entry(bytes, i);
      if (e.offset >= cursor && e.offset < next) {
        next = e.offset;
        next_end = e.offset + e.bytes;
      }
    }
    const uint64_t bad = first_nonzero(bytes.data(), cursor, next);
    if (bad != next) {
      return Status::error(StatusCode::kInvalidFormat,
                           "byte %llu lies between tensors and is not zero", static_cast<ull>(bad));
    }
    if (next == data_end) break;
    cursor = next_end;
  }
  for (uint16_t k = 1; k <= kLlmcuMaxKind; ++k) {
    if (by_kind[k] >= 0) LLMCU_TRY(check_tensor_contents(entries[k], bytes.data()));
  }

  const uint8_t* base = bytes.data();
  Model m;
  m.format = ModelFormat::kLlmcu;
  m.weight_type =
      first.type == static_cast<uint16_t>(LlmcuType::kQ8) ? WeightType::kQ8 : WeightType::kF32;
  c.group_size = static_cast<int32_t>(first.group_size);
  m.config = c;
  m.file_bytes = bytes.size();
  m.parameter_count = count_parameters(c);
  Weights& w = m.weights;
  auto norm = [&](LlmcuKind k) {
    return reinterpret_cast<const float*>(base + entries[static_cast<uint16_t>(k)].offset);
  };
  auto matrix = [&](LlmcuKind k) { return matrix_view(entries[static_cast<uint16_t>(k)], base); };
  w.rms_att = norm(LlmcuKind::kRmsAtt);
  w.rms_ffn = norm(LlmcuKind::kRmsFfn);
  w.rms_final = norm(LlmcuKind::kRmsFinal);
  w.token_embedding = matrix(LlmcuKind::kTokenEmbedding);
  w.wq = matrix(LlmcuKind::kWq);
  w.wk = matrix(LlmcuKind::kWk);
  w.wv = matrix(LlmcuKind::kWv);
  w.wo = matrix(LlmcuKind::kWo);
  w.w1 = matrix(LlmcuKind::kW1);
  w.w2 = matrix(LlmcuKind::kW2);
  w.w3 = matrix(LlmcuKind::kW3);
  w.classifier = c.shared_classifier ? w.token_embedding : matrix(LlmcuKind::kClassifier);
  return m;
}

}  // namespace

Result<Model> load_llmcu(std::span<const uint8_t> bytes) {
  Result<Model> m = load_checked(bytes);
  if (!m.is_ok()) {
    Status status = m.status();
    return status.with_context("llmcu format");
  }
  return m;
}

}  // namespace llmcu
