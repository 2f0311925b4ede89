// Checkpoint formats of the llama2.c family, detected from their bytes.
//
//   version 0 (legacy):  7 x int32 config, then fp32 tensors from byte 28
//   version 1 / 2:       uint32 magic "ak42", int32 version, 7 x int32 config,
//                        uint8 shared_classifier, [int32 group_size], zero pad to 256
//
// Every size is computed in 64 bits with overflow checks, and the total the
// header implies must equal the file size exactly before a pointer is formed.
#include <cstring>
#include <initializer_list>

#include "checked_math.h"
#include "llmcu/model.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error \
    "llmcu reads little-endian checkpoints in place; big-endian targets need a byte-swapping loader"
#endif

namespace llmcu {
namespace {

constexpr uint32_t kMagicAk42 = 0x616b3432;
constexpr size_t kLegacyHeaderBytes = 7 * sizeof(int32_t);

int32_t read_i32(const uint8_t* p) {
  int32_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

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

  uint64_t end() const { return offset_; }
  const char* overflowed_tensor() const { return overflow_; }

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

Matrix f32_matrix(int32_t layers_unused, int32_t rows, int32_t cols) {
  (void)layers_unused;
  Matrix m;
  m.type = WeightType::kF32;
  m.rows = rows;
  m.cols = cols;
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
  if (cur.overflowed_tensor() != nullptr) {
    return Status::error(StatusCode::kInvalidFormat,
                         "size of tensor %s overflows 64 bits: the header dims are corrupt",
                         cur.overflowed_tensor());
  }
  LLMCU_TRY(check_file_size(cur.end(), bytes.size()));

  const uint8_t* base = bytes.data();
  Model m;
  m.config = c;
  m.weight_type = WeightType::kF32;
  m.file_bytes = bytes.size();
  m.parameter_count = count_parameters(c);
  Weights& w = m.weights;
  w.token_embedding = f32_matrix(1, c.vocab_size, c.dim);
  w.token_embedding.base = base + o_emb;
  w.classifier = w.token_embedding;
  w.classifier.base = base + o_cls;
  w.rms_att = reinterpret_cast<const float*>(base + o_rms_att);
  w.rms_ffn = reinterpret_cast<const float*>(base + o_rms_ffn);
  w.rms_final = reinterpret_cast<const float*>(base + o_rms_final);
  w.wq = f32_matrix(c.n_layers, c.dim, c.dim);
  w.wq.base = base + o_wq;
  w.wk = f32_matrix(c.n_layers, c.kv_dim(), c.dim);
  w.wk.base = base + o_wk;
  w.wv = f32_matrix(c.n_layers, c.kv_dim(), c.dim);
  w.wv.base = base + o_wv;
  w.wo = f32_matrix(c.n_layers, c.dim, c.dim);
  w.wo.base = base + o_wo;
  w.w1 = f32_matrix(c.n_layers, c.hidden_dim, c.dim);
  w.w1.base = base + o_w1;
  w.w2 = f32_matrix(c.n_layers, c.dim, c.hidden_dim);
  w.w2.base = base + o_w2;
  w.w3 = f32_matrix(c.n_layers, c.hidden_dim, c.dim);
  w.w3.base = base + o_w3;
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
  return Status::error(StatusCode::kUnsupported,
                       "llama2.c \"ak42\" version %ld (%s) files are not supported by this build; "
                       "version 0 (legacy fp32) files are",
                       static_cast<long>(version), version == 1 ? "fp32" : "int8 Q8_0");
}

}  // namespace

const char* model_format_name(ModelFormat format) {
  switch (format) {
    case ModelFormat::kLlama2cV0: return "llama2.c version 0 (legacy fp32)";
    case ModelFormat::kLlama2cV1: return "llama2.c version 1 (fp32)";
    case ModelFormat::kLlama2cV2: return "llama2.c version 2 (int8 Q8_0)";
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
  if (c.vocab_size < 3) {
    return Status::error(StatusCode::kInvalidFormat,
                         "vocab_size %ld is too small: ids 0-2 are <unk>, <s> and </s>",
                         static_cast<long>(c.vocab_size));
  }
  return Status::ok();
}

Result<Model> load_model(std::span<const uint8_t> bytes, const char* name) {
  uint32_t magic = 0;
  if (bytes.size() >= sizeof(magic)) memcpy(&magic, bytes.data(), sizeof(magic));
  Result<Model> model = magic == kMagicAk42 ? load_ak42(bytes) : load_legacy(bytes);
  if (!model.is_ok()) {
    Status status = model.status();
    return status.with_context(name);
  }
  return model;
}

}  // namespace llmcu
