// Checkpoint formats of the llama2.c family, detected from their bytes.
//
//   version 0 (legacy):  7 x int32 config, then fp32 tensors from byte 28
//   version 1 / 2:       uint32 magic "ak42", int32 version, 7 x int32 config,
//                        uint8 shared_classifier, [int32 group_size], zero pad to 256
//
// Every size is computed in 64 bits with overflow checks, and the total the
// header implies must equal the file size exactly before a pointer is formed.
#include <cmath>
#include <cstring>
#include <initializer_list>

#include "bytes.h"
#include "checked_math.h"
#include "llama2c_format.h"
#include "llmcu/llmcu_format.h"
#include "llmcu/model.h"

namespace llmcu {
namespace {

// Lays tensors out one after another, in file order, and remembers where each
// starts. Pointers are formed only after the total has been checked.
class TensorCursor {
 public:
  explicit TensorCursor(uint64_t start) : offset_(start) {}

  // Reserves `count` values of `value_bytes` each; returns the start offset.
  uint64_t take(std::initializer_list<uint64_t> dims, uint64_t value_bytes, const char* tensor) {
    uint64_t count = 0;
    uint64_t bytes = 0;
    uint64_t start = offset_;
    if (!checked_product(&count, dims) || !checked_product(&bytes, {count, value_bytes}) ||
        !checked_add(&offset_, bytes)) {
      if (overflow_ == nullptr) overflow_ = tensor;
    }
    return start;
  }

  // After the last take(): the laid-out size must not have overflowed and
  // must equal the file's size exactly.
  Status check_covers(size_t file_bytes) const;

 private:
  uint64_t offset_;
  const char* overflow_ = nullptr;
};

Status check_positive(const char* field, int32_t value) {
  if (value <= 0) {
    return Status::error(StatusCode::kInvalidFormat, "%s must be positive, header says %ld", field,
                         static_cast<long>(value));
  }
  return Status::ok();
}

Status check_file_size(uint64_t expected, size_t actual) {
  if (expected == actual) return Status::ok();
  if (expected > actual) {
    return Status::error(
        StatusCode::kInvalidFormat, "truncated: header says %llu bytes, file has %llu",
        static_cast<unsigned long long>(expected), static_cast<unsigned long long>(actual));
  }
  return Status::error(
      StatusCode::kInvalidFormat, "%llu trailing bytes: header says %llu bytes, file has %llu",
      static_cast<unsigned long long>(actual - expected), static_cast<unsigned long long>(expected),
      static_cast<unsigned long long>(actual));
}

Status TensorCursor::check_covers(size_t file_bytes) const {
  if (overflow_ != nullptr) {
    return Status::error(StatusCode::kInvalidFormat,
                         "size of tensor %s overflows 64 bits: the header dims are corrupt",
                         overflow_);
  }
  return check_file_size(offset_, file_bytes);
}

// The seven config ints shared by every version; `vocab_field` may be negative
// in version 0, where the sign says the classifier is stored separately.
Result<ModelConfig> parse_config(const uint8_t* p) {
  ModelConfig c;
  c.dim = read_i32(p + 0);
  c.hidden_dim = read_i32(p + 4);
  c.n_layers = read_i32(p + 8);
  c.n_heads = read_i32(p + 12);
  c.n_kv_heads = read_i32(p + 16);
  c.vocab_size = read_i32(p + 20);
  c.seq_len = read_i32(p + 24);
  return c;
}

// An fp32 (rows, cols) matrix per layer, stacked from `base`.
Matrix f32_matrix(const uint8_t* base, int32_t rows, int32_t cols) {
  Matrix m;
  m.base = base;
  m.type = WeightType::kF32;
  m.rows = rows;
  m.cols = cols;
  m.row_stride = cols;
  m.layer_stride = static_cast<size_t>(rows) * static_cast<size_t>(cols) * sizeof(float);
  return m;
}

uint64_t count_parameters(const ModelConfig& c) {
  const uint64_t dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers, vocab = c.vocab_size;
  const uint64_t kv_dim = c.kv_dim();
  uint64_t per_layer = 2 * dim + dim * dim * 2 + dim * kv_dim * 2 + dim * hidden * 3;
  uint64_t total = vocab * dim + layers * per_layer + dim;
  if (!c.shared_classifier) total += vocab * dim;
  return total;
}

// fp32 tensors in llama2.c's order (versions 0 and 1 share it apart from where
// the classifier and the RoPE tables sit).
Result<Model> load_f32(std::span<const uint8_t> bytes, ModelConfig c, uint64_t header_bytes,
                       bool has_rope_tables) {
  const uint64_t dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers, vocab = c.vocab_size;
  const uint64_t kv_dim = c.kv_dim(), head_size = c.head_size(), seq_len = c.seq_len;
  const uint64_t f = sizeof(float);

  TensorCursor cur(header_bytes);
  uint64_t o_emb = 0, o_rms_att = 0, o_wq = 0, o_wk = 0, o_wv = 0, o_wo = 0, o_rms_ffn = 0;
  uint64_t o_w1 = 0, o_w2 = 0, o_w3 = 0, o_rms_final = 0, o_cls = 0;
  if (has_rope_tables) {
    // Version 0: the layer norms sit among the matrices.
    o_emb = cur.take({vocab, dim}, f, "token_embedding");
    o_rms_att = cur.take({layers, dim}, f, "rms_att");
    o_wq = cur.take({layers, dim, dim}, f, "wq");
    o_wk = cur.take({layers, dim, kv_dim}, f, "wk");
    o_wv = cur.take({layers, dim, kv_dim}, f, "wv");
    o_wo = cur.take({layers, dim, dim}, f, "wo");
    o_rms_ffn = cur.take({layers, dim}, f, "rms_ffn");
    o_w1 = cur.take({layers, dim, hidden}, f, "w1");
    o_w2 = cur.take({layers, hidden, dim}, f, "w2");
    o_w3 = cur.take({layers, dim, hidden}, f, "w3");
    o_rms_final = cur.take({dim}, f, "rms_final");
    cur.take({seq_len, head_size}, f, "rope_tables");  // cos and sin halves: unused
  } else {
    // Version 1: norms first, then the matrices.
    o_rms_att = cur.take({layers, dim}, f, "rms_att");
    o_rms_ffn = cur.take({layers, dim}, f, "rms_ffn");
    o_rms_final = cur.take({dim}, f, "rms_final");
    o_emb = cur.take({vocab, dim}, f, "token_embedding");
    o_wq = cur.take({layers, dim, dim}, f, "wq");
    o_wk = cur.take({layers, dim, kv_dim}, f, "wk");
    o_wv = cur.take({layers, dim, kv_dim}, f, "wv");
    o_wo = cur.take({layers, dim, dim}, f, "wo");
    o_w1 = cur.take({layers, dim, hidden}, f, "w1");
    o_w2 = cur.take({layers, hidden, dim}, f, "w2");
    o_w3 = cur.take({layers, dim, hidden}, f, "w3");
  }
  o_cls = c.shared_classifier ? o_emb : cur.take({vocab, dim}, f, "classifier");
  LLMCU_TRY(cur.check_covers(bytes.size()));

  const uint8_t* base = bytes.data();
  Model m;
  m.config = c;
  m.weight_type = WeightType::kF32;
  m.file_bytes = bytes.size();
  m.parameter_count = count_parameters(c);
  Weights& w = m.weights;
  w.token_embedding = f32_matrix(base + o_emb, c.vocab_size, c.dim);
  w.classifier = f32_matrix(base + o_cls, c.vocab_size, c.dim);
  w.rms_att = reinterpret_cast<const float*>(base + o_rms_att);
  w.rms_ffn = reinterpret_cast<const float*>(base + o_rms_ffn);
  w.rms_final = reinterpret_cast<const float*>(base + o_rms_final);
  w.wq = f32_matrix(base + o_wq, c.dim, c.dim);
  w.wk = f32_matrix(base + o_wk, c.kv_dim(), c.dim);
  w.wv = f32_matrix(base + o_wv, c.kv_dim(), c.dim);
  w.wo = f32_matrix(base + o_wo, c.dim, c.dim);
  w.w1 = f32_matrix(base + o_w1, c.hidden_dim, c.dim);
  w.w2 = f32_matrix(base + o_w2, c.dim, c.hidden_dim);
  w.w3 = f32_matrix(base + o_w3, c.hidden_dim, c.dim);
  return m;
}

Result<Model> load_legacy(std::span<const uint8_t> bytes) {
  if (bytes.size() < kLegacyHeaderBytes) {
    return Status::error(
        StatusCode::kInvalidFormat, "truncated: a llama2.c header needs %u bytes, file has %llu",
        static_cast<unsigned>(kLegacyHeaderBytes), static_cast<unsigned long long>(bytes.size()));
  }
  ModelConfig c = *parse_config(bytes.data());
  // A negative vocab_size says the classifier follows the RoPE tables.
  c.shared_classifier = c.vocab_size > 0;
  if (c.vocab_size < 0) {
    if (c.vocab_size == INT32_MIN) {
      return Status::error(StatusCode::kInvalidFormat, "vocab_size %ld is out of range",
                           static_cast<long>(c.vocab_size));
    }
    c.vocab_size = -c.vocab_size;
  }
  LLMCU_TRY(validate_config(c));
  Result<Model> model = load_f32(bytes, c, kLegacyHeaderBytes, /*has_rope_tables=*/true);
  if (model.is_ok()) model->format = ModelFormat::kLlama2cV0;
  return model;
}

Matrix q8_matrix(int32_t rows, int32_t cols, int32_t group_size) {
  Matrix m;
  m.type = WeightType::kQ8;
  m.rows = rows;
  m.cols = cols;
  m.group_size = group_size;
  m.row_stride = cols;
  const size_t values = static_cast<size_t>(rows) * static_cast<size_t>(cols);
  m.scale_offset = values;
  m.layer_stride = values + values / static_cast<size_t>(group_size) * sizeof(float);
  return m;
}

// Every scale of every layer of `m` must be a finite number.
Status check_scales(const Matrix& m, int32_t layers, const char* tensor) {
  const size_t groups = static_cast<size_t>(m.rows) * m.cols / m.group_size;
  for (int32_t l = 0; l < layers; ++l) {
    const uint8_t* p = m.scale_bytes(l);
    for (size_t g = 0; g < groups; ++g) {
      float scale;
      memcpy(&scale, p + g * sizeof(float), sizeof(scale));
      if (!std::isfinite(scale)) {
        return Status::error(StatusCode::kInvalidFormat,
                             "tensor %s, layer %ld: scale of group %llu (row %llu) is not finite",
                             tensor, static_cast<long>(l), static_cast<unsigned long long>(g),
                             static_cast<unsigned long long>(g * m.group_size / m.cols));
      }
    }
  }
  return Status::ok();
}

// Version 2: fp32 norms, then each matrix as all its int8 values followed by
// its fp32 scales (one per group of group_size consecutive values), per layer.
Result<Model> load_q8(std::span<const uint8_t> bytes, ModelConfig c) {
  const uint64_t dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers, vocab = c.vocab_size;
  const uint64_t kv_dim = c.kv_dim(), gs = c.group_size;
  const uint64_t f = sizeof(float);
  // Bytes of one (rows, cols) matrix: the int8 values and one scale per group.
  auto q8_bytes = [&](uint64_t rows, uint64_t cols) {
    uint64_t values = 0, total = 0;
    if (!checked_product(&values, {rows, cols}) || !checked_product(&total, {values / gs, f}) ||
        !checked_add(&total, values)) {
      return UINT64_MAX;  // overflows below, in the cursor
    }
    return total;
  };

  TensorCursor cur(kAk42HeaderBytes);
  const uint64_t o_rms_att = cur.take({layers, dim}, f, "rms_att");
  const uint64_t o_rms_ffn = cur.take({layers, dim}, f, "rms_ffn");
  const uint64_t o_rms_final = cur.take({dim}, f, "rms_final");
  const uint64_t o_emb = cur.take({q8_bytes(vocab, dim)}, 1, "token_embedding");
  const uint64_t o_wq = cur.take({layers, q8_bytes(dim, dim)}, 1, "wq");
  const uint64_t o_wk = cur.take({layers, q8_bytes(kv_dim, dim)}, 1, "wk");
  const uint64_t o_wv = cur.take({layers, q8_bytes(kv_dim, dim)}, 1, "wv");
  const uint64_t o_wo = cur.take({layers, q8_bytes(dim, dim)}, 1, "wo");
  const uint64_t o_w1 = cur.take({layers, q8_bytes(hidden, dim)}, 1, "w1");
  const uint64_t o_w2 = cur.take({layers, q8_bytes(dim, hidden)}, 1, "w2");
  const uint64_t o_w3 = cur.take({layers, q8_bytes(hidden, dim)}, 1, "w3");
  const uint64_t o_cls =
      c.shared_classifier ? o_emb : cur.take({q8_bytes(vocab, dim)}, 1, "classifier");
  LLMCU_TRY(cur.check_covers(bytes.size()));

  const uint8_t* base = bytes.data();
  Model m;
  m.config = c;
  m.weight_type = WeightType::kQ8;
  m.file_bytes = bytes.size();
  m.parameter_count = count_parameters(c);
  Weights& w = m.weights;
  const int32_t g = c.group_size;
  w.rms_att = reinterpret_cast<const float*>(base + o_rms_att);
  w.rms_ffn = reinterpret_cast<const float*>(base + o_rms_ffn);
  w.rms_final = reinterpret_cast<const float*>(base + o_rms_final);
  struct Entry {
    Matrix* matrix;
    uint64_t offset;
    int32_t rows, cols, layers;
    const char* name;
  };
  const Entry entries[] = {
      {&w.token_embedding, o_emb, c.vocab_size, c.dim, 1, "token_embedding"},
      {&w.wq, o_wq, c.dim, c.dim, c.n_layers, "wq"},
      {&w.wk, o_wk, c.kv_dim(), c.dim, c.n_layers, "wk"},
      {&w.wv, o_wv, c.kv_dim(), c.dim, c.n_layers, "wv"},
      {&w.wo, o_wo, c.dim, c.dim, c.n_layers, "wo"},
      {&w.w1, o_w1, c.hidden_dim, c.dim, c.n_layers, "w1"},
      {&w.w2, o_w2, c.dim, c.hidden_dim, c.n_layers, "w2"},
      {&w.w3, o_w3, c.hidden_dim, c.dim, c.n_layers, "w3"},
      {&w.classifier, o_cls, c.vocab_size, c.dim, 1, "classifier"},
  };
  for (const Entry& e : entries) {
    *e.matrix = q8_matrix(e.rows, e.cols, g);
    e.matrix->base = base + e.offset;
    if (e.matrix == &w.classifier && c.shared_classifier) continue;
    LLMCU_TRY(check_scales(*e.matrix, e.layers, e.name));
  }
  return m;
}

Result<Model> load_ak42(std::span<const uint8_t> bytes) {
  if (bytes.size() < 8) {
    return Status::error(StatusCode::kInvalidFormat,
                         "truncated: \"ak42\" magic found but the file has only %llu bytes",
                         static_cast<unsigned long long>(bytes.size()));
  }
  const int32_t version = read_i32(bytes.data() + 4);
  if (version != 1 && version != 2) {
    return Status::error(StatusCode::kUnsupported,
                         "llama2.c \"ak42\" file of version %ld: only versions 1 (fp32) and 2 "
                         "(int8) exist",
                         static_cast<long>(version));
  }
  const char* context = version == 1 ? "llama2.c version 1" : "llama2.c version 2";
  auto fail = [context](Status status) { return status.with_context(context); };
  if (bytes.size() < kAk42HeaderBytes) {
    return fail(Status::error(
        StatusCode::kInvalidFormat, "truncated: the header needs %u bytes, file has %llu",
        static_cast<unsigned>(kAk42HeaderBytes), static_cast<unsigned long long>(bytes.size())));
  }
  ModelConfig c = *parse_config(bytes.data() + 8);
  const uint8_t shared = bytes[kAk42FlagOffset];
  if (shared > 1) {
    return fail(Status::error(StatusCode::kInvalidFormat,
                              "shared_classifier flag at byte 36 is %u; it must be 0 or 1",
                              static_cast<unsigned>(shared)));
  }
  c.shared_classifier = shared == 1;
  size_t pad_start = kAk42FlagOffset + 1;
  if (version == 2) {
    c.group_size = read_i32(bytes.data() + kAk42GroupSizeOffset);
    if (c.group_size <= 0) {
      return fail(Status::error(StatusCode::kInvalidFormat,
                                "group_size at byte 37 must be positive, header says %ld",
                                static_cast<long>(c.group_size)));
    }
    pad_start = kAk42GroupSizeOffset + sizeof(int32_t);
    if (c.dim % c.group_size != 0 || c.hidden_dim % c.group_size != 0) {
      const bool dim_ok = c.dim % c.group_size == 0;
      return fail(Status::error(
          StatusCode::kInvalidFormat,
          "group size %ld does not divide %s %ld, the row length of %s: int8 groups must not "
          "straddle rows",
          static_cast<long>(c.group_size), dim_ok ? "hidden_dim" : "dim",
          static_cast<long>(dim_ok ? c.hidden_dim : c.dim),
          dim_ok ? "w2" : "wq, wk, wv, wo, w1, w3 and the embedding"));
    }
  }
  for (size_t i = pad_start; i < kAk42HeaderBytes; ++i) {
    if (bytes[i] != 0) {
      return fail(Status::error(StatusCode::kInvalidFormat,
                                "header byte %u is %u; bytes %u-255 must be zero padding",
                                static_cast<unsigned>(i), static_cast<unsigned>(bytes[i]),
                                static_cast<unsigned>(pad_start)));
    }
  }
  Status valid = validate_config(c);
  if (!valid.is_ok()) return fail(valid);

  Result<Model> model = version == 1
                            ? load_f32(bytes, c, kAk42HeaderBytes, /*has_rope_tables=*/false)
                            : load_q8(bytes, c);
  if (!model.is_ok()) return fail(model.status());
  model->format = version == 1 ? ModelFormat::kLlama2cV1 : ModelFormat::kLlama2cV2;
  return model;
}

}  // namespace

const char* model_format_name(ModelFormat format) {
  switch (format) {
    case ModelFormat::kLlama2cV0: return "llama2.c version 0 (legacy fp32)";
    case ModelFormat::kLlama2cV1: return "llama2.c version 1 (fp32)";
    case ModelFormat::kLlama2cV2: return "llama2.c version 2 (int8 Q8_0)";
    case ModelFormat::kLlmcu: return "llmcu version 1";
  }
  return "unknown";
}

size_t Matrix::bytes_per_layer() const {
  return layer_stride;
}

Status validate_config(const ModelConfig& c) {
  LLMCU_TRY(check_positive("dim", c.dim));
  LLMCU_TRY(check_positive("hidden_dim", c.hidden_dim));
  LLMCU_TRY(check_positive("n_layers", c.n_layers));
  LLMCU_TRY(check_positive("n_heads", c.n_heads));
  LLMCU_TRY(check_positive("n_kv_heads", c.n_kv_heads));
  LLMCU_TRY(check_positive("vocab_size", c.vocab_size));
  LLMCU_TRY(check_positive("seq_len", c.seq_len));
  if (c.dim % c.n_heads != 0) {
    return Status::error(StatusCode::kInvalidFormat, "dim %ld is not divisible by n_heads %ld",
                         static_cast<long>(c.dim), static_cast<long>(c.n_heads));
  }
  if (c.n_kv_heads > c.n_heads || c.n_heads % c.n_kv_heads != 0) {
    return Status::error(StatusCode::kInvalidFormat,
                         "n_heads %ld is not a multiple of n_kv_heads %ld",
                         static_cast<long>(c.n_heads), static_cast<long>(c.n_kv_heads));
  }
  if (c.head_size() % 2 != 0) {
    return Status::error(StatusCode::kInvalidFormat,
                         "head size %ld (dim / n_heads) is odd: RoPE rotates pairs",
                         static_cast<long>(c.head_size()));
  }
  if (c.group_size < 0) {
    return Status::error(StatusCode::kInvalidFormat, "group_size must be positive, header says %ld",
                         static_cast<long>(c.group_size));
  }
  // Divisibility of the row lengths is a property of the file format (llama2.c
  // version 2 needs it, llmcu files pad rows), checked by each loader.
  if (c.group_size > kMaxGroupSize) {
    return Status::error(StatusCode::kInvalidFormat, "group_size %ld is larger than %ld",
                         static_cast<long>(c.group_size), static_cast<long>(kMaxGroupSize));
  }
  if (c.vocab_size < 3) {
    return Status::error(StatusCode::kInvalidFormat,
                         "vocab_size %ld is too small: ids 0-2 are <unk>, <s> and </s>",
                         static_cast<long>(c.vocab_size));
  }
  return Status::ok();
}

Result<Model> load_model(std::span<const uint8_t> bytes, const char* name) {
  // fp32 weights and scales are read in place as floats: a misaligned start
  // would fault on MCUs (Cortex-M VLDR) and is undefined behaviour anywhere.
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(float) != 0) {
    Status status = Status::error(
        StatusCode::kInvalidArgument,
        "model bytes start at address %p, which is not %u-byte aligned; weights are used in place",
        static_cast<const void*>(bytes.data()), static_cast<unsigned>(alignof(float)));
    return status.with_context(name);
  }
  uint32_t magic = 0;
  if (bytes.size() >= sizeof(magic)) memcpy(&magic, bytes.data(), sizeof(magic));
  Result<Model> model = magic == kMagicAk42    ? load_ak42(bytes)
                        : is_llmcu_file(bytes) ? load_llmcu(bytes)
                                               : load_legacy(bytes);
  if (!model.is_ok()) {
    Status status = model.status();
    return status.with_context(name);
  }
  return model;
}

}  // namespace llmcu
