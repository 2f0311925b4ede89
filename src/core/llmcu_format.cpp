// The llmcu format (docs/llmcu-format.md): encoding, the strict loader and the
// writer. The loader checks, in order: the header, that the table and the
// file are as long as the header says (naming the tensor that is cut off),
// the CRC-32 in the trailer, then every table entry against the config and
// the canonical layout, that tensors are 64-byte aligned, inside the data
// region and disjoint, that every byte outside them is zero, and that every
// scale is finite. Only then is a pointer formed.
#include "llmcu/llmcu_format.h"

#include <cmath>
#include <cstring>

#include "buffered_sink.h"
#include "checked_math.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "llmcu files are little-endian and read in place"
#endif

namespace llmcu {
namespace {

// ---- little-endian fields ----------------------------------------------------

uint16_t rd16(const uint8_t* p) {
  uint16_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}
uint32_t rd32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}
uint64_t rd64(const uint8_t* p) {
  uint64_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}
void wr16(uint8_t* p, uint16_t v) {
  memcpy(p, &v, sizeof(v));
}
void wr32(uint8_t* p, uint32_t v) {
  memcpy(p, &v, sizeof(v));
}
void wr64(uint8_t* p, uint64_t v) {
  memcpy(p, &v, sizeof(v));
}

using ull = unsigned long long;

constexpr const char* kKindNames[kLlmcuMaxKind + 1] = {nullptr,     "token_embedding",
                                                       "rms_att",   "rms_ffn",
                                                       "rms_final", "wq",
                                                       "wk",        "wv",
                                                       "wo",        "w1",
                                                       "w2",        "w3",
                                                       "classifier"};

bool is_norm(uint16_t kind) {
  return kind == static_cast<uint16_t>(LlmcuKind::kRmsAtt) ||
         kind == static_cast<uint16_t>(LlmcuKind::kRmsFfn) ||
         kind == static_cast<uint16_t>(LlmcuKind::kRmsFinal);
}

// Rounds up to a multiple of kLlmcuAlignment; false on overflow.
bool align_up(uint64_t* v) {
  const uint64_t a = kLlmcuAlignment;
  if (*v > UINT64_MAX - (a - 1)) return false;
  *v = (*v + a - 1) / a * a;
  return true;
}

// The (layers, rows, cols) a tensor kind has under `c`.
struct Shape {
  uint32_t layers, rows, cols;
};
Shape expected_shape(uint16_t kind, const ModelConfig& c) {
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
  const uint32_t stored = rd32(trailer);
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
  if (rd64(raw + 56) != 0) {
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
  if (q8 && is_norm(e.kind)) {
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
  const Shape s = expected_shape(e.kind, c);
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
    if (is_norm(k) || by_kind[k] < 0) continue;
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
  w.rms_att = {norm(LlmcuKind::kRmsAtt), nullptr, static_cast<size_t>(c.dim)};
  w.rms_ffn = {norm(LlmcuKind::kRmsFfn), nullptr, static_cast<size_t>(c.dim)};
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
  const Item items[] = {{LlmcuKind::kRmsAtt, w ? w->rms_att.base : nullptr, nullptr},
                        {LlmcuKind::kRmsFfn, w ? w->rms_ffn.base : nullptr, nullptr},
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
    const Shape s = expected_shape(kind, c);
    const bool norm = is_norm(kind);
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
    if (!checked_product(&values, {rows, stride}) || !align_up(&values) ||
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
  if (layer_bytes == UINT64_MAX || !align_up(&layer_bytes) ||
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
  h.version = rd32(p + 8);
  h.header_bytes = rd32(p + 12);
  h.file_bytes = rd64(p + 16);
  int32_t* fields[] = {&h.config.dim,     &h.config.hidden_dim, &h.config.n_layers,
                       &h.config.n_heads, &h.config.n_kv_heads, &h.config.vocab_size,
                       &h.config.seq_len};
  for (size_t i = 0; i < 7; ++i) *fields[i] = static_cast<int32_t>(rd32(p + 24 + 4 * i));
  h.flags = rd32(p + 52);
  h.config.shared_classifier = (h.flags & kLlmcuFlagSharedClassifier) != 0;
  h.tensor_count = rd32(p + 56);
  h.entry_bytes = rd32(p + 60);
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
  e.kind = rd16(p + 0);
  e.type = rd16(p + 2);
  e.group_size = rd32(p + 4);
  e.layers = rd32(p + 8);
  e.rows = rd32(p + 12);
  e.cols = rd32(p + 16);
  e.row_stride = rd32(p + 20);
  e.offset = rd64(p + 24);
  e.bytes = rd64(p + 32);
  e.layer_stride = rd64(p + 40);
  e.scale_offset = rd64(p + 48);
  return e;
}

void encode_llmcu_header(const LlmcuHeader& h, uint8_t out[kLlmcuHeaderBytes]) {
  memset(out, 0, kLlmcuHeaderBytes);
  memcpy(out, kLlmcuMagic, sizeof(kLlmcuMagic));
  wr32(out + 8, h.version);
  wr32(out + 12, h.header_bytes);
  wr64(out + 16, h.file_bytes);
  const int32_t fields[] = {h.config.dim,     h.config.hidden_dim, h.config.n_layers,
                            h.config.n_heads, h.config.n_kv_heads, h.config.vocab_size,
                            h.config.seq_len};
  for (size_t i = 0; i < 7; ++i) wr32(out + 24 + 4 * i, static_cast<uint32_t>(fields[i]));
  wr32(out + 52, h.flags);
  wr32(out + 56, h.tensor_count);
  wr32(out + 60, h.entry_bytes);
}

void encode_llmcu_entry(const LlmcuEntry& e, uint8_t out[kLlmcuEntryBytes]) {
  memset(out, 0, kLlmcuEntryBytes);
  wr16(out + 0, e.kind);
  wr16(out + 2, e.type);
  wr32(out + 4, e.group_size);
  wr32(out + 8, e.layers);
  wr32(out + 12, e.rows);
  wr32(out + 16, e.cols);
  wr32(out + 20, e.row_stride);
  wr64(out + 24, e.offset);
  wr64(out + 32, e.bytes);
  wr64(out + 40, e.layer_stride);
  wr64(out + 48, e.scale_offset);
}

Result<Model> load_llmcu(std::span<const uint8_t> bytes) {
  Result<Model> m = load_checked(bytes);
  if (!m.is_ok()) {
    Status status = m.status();
    return status.with_context("llmcu format");
  }
  return m;
}

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
  if (model.format == ModelFormat::kGguf) {
    return Status::error(StatusCode::kUnsupported,
                         "a GGUF model converts to GGUF only (llmcu quantize --format gguf)");
  }
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
  wr32(trailer, out.crc());
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
