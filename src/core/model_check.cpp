#include "llmcu/model_check.h"

#include <cmath>
#include <cstring>

namespace llmcu {
namespace {

// The first non-finite value among n floats at `bytes` (which need not be
// aligned: int8 scales of llama2.c version-2 files are not), or -1.
int64_t first_non_finite(const uint8_t* bytes, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    float v;
    memcpy(&v, bytes + i * sizeof(float), sizeof(float));
    if (!std::isfinite(v)) return static_cast<int64_t>(i);
  }
  return -1;
}

Status non_finite(const char* tensor, int32_t layer, int64_t index, const char* what) {
  return Status::error(StatusCode::kInvalidFormat,
                       "tensor %s, layer %ld: %s %lld is not finite (NaN or infinity); the "
                       "model cannot compute",
                       tensor, static_cast<long>(layer), what, static_cast<long long>(index));
}

// The first fp16 value among n at `bytes`, `stride` bytes apart, whose
// exponent is all ones (infinity or NaN), or -1.
int64_t first_non_finite_half(const uint8_t* bytes, size_t n, size_t stride) {
  for (size_t i = 0; i < n; ++i) {
    const uint16_t h = static_cast<uint16_t>(bytes[i * stride] | (bytes[i * stride + 1] << 8));
    if ((h & 0x7c00) == 0x7c00) return static_cast<int64_t>(i);
  }
  return -1;
}

Status check_matrix(const char* name, const Matrix& m, int32_t layers) {
  if (m.base == nullptr && m.layer_table == nullptr) return Status::ok();
  for (int32_t l = 0; l < layers; ++l) {
    const size_t rows = static_cast<size_t>(m.rows);
    const size_t values = rows * static_cast<size_t>(m.cols);
    if (m.type == WeightType::kF16) {
      const int64_t at = first_non_finite_half(m.layer(l), values, 2);
      if (at >= 0) return non_finite(name, l, at, "weight");
    } else if (m.type == WeightType::kQ8_0 || m.type == WeightType::kQ4_0) {
      // ggml's blocks of 32 values, each led by its fp16 scale (34 and 18 bytes).
      const size_t block_bytes = m.type == WeightType::kQ8_0 ? 34 : 18;
      const int64_t at = first_non_finite_half(m.layer(l), values / 32, block_bytes);
      if (at >= 0) return non_finite(name, l, at, "block scale");
    } else if (m.type == WeightType::kF32) {
      const int64_t at = first_non_finite(m.layer(l), rows * static_cast<size_t>(m.cols));
      if (at >= 0) return non_finite(name, l, at, "weight");
    } else if (m.type == WeightType::kQ8) {
      const size_t scales = rows * static_cast<size_t>(m.groups_per_row());
      const int64_t at = first_non_finite(m.scale_bytes(l), scales);
      if (at >= 0) return non_finite(name, l, at, "group scale");
    }
  }
  return Status::ok();
}

Status check_vector(const char* name, const LayerVectors& v, int32_t layers, int32_t dim) {
  if (!v.present()) return Status::ok();
  for (int32_t l = 0; l < layers; ++l) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(v.layer(l));
    const int64_t at = first_non_finite(bytes, static_cast<size_t>(dim));
    if (at >= 0) return non_finite(name, l, at, "weight");
  }
  return Status::ok();
}

}  // namespace

bool all_finite(const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) return false;
  }
  return true;
}

Status check_weights_finite(const Model& model) {
  const Weights& w = model.weights;
  const ModelConfig& c = model.config;
  const int32_t layers = c.n_layers;
  LLMCU_TRY(check_vector("rms_att", w.rms_att, layers, c.dim));
  LLMCU_TRY(check_vector("rms_ffn", w.rms_ffn, layers, c.dim));
  LLMCU_TRY(check_vector("rms_final", LayerVectors{w.rms_final, nullptr, 0}, 1, c.dim));
  LLMCU_TRY(check_vector("bq", w.bq, layers, c.dim));
  LLMCU_TRY(check_vector("bk", w.bk, layers, c.kv_dim()));
  LLMCU_TRY(check_vector("bv", w.bv, layers, c.kv_dim()));
  LLMCU_TRY(check_matrix("token_embedding", w.token_embedding, 1));
  LLMCU_TRY(check_matrix("wq", w.wq, layers));
  LLMCU_TRY(check_matrix("wk", w.wk, layers));
  LLMCU_TRY(check_matrix("wv", w.wv, layers));
  LLMCU_TRY(check_matrix("wo", w.wo, layers));
  LLMCU_TRY(check_matrix("w1", w.w1, layers));
  LLMCU_TRY(check_matrix("w2", w.w2, layers));
  LLMCU_TRY(check_matrix("w3", w.w3, layers));
  if (w.classifier.base != w.token_embedding.base ||
      w.classifier.layer_table != w.token_embedding.layer_table) {
    LLMCU_TRY(check_matrix("classifier", w.classifier, 1));
  }
  return Status::ok();
}

namespace {

Status not_finite_at(int32_t pos) {
  return Status::error(StatusCode::kInvalidFormat,
                       "the numbers at position %ld are not finite (NaN or infinity): the model's "
                       "weights hold such values or its activations overflow",
                       static_cast<long>(pos));
}

}  // namespace

Status check_forward_finite(const Transformer& transformer, const float* logits, int32_t pos) {
  const ModelConfig& c = transformer.model().config;
  if (all_finite(transformer.hidden_state(), static_cast<size_t>(c.dim)) &&
      all_finite(logits, static_cast<size_t>(c.vocab_size))) {
    return Status::ok();
  }
  return not_finite_at(pos);
}

Status check_batch_finite(const Transformer& transformer, const float* logits, int32_t pos,
                          int32_t n) {
  const auto dim = static_cast<size_t>(transformer.model().config.dim);
  for (int32_t i = 0; i + 1 < n; ++i) {
    if (!all_finite(transformer.hidden_state(i), dim)) return not_finite_at(pos + i);
  }
  return check_forward_finite(transformer, logits, pos + n - 1);
}

}  // namespace llmcu
