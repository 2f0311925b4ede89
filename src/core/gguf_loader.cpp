// A GGUF file as a Model. Everything the transformer reads stays in the
// file's bytes; what load_model needs besides them lives in the caller's
// model memory, laid out front to back:
//
//   the file's name (copied: errors found later name it) | the GgufFile |
//   its index (gguf_open) | (7, n_layers) matrix pointers | (5, n_layers)
//   norm and bias pointers
//
// model_memory_bytes bounds it from the header's counts before anything
// else is read: every layer has at least nine tensors, so n_layers is at
// most the tensor count / 9.
#include "gguf_loader.h"

#include <cstring>
#include <new>

#include "llmcu/gguf_model.h"
#include "llmcu/gguf_vocab.h"

namespace llmcu {
namespace {

constexpr size_t kNameBytes = 256;
constexpr size_t kMatricesPerLayer = 7;  // q, k, v, o, gate, down, up
constexpr size_t kVectorsPerLayer = 5;   // attn_norm, ffn_norm, q/k/v biases
constexpr uint64_t kMinTensorsPerLayer = 9;

size_t padded(size_t n) {
  return (n + Arena::kAlignment - 1) / Arena::kAlignment * Arena::kAlignment;
}

uint64_t header_tensor_count(std::span<const uint8_t> bytes) {
  uint64_t count = 0;
  memcpy(&count, bytes.data() + 8, sizeof(count));  // gguf_index_bytes checked the header
  return count;
}

WeightType weight_type_of(GgmlType type) {
  switch (type) {
    case GgmlType::kF16: return WeightType::kF16;
    case GgmlType::kQ8_0: return WeightType::kQ8_0;
    case GgmlType::kQ4_0: return WeightType::kQ4_0;
    default: return WeightType::kF32;  // gguf_model_info let through only these four
  }
}

Matrix matrix_of(const GgufTensor& t) {
  Matrix m;
  m.type = weight_type_of(t.type);
  m.base = t.data;
  m.rows = static_cast<int32_t>(t.dims[1]);
  m.cols = static_cast<int32_t>(t.dims[0]);
  m.row_stride = m.cols;
  return m;
}

// One matrix of every layer, through `table`: the same type in every layer.
Status per_layer_matrix(const GgufFile& file, const GgufModelInfo& info,
                        const GgufTensor* GgufLayer::*member, const uint8_t** table, Matrix* out) {
  const GgufTensor& first = *(gguf_layer(file, info, 0).*member);
  *out = matrix_of(first);
  out->layer_table = table;
  for (int32_t l = 0; l < info.n_layers; ++l) {
    const GgufTensor& t = *(gguf_layer(file, info, l).*member);
    if (t.type != first.type) {
      return Status::error(StatusCode::kUnsupported,
                           "tensor '%.*s' is %s but '%.*s' is %s: llmcu needs one type per "
                           "matrix in every layer",
                           static_cast<int>(t.name.size()), t.name.data(), ggml_type_name(t.type),
                           static_cast<int>(first.name.size()), first.name.data(),
                           ggml_type_name(first.type))
          .with_context(file.name());
    }
    table[l] = t.data;
  }
  return Status::ok();
}

LayerVectors per_layer_vector(const GgufFile& file, const GgufModelInfo& info,
                              const GgufTensor* GgufLayer::*member, const float** table) {
  for (int32_t l = 0; l < info.n_layers; ++l) {
    table[l] = reinterpret_cast<const float*>((gguf_layer(file, info, l).*member)->data);
  }
  return {nullptr, table, 0};
}

}  // namespace

Result<size_t> gguf_model_memory_bytes(std::span<const uint8_t> bytes, const char* name) {
  LLMCU_TRY_ASSIGN(const size_t index, gguf_index_bytes(bytes, name));
  const uint64_t max_layers = header_tensor_count(bytes) / kMinTensorsPerLayer;
  // The header's counts are bounded by the file's size, so none of this overflows.
  const auto tables = static_cast<size_t>(max_layers) * sizeof(void*);
  return Arena::kAlignment + padded(kNameBytes) + padded(sizeof(GgufFile)) + index +
         padded(kMatricesPerLayer * tables) + padded(kVectorsPerLayer * tables);
}

Result<Model> load_gguf(std::span<const uint8_t> bytes, const char* name,
                        std::span<uint8_t> memory) {
  LLMCU_TRY_ASSIGN(const size_t needed, gguf_model_memory_bytes(bytes, name));
  if (memory.size() < needed) {
    return Status::error(StatusCode::kResourceExhausted,
                         "a GGUF model needs %llu bytes of model memory (model_memory_bytes), "
                         "got %llu",
                         static_cast<unsigned long long>(needed),
                         static_cast<unsigned long long>(memory.size()))
        .with_context(name);
  }
  Arena arena(memory);
  char* stored_name = arena.allocate<char>(kNameBytes);
  void* file_slot = arena.allocate_bytes(sizeof(GgufFile));
  if (stored_name == nullptr || file_slot == nullptr) {
    return Status::error(StatusCode::kResourceExhausted, "model memory too small")
        .with_context(name);
  }
  strncpy(stored_name, name, kNameBytes - 1);
  stored_name[kNameBytes - 1] = '\0';
  LLMCU_TRY_ASSIGN(const GgufFile opened, gguf_open(bytes, stored_name, arena));
  const GgufFile& file = *new (file_slot) GgufFile(opened);
  LLMCU_TRY_ASSIGN(const GgufModelInfo info, gguf_model_info(file));

  const auto layers = static_cast<size_t>(info.n_layers);
  auto** matrices = arena.allocate<const uint8_t*>(kMatricesPerLayer * layers);
  auto** vectors = arena.allocate<const float*>(kVectorsPerLayer * layers);
  if (matrices == nullptr || vectors == nullptr) {
    // gguf_model_info found 9 tensors per layer: the bound holds.
    return Status::error(StatusCode::kResourceExhausted,
                         "model memory bound too small for %ld layers",
                         static_cast<long>(info.n_layers))
        .with_context(name);
  }

  Model m;
  m.format = ModelFormat::kGguf;
  m.file_bytes = bytes.size();
  m.gguf = &file;
  m.memory_bytes = needed;
  ModelConfig& c = m.config;
  c.dim = info.dim;
  c.hidden_dim = info.hidden_dim;
  c.n_layers = info.n_layers;
  c.n_heads = info.n_heads;
  c.n_kv_heads = info.n_kv_heads;
  c.vocab_size = info.vocab_size;
  c.seq_len = info.context_length;
  c.shared_classifier = info.tied_embeddings;
  c.rms_eps = info.rms_eps;
  c.rope_theta = info.rope_theta;
  c.rope_style = info.rope_style;
  if (Status s = validate_config(c); !s.is_ok()) return s.with_context(file.name());

  Weights& w = m.weights;
  w.token_embedding = matrix_of(*info.token_embd);
  w.classifier = info.tied_embeddings ? w.token_embedding : matrix_of(*info.output);
  w.rms_final = reinterpret_cast<const float*>(info.output_norm->data);
  const struct {
    const GgufTensor* GgufLayer::*member;
    Matrix* matrix;
  } per_layer[kMatricesPerLayer] = {
      {&GgufLayer::wq, &w.wq},     {&GgufLayer::wk, &w.wk},       {&GgufLayer::wv, &w.wv},
      {&GgufLayer::wo, &w.wo},     {&GgufLayer::ffn_gate, &w.w1}, {&GgufLayer::ffn_down, &w.w2},
      {&GgufLayer::ffn_up, &w.w3},
  };
  for (size_t i = 0; i < kMatricesPerLayer; ++i) {
    LLMCU_TRY(per_layer_matrix(file, info, per_layer[i].member, matrices + i * layers,
                               per_layer[i].matrix));
  }
  w.rms_att = per_layer_vector(file, info, &GgufLayer::attn_norm, vectors);
  w.rms_ffn = per_layer_vector(file, info, &GgufLayer::ffn_norm, vectors + layers);
  if (info.qkv_bias) {
    w.bq = per_layer_vector(file, info, &GgufLayer::bq, vectors + 2 * layers);
    w.bk = per_layer_vector(file, info, &GgufLayer::bk, vectors + 3 * layers);
    w.bv = per_layer_vector(file, info, &GgufLayer::bv, vectors + 4 * layers);
  }
  m.weight_type = w.wq.type;
  for (const Matrix* x :
       {&w.token_embedding, &w.wq, &w.wk, &w.wv, &w.wo, &w.w1, &w.w2, &w.w3, &w.classifier}) {
    if (takes_q8_0_input(x->type)) c.q8_0_input = true;
    if (x->type == WeightType::kF16) c.f16_input = true;
  }
  for (const GgufTensor& t : file.tensors()) m.parameter_count += t.elements;

  // A vocabulary llmcu cannot encode does not stop the model from loading
  // (eval and bench feed ids); a generator is refused, saying why.
  Result<TokenizerSpec> spec = GgufVocabulary::measure(file);
  if (spec.is_ok()) {
    m.tokenizer = *spec;
  } else {
    m.tokenizer.kind = TokenizerKind::kUnsupported;
    m.tokenizer.vocab_size = c.vocab_size;
  }
  return m;
}

}  // namespace llmcu
