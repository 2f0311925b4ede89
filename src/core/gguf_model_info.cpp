// Hyperparameters and tensors of `llama` and `qwen2` GGUF files, with the
// defaults llama.cpp applies when a key is absent (head_count_kv = head_count,
// rope.freq_base = 10000, rope.dimension_count = head size).
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "llmcu/gguf_model.h"

namespace llmcu {
namespace {

constexpr unsigned kMaxSize = 1u << 24;  // any width, count or context a file may claim

// printf arguments: int32_t and uint32_t are long types on some targets (arm-none-eabi).
int as_int(int32_t v) {
  return static_cast<int>(v);
}
unsigned as_unsigned(uint32_t v) {
  return static_cast<unsigned>(v);
}

// "{arch}.{suffix}" in a buffer of its own.
class Key {
 public:
  Key(const char* arch, const char* suffix) {
    const int n = snprintf(text_, sizeof(text_), "%s.%s", arch, suffix);
    length_ = n < 0 ? 0
                    : (static_cast<size_t>(n) < sizeof(text_) ? static_cast<size_t>(n)
                                                              : sizeof(text_) - 1);
  }
  std::string_view view() const { return std::string_view(text_, length_); }
  const char* c_str() const { return text_; }

 private:
  char text_[96];
  size_t length_ = 0;
};

Status error(const GgufFile& file, StatusCode code, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

Status error(const GgufFile& file, StatusCode code, const char* format, ...) {
  char message[Status::kMaxMessage];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  return Status::error(code, "%s", message).with_context(file.name());
}

// A uint32 size in [1, kMaxSize]; `fallback` (if not null) when absent.
Status read_size(const GgufFile& file, const Key& key, const uint32_t* fallback, int32_t* out) {
  LLMCU_TRY_ASSIGN(uint32_t v, fallback != nullptr ? file.get_u32(key.view(), *fallback)
                                                   : file.get_u32(key.view()));
  if (v == 0 || v > kMaxSize) {
    return error(file, StatusCode::kInvalidFormat, "%s: %u is out of range (1 to %u)", key.c_str(),
                 as_unsigned(v), kMaxSize);
  }
  *out = static_cast<int32_t>(v);
  return Status::ok();
}

Status read_hyperparameters(const GgufFile& file, const char* arch, GgufModelInfo* m) {
  LLMCU_TRY(read_size(file, Key(arch, "embedding_length"), nullptr, &m->dim));
  LLMCU_TRY(read_size(file, Key(arch, "feed_forward_length"), nullptr, &m->hidden_dim));
  LLMCU_TRY(read_size(file, Key(arch, "block_count"), nullptr, &m->n_layers));
  LLMCU_TRY(read_size(file, Key(arch, "context_length"), nullptr, &m->context_length));
  LLMCU_TRY(read_size(file, Key(arch, "attention.head_count"), nullptr, &m->n_heads));
  const uint32_t heads = static_cast<uint32_t>(m->n_heads);
  LLMCU_TRY(read_size(file, Key(arch, "attention.head_count_kv"), &heads, &m->n_kv_heads));
  if (m->dim % m->n_heads != 0 || m->n_heads % m->n_kv_heads != 0) {
    return error(file, StatusCode::kInvalidFormat,
                 "%d heads of %d kv heads do not divide embedding_length %d", as_int(m->n_heads),
                 as_int(m->n_kv_heads), as_int(m->dim));
  }
  m->head_size = m->dim / m->n_heads;
  if (m->head_size % 2 != 0) {
    return error(file, StatusCode::kInvalidFormat, "head size %d is odd: RoPE rotates pairs",
                 as_int(m->head_size));
  }
  for (const char* suffix : {"attention.key_length", "attention.value_length"}) {
    const Key key(arch, suffix);
    int32_t length = m->head_size;
    const uint32_t fallback = static_cast<uint32_t>(m->head_size);
    LLMCU_TRY(read_size(file, key, &fallback, &length));
    if (length != m->head_size) {
      return error(file, StatusCode::kUnsupported,
                   "%s is %d, not embedding_length / head_count = %d", key.c_str(), as_int(length),
                   as_int(m->head_size));
    }
  }
  const uint32_t head_size = static_cast<uint32_t>(m->head_size);
  const Key rope_dims(arch, "rope.dimension_count");
  LLMCU_TRY(read_size(file, rope_dims, &head_size, &m->rope_dims));
  if (m->rope_dims != m->head_size) {
    return error(file, StatusCode::kUnsupported,
                 "%s is %d: rotating part of a head (head size %d) is not supported",
                 rope_dims.c_str(), as_int(m->rope_dims), as_int(m->head_size));
  }
  const Key theta(arch, "rope.freq_base");
  LLMCU_TRY_ASSIGN(float rope_theta, file.get_f32(theta.view(), 10000.0f));
  if (!(rope_theta > 0.0f) || rope_theta > 1e12f) {
    return error(file, StatusCode::kInvalidFormat, "%s: %g is not a positive base", theta.c_str(),
                 static_cast<double>(rope_theta));
  }
  m->rope_theta = rope_theta;
  const Key eps(arch, "attention.layer_norm_rms_epsilon");
  LLMCU_TRY_ASSIGN(float rms_eps, file.get_f32(eps.view()));
  if (!(rms_eps > 0.0f) || rms_eps > 1.0f) {
    return error(file, StatusCode::kInvalidFormat, "%s: %g is not in (0, 1]", eps.c_str(),
                 static_cast<double>(rms_eps));
  }
  m->rms_eps = rms_eps;
  return Status::ok();
}

// Features llama.cpp supports and llmcu does not compute: refused by name.
Status refuse_unsupported(const GgufFile& file, const char* arch) {
  const Key scaling(arch, "rope.scaling.type");
  LLMCU_TRY_ASSIGN(std::string_view type, file.get_string(scaling.view(), "none"));
  if (type != "none") {
    return error(file, StatusCode::kUnsupported, "%s '%.*s' is not supported", scaling.c_str(),
                 static_cast<int>(type.size() < 32 ? type.size() : 32), type.data());
  }
  for (const char* suffix : {"rope.scaling.factor", "rope.scale_linear"}) {
    const Key factor(arch, suffix);
    LLMCU_TRY_ASSIGN(float f, file.get_f32(factor.view(), 0.0f));
    if (f != 0.0f && f != 1.0f) {
      return error(file, StatusCode::kUnsupported, "%s %g (rope scaling) is not supported",
                   factor.c_str(), static_cast<double>(f));
    }
  }
  const Key experts(arch, "expert_count");
  LLMCU_TRY_ASSIGN(uint32_t n_experts, file.get_u32(experts.view(), 0));
  if (n_experts > 0) {
    return error(file, StatusCode::kUnsupported, "%s %u: mixtures of experts are not supported",
                 experts.c_str(), as_unsigned(n_experts));
  }
  if (file.find_tensor("rope_freqs.weight") != nullptr) {
    return error(file, StatusCode::kUnsupported,
                 "tensor 'rope_freqs.weight' (rope frequency factors) is not supported");
  }
  return Status::ok();
}

Status read_vocab_size(const GgufFile& file, const char* arch, GgufModelInfo* m) {
  LLMCU_TRY_ASSIGN(GgufArray tokens, file.get_array("tokenizer.ggml.tokens", GgufType::kString));
  if (tokens.size() == 0 || tokens.size() > kMaxSize) {
    return error(file, StatusCode::kInvalidFormat,
                 "tokenizer.ggml.tokens: %llu tokens is out of range (1 to %u)",
                 static_cast<unsigned long long>(tokens.size()), kMaxSize);
  }
  m->vocab_size = static_cast<int32_t>(tokens.size());
  const Key key(arch, "vocab_size");
  const uint32_t fallback = static_cast<uint32_t>(m->vocab_size);
  LLMCU_TRY_ASSIGN(uint32_t declared, file.get_u32(key.view(), fallback));
  if (declared != fallback) {
    return error(file, StatusCode::kInvalidFormat,
                 "%s is %u but tokenizer.ggml.tokens holds %d tokens", key.c_str(),
                 as_unsigned(declared), as_int(m->vocab_size));
  }
  return Status::ok();
}

void format_shape(const GgufTensor& t, char* out, size_t size) {
  int n = snprintf(out, size, "%llu", static_cast<unsigned long long>(t.dims[0]));
  for (uint32_t d = 1; d < t.n_dims && n > 0 && static_cast<size_t>(n) < size; ++d) {
    n += snprintf(out + n, size - static_cast<size_t>(n), " x %llu",
                  static_cast<unsigned long long>(t.dims[d]));
  }
}

enum class Kind { kMatrix, kVector };

// `t` exists, is (rows, cols) in our terms (ggml dims {cols, rows}; a vector
// is {cols}), has a type we compute with and is aligned for direct loads.
Status check_tensor(const GgufFile& file, const GgufTensor* t, const char* name, Kind kind,
                    uint64_t rows, uint64_t cols) {
  if (t == nullptr) {
    return error(file, StatusCode::kInvalidFormat, "tensor '%s' is missing", name);
  }
  if (t->dims[0] != cols || t->dims[1] != rows || t->dims[2] != 1 || t->dims[3] != 1) {
    char shape[96];
    format_shape(*t, shape, sizeof(shape));
    if (kind == Kind::kVector) {
      return error(file, StatusCode::kInvalidFormat, "tensor '%s' has shape %s, expected %llu",
                   name, shape, static_cast<unsigned long long>(cols));
    }
    return error(file, StatusCode::kInvalidFormat, "tensor '%s' has shape %s, expected %llu x %llu",
                 name, shape, static_cast<unsigned long long>(cols),
                 static_cast<unsigned long long>(rows));
  }
  if (kind == Kind::kVector && t->type != GgmlType::kF32) {
    return error(file, StatusCode::kUnsupported, "tensor '%s' is %s; norms and biases must be F32",
                 name, ggml_type_name(t->type));
  }
  if (kind == Kind::kMatrix && !gguf_matrix_type_supported(t->type)) {
    return error(file, StatusCode::kUnsupported,
                 "tensor '%s' is %s; llmcu computes with F32, F16, Q8_0 and Q4_0", name,
                 ggml_type_name(t->type));
  }
  const size_t natural = t->type == GgmlType::kF32 ? 4 : 2;  // F16 and the blocks' fp16 scales
  if (reinterpret_cast<uintptr_t>(t->data) % natural != 0) {
    return error(file, StatusCode::kInvalidFormat,
                 "tensor '%s': %s data is not %zu-byte aligned in memory (alignment %llu)", name,
                 ggml_type_name(t->type), natural,
                 static_cast<unsigned long long>(file.alignment()));
  }
  return Status::ok();
}

// "blk.N.suffix" for N < n_layers with a suffix of a block's tensors.
bool is_layer_tensor(std::string_view name, int32_t n_layers) {
  static constexpr const char* kSuffixes[] = {
      "attn_norm.weight",   "attn_q.weight",   "attn_k.weight", "attn_v.weight",
      "attn_output.weight", "attn_q.bias",     "attn_k.bias",   "attn_v.bias",
      "ffn_norm.weight",    "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight"};
  if (name.substr(0, 4) != "blk.") return false;
  size_t i = 4;
  int64_t layer = 0;
  if (i >= name.size() || name[i] < '0' || name[i] > '9') return false;
  if (name[i] == '0' && i + 1 < name.size() && name[i + 1] != '.') return false;  // no leading 0
  while (i < name.size() && name[i] >= '0' && name[i] <= '9' && layer < n_layers) {
    layer = layer * 10 + (name[i] - '0');
    ++i;
  }
  if (layer >= n_layers || i >= name.size() || name[i] != '.') return false;
  const std::string_view suffix = name.substr(i + 1);
  for (const char* s : kSuffixes) {
    if (suffix == s) return true;
  }
  return false;
}

Status check_no_strangers(const GgufFile& file, int32_t n_layers) {
  for (const GgufTensor& t : file.tensors()) {
    if (t.name == "token_embd.weight" || t.name == "output_norm.weight" ||
        t.name == "output.weight" || is_layer_tensor(t.name, n_layers)) {
      continue;
    }
    return error(file, StatusCode::kUnsupported,
                 "tensor '%.*s' is not part of a llama/qwen2 model that llmcu computes",
                 static_cast<int>(t.name.size()), t.name.data());
  }
  return Status::ok();
}

Status check_layer(const GgufFile& file, const GgufModelInfo& m, int32_t l) {
  const GgufLayer layer = gguf_layer(file, m, l);
  const uint64_t dim = m.dim, hidden = m.hidden_dim, kv_dim = m.kv_dim();
  const uint64_t q_dim = static_cast<uint64_t>(m.n_heads) * m.head_size;
  char name[64];
  auto check = [&](const GgufTensor* t, const char* suffix, Kind kind, uint64_t rows,
                   uint64_t cols) {
    snprintf(name, sizeof(name), "blk.%d.%s", static_cast<int>(l), suffix);
    return check_tensor(file, t, name, kind, rows, cols);
  };
  LLMCU_TRY(check(layer.attn_norm, "attn_norm.weight", Kind::kVector, 1, dim));
  LLMCU_TRY(check(layer.wq, "attn_q.weight", Kind::kMatrix, q_dim, dim));
  LLMCU_TRY(check(layer.wk, "attn_k.weight", Kind::kMatrix, kv_dim, dim));
  LLMCU_TRY(check(layer.wv, "attn_v.weight", Kind::kMatrix, kv_dim, dim));
  LLMCU_TRY(check(layer.wo, "attn_output.weight", Kind::kMatrix, dim, q_dim));
  LLMCU_TRY(check(layer.ffn_norm, "ffn_norm.weight", Kind::kVector, 1, dim));
  LLMCU_TRY(check(layer.ffn_gate, "ffn_gate.weight", Kind::kMatrix, hidden, dim));
  LLMCU_TRY(check(layer.ffn_up, "ffn_up.weight", Kind::kMatrix, hidden, dim));
  LLMCU_TRY(check(layer.ffn_down, "ffn_down.weight", Kind::kMatrix, dim, hidden));
  if (m.qkv_bias) {
    LLMCU_TRY(check(layer.bq, "attn_q.bias", Kind::kVector, 1, q_dim));
    LLMCU_TRY(check(layer.bk, "attn_k.bias", Kind::kVector, 1, kv_dim));
    LLMCU_TRY(check(layer.bv, "attn_v.bias", Kind::kVector, 1, kv_dim));
  } else {
    // gguf_layer leaves biases out without qkv_bias: look for strays.
    for (const char* suffix : {"attn_q.bias", "attn_k.bias", "attn_v.bias"}) {
      snprintf(name, sizeof(name), "blk.%d.%s", static_cast<int>(l), suffix);
      if (file.find_tensor(name) != nullptr) {
        return error(file, StatusCode::kInvalidFormat,
                     "tensor '%s' is present but blk.0 has no q/k/v biases", name);
      }
    }
  }
  return Status::ok();
}

}  // namespace

const char* gguf_arch_name(GgufArch arch) {
  return arch == GgufArch::kQwen2 ? "qwen2" : "llama";
}

bool gguf_matrix_type_supported(GgmlType type) {
  return type == GgmlType::kF32 || type == GgmlType::kF16 || type == GgmlType::kQ8_0 ||
         type == GgmlType::kQ4_0;
}

Result<GgufModelInfo> gguf_model_info(const GgufFile& file) {
  LLMCU_TRY_ASSIGN(std::string_view arch_name, file.get_string("general.architecture"));
  GgufModelInfo m;
  if (arch_name == "llama") {
    m.arch = GgufArch::kLlama;
    m.rope_style = RopeStyle::kAdjacentPairs;
  } else if (arch_name == "qwen2") {
    m.arch = GgufArch::kQwen2;
    m.rope_style = RopeStyle::kHalves;
  } else {
    return error(file, StatusCode::kUnsupported,
                 "architecture '%.*s' is not supported (llama and qwen2 are)",
                 static_cast<int>(arch_name.size() < 32 ? arch_name.size() : 32), arch_name.data());
  }
  const char* arch = gguf_arch_name(m.arch);
  LLMCU_TRY(read_hyperparameters(file, arch, &m));
  LLMCU_TRY(refuse_unsupported(file, arch));
  LLMCU_TRY(read_vocab_size(file, arch, &m));

  const uint64_t vocab = m.vocab_size, dim = m.dim;
  m.token_embd = file.find_tensor("token_embd.weight");
  LLMCU_TRY(check_tensor(file, m.token_embd, "token_embd.weight", Kind::kMatrix, vocab, dim));
  m.output_norm = file.find_tensor("output_norm.weight");
  LLMCU_TRY(check_tensor(file, m.output_norm, "output_norm.weight", Kind::kVector, 1, dim));
  m.output = file.find_tensor("output.weight");
  m.tied_embeddings = m.output == nullptr;
  if (m.tied_embeddings) {
    m.output = m.token_embd;
  } else {
    LLMCU_TRY(check_tensor(file, m.output, "output.weight", Kind::kMatrix, vocab, dim));
  }
  // qwen2 always has q/k/v biases; a llama file may have them too (all or none).
  m.qkv_bias = m.arch == GgufArch::kQwen2 || file.find_tensor("blk.0.attn_q.bias") != nullptr ||
               file.find_tensor("blk.0.attn_k.bias") != nullptr ||
               file.find_tensor("blk.0.attn_v.bias") != nullptr;
  for (int32_t l = 0; l < m.n_layers; ++l) LLMCU_TRY(check_layer(file, m, l));
  LLMCU_TRY(check_no_strangers(file, m.n_layers));
  return m;
}

GgufLayer gguf_layer(const GgufFile& file, const GgufModelInfo& info, int32_t layer) {
  char name[64];
  auto find = [&](const char* suffix) {
    snprintf(name, sizeof(name), "blk.%d.%s", static_cast<int>(layer), suffix);
    return file.find_tensor(name);
  };
  GgufLayer t;
  t.attn_norm = find("attn_norm.weight");
  t.wq = find("attn_q.weight");
  t.wk = find("attn_k.weight");
  t.wv = find("attn_v.weight");
  t.wo = find("attn_output.weight");
  if (info.qkv_bias) {
    t.bq = find("attn_q.bias");
    t.bk = find("attn_k.bias");
    t.bv = find("attn_v.bias");
  }
  t.ffn_norm = find("ffn_norm.weight");
  t.ffn_gate = find("ffn_gate.weight");
  t.ffn_up = find("ffn_up.weight");
  t.ffn_down = find("ffn_down.weight");
  return t;
}

}  // namespace llmcu
