// The fp32 -> llama2.c version-2 converter. Each matrix is streamed twice:
// first its int8 values, then its scales (the format puts all of a tensor's
// values before all of its scales), recomputing each group's scale in the
// second pass rather than holding them: a fixed 1 KiB buffer is all it needs.
#include "llmcu/quantize.h"

#include <cmath>
#include <cstring>

#include "buffered_sink.h"
#include "llama2c_format.h"

namespace llmcu {
namespace {

Status write_q8_matrix(BufferedSink& out, const Matrix& m, int32_t layers, int32_t group_size,
                       const char* name, QuantizeStats* stats) {
  const size_t values = static_cast<size_t>(m.rows) * static_cast<size_t>(m.cols);
  const size_t groups = values / static_cast<size_t>(group_size);
  for (int32_t l = 0; l < layers; ++l) {
    const float* w = m.f32(l);
    for (size_t g = 0; g < groups; ++g) {
      const float* x = w + g * group_size;
      float scale = 0.0f;
      if (!group_scale(x, group_size, &scale)) {
        return Status::error(
            StatusCode::kInvalidFormat, "tensor %s, layer %ld, row %llu: a weight is not finite",
            name, static_cast<long>(l), static_cast<unsigned long long>(g * group_size / m.cols));
      }
      put_quantized(out, x, group_size, scale, stats);
    }
    for (size_t g = 0; g < groups; ++g) {
      float scale = 0.0f;
      group_scale(w + g * group_size, group_size, &scale);
      out.put_f32(scale);
    }
    stats->groups += groups;
    if (!out.status().is_ok()) return out.status();
  }
  return Status::ok();
}

// The largest divisor of both that is at most `limit`.
int32_t largest_common_divisor_up_to(int32_t a, int32_t b, int32_t limit) {
  for (int32_t g = limit; g > 1; --g) {
    if (a % g == 0 && b % g == 0) return g;
  }
  return 1;
}

}  // namespace

Result<int32_t> choose_group_size(const ModelConfig& c, int32_t requested) {
  LLMCU_TRY(validate_config(c));
  if (requested < 0) {
    return Status::error(StatusCode::kInvalidArgument, "group size %ld must be positive",
                         static_cast<long>(requested));
  }
  if (requested == 0) {
    int32_t g = kDefaultGroupSize;
    while (c.dim % g != 0 || c.hidden_dim % g != 0) g /= 2;
    return g;
  }
  const char* tensor = nullptr;
  const char* field = nullptr;
  int32_t row = 0;
  if (c.dim % requested != 0) {
    field = "dim";
    tensor = "wq, wk, wv, wo, w1, w3 and the token embedding";
    row = c.dim;
  } else if (c.hidden_dim % requested != 0) {
    field = "hidden_dim";
    tensor = "w2";
    row = c.hidden_dim;
  }
  if (tensor != nullptr) {
    const int32_t limit = requested < c.dim ? requested : c.dim;
    return Status::error(
        StatusCode::kInvalidArgument,
        "group size %ld does not divide %s %ld, the row length of %s; the "
        "largest group size up to %ld that fits this model is %ld",
        static_cast<long>(requested), field, static_cast<long>(row), tensor,
        static_cast<long>(requested),
        static_cast<long>(largest_common_divisor_up_to(c.dim, c.hidden_dim, limit)));
  }
  return requested;
}

uint64_t llama2c_v2_bytes(const ModelConfig& c, int32_t group_size) {
  const uint64_t dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers, vocab = c.vocab_size;
  const uint64_t kv_dim = c.kv_dim(), gs = group_size;
  auto q8 = [gs](uint64_t rows, uint64_t cols) { return rows * cols + rows * cols / gs * 4; };
  uint64_t total = kAk42HeaderBytes + (2 * layers * dim + dim) * 4 + q8(vocab, dim);
  total += layers * (2 * q8(dim, dim) + 2 * q8(kv_dim, dim) + 3 * q8(hidden, dim));
  if (!c.shared_classifier) total += q8(vocab, dim);
  return total;
}

Result<QuantizeStats> write_llama2c_v2(const Model& model, int32_t group_size, ByteSink sink,
                                       void* user) {
  const ModelConfig& c = model.config;
  if (model.weight_type != WeightType::kF32) {
    return Status::error(StatusCode::kInvalidArgument,
                         "the model is already int8 (%s): quantize its fp32 original",
                         model_format_name(model.format));
  }
  LLMCU_TRY(choose_group_size(c, group_size).status());

  BufferedSink out(sink, user);
  out.put_i32(static_cast<int32_t>(kMagicAk42));
  out.put_i32(2);
  for (int32_t v :
       {c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len}) {
    out.put_i32(v);
  }
  const uint8_t shared = c.shared_classifier ? 1 : 0;
  out.put(&shared, 1);
  out.put_i32(group_size);
  const uint8_t zeros[kAk42HeaderBytes] = {};
  out.put(zeros, kAk42HeaderBytes - (kAk42GroupSizeOffset + sizeof(int32_t)));

  const Weights& w = model.weights;
  const size_t dim = c.dim, layers = c.n_layers;
  out.put(w.rms_att, layers * dim * sizeof(float));
  out.put(w.rms_ffn, layers * dim * sizeof(float));
  out.put(w.rms_final, dim * sizeof(float));

  QuantizeStats stats;
  LLMCU_TRY(write_q8_matrix(out, w.token_embedding, 1, group_size, "token_embedding", &stats));
  LLMCU_TRY(write_q8_matrix(out, w.wq, c.n_layers, group_size, "wq", &stats));
  LLMCU_TRY(write_q8_matrix(out, w.wk, c.n_layers, group_size, "wk", &stats));
  LLMCU_TRY(write_q8_matrix(out, w.wv, c.n_layers, group_size, "wv", &stats));
  LLMCU_TRY(write_q8_matrix(out, w.wo, c.n_layers, group_size, "wo", &stats));
  LLMCU_TRY(write_q8_matrix(out, w.w1, c.n_layers, group_size, "w1", &stats));
  LLMCU_TRY(write_q8_matrix(out, w.w2, c.n_layers, group_size, "w2", &stats));
  LLMCU_TRY(write_q8_matrix(out, w.w3, c.n_layers, group_size, "w3", &stats));
  if (!c.shared_classifier) {
    LLMCU_TRY(write_q8_matrix(out, w.classifier, 1, group_size, "classifier", &stats));
  }
  out.flush();
  if (!out.status().is_ok()) return out.status();
  stats.bytes_written = out.written();
  return stats;
}

}  // namespace llmcu
