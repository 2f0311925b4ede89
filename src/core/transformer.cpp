// One forward pass, in llama2.c's order:
//   x = embedding[token]
//   per layer: attention block  x += Wo · attend(RoPE(Wq·n(x)), RoPE(Wk·n(x)), Wv·n(x))
//              FFN block        x += W2 · (silu(W1·n(x)) * W3·n(x))
//   logits = Wcls · n(x)
// Matrix rows and attention heads are split into one chunk per worker; each
// output is computed by exactly one worker in a fixed order, so the result is
// the same for any number of workers.
#include "llmcu/transformer.h"

#include <cmath>
#include <cstring>

#include "kernels/kernels.h"

namespace llmcu {
namespace k = kernels::active;

namespace {

struct MatvecJob {
  float* out;
  const float* w;
  const float* x;
  int32_t rows;
  int32_t cols;
  int chunks;
};

void run_matvec_chunk(void* context, int chunk) {
  const auto& job = *static_cast<const MatvecJob*>(context);
  const auto begin = static_cast<int32_t>(int64_t{job.rows} * chunk / job.chunks);
  const auto end = static_cast<int32_t>(int64_t{job.rows} * (chunk + 1) / job.chunks);
  k::matvec_f32(job.out, job.w, job.x, job.cols, begin, end);
}

struct MatvecQ8Job {
  float* out;
  const int8_t* w;
  const uint8_t* w_scales;
  const int8_t* xq;
  const float* x_scales;
  int32_t rows;
  int32_t cols;
  int32_t group_size;
  int chunks;
};

void run_matvec_q8_chunk(void* context, int chunk) {
  const auto& job = *static_cast<const MatvecQ8Job*>(context);
  const auto begin = static_cast<int32_t>(int64_t{job.rows} * chunk / job.chunks);
  const auto end = static_cast<int32_t>(int64_t{job.rows} * (chunk + 1) / job.chunks);
  kernels::active_q8::matvec_q8(job.out, job.w, job.w_scales, job.xq, job.x_scales, job.cols,
                                job.group_size, begin, end);
}

struct AttentionJob {
  const ModelConfig* config;
  const RunBuffers* b;
  size_t layer_offset;  // floats from the cache start to this layer
  int32_t seq_len;
  int32_t pos;
  int chunks;
};

// Heads [begin, end): scores against every cached key, softmax, weighted sum
// of cached values into xb.
void run_attention_chunk(void* context, int chunk) {
  const auto& job = *static_cast<const AttentionJob*>(context);
  const ModelConfig& c = *job.config;
  const int32_t hs = c.head_size(), kv_dim = c.kv_dim(), kv_mul = c.kv_mul();
  const int32_t begin = c.n_heads * chunk / job.chunks;
  const int32_t end = c.n_heads * (chunk + 1) / job.chunks;
  const float scale = sqrtf(static_cast<float>(hs));
  for (int32_t h = begin; h < end; ++h) {
    const float* q = job.b->q + static_cast<size_t>(h) * hs;
    float* att = job.b->att + static_cast<size_t>(h) * job.seq_len;
    const size_t head_offset = job.layer_offset + static_cast<size_t>(h / kv_mul) * hs;
    const float* keys = job.b->key_cache + head_offset;
    const float* values = job.b->value_cache + head_offset;
    k::attention_scores(att, q, keys, kv_dim, job.pos + 1, hs, scale);
    k::softmax(att, job.pos + 1);
    k::attention_values(job.b->xb + static_cast<size_t>(h) * hs, att, values, kv_dim,
                        job.pos + 1, hs);
  }
}

void add_in_place(float* x, const float* y, int32_t n) {
  for (int32_t i = 0; i < n; ++i) x[i] += y[i];
}

}  // namespace

void RunBuffers::carve_kv_cache(const ModelConfig& c, int32_t seq_len, Arena& arena) {
  const size_t cache = static_cast<size_t>(c.n_layers) * seq_len * c.kv_dim();
  key_cache = arena.allocate<float>(cache);
  value_cache = arena.allocate<float>(cache);
}

void RunBuffers::carve_activations(const ModelConfig& c, int32_t seq_len, Arena& arena) {
  x = arena.allocate<float>(c.dim);
  xb = arena.allocate<float>(c.dim);
  xb2 = arena.allocate<float>(c.dim);
  q = arena.allocate<float>(c.dim);
  hb = arena.allocate<float>(c.hidden_dim);
  hb2 = arena.allocate<float>(c.hidden_dim);
  att = arena.allocate<float>(static_cast<size_t>(c.n_heads) * seq_len);
  rope = arena.allocate<float>(c.head_size());
  rope_freq = arena.allocate<float>(c.head_size() / 2);
  if (c.group_size > 0) {
    // Rows padded to whole groups (llmcu files): the padding quantizes to zero.
    const auto widest = static_cast<size_t>(c.padded(c.dim > c.hidden_dim ? c.dim : c.hidden_dim));
    xq = arena.allocate<int8_t>(widest);
    xq_scales = arena.allocate<float>(widest / static_cast<size_t>(c.group_size));
  }
}

void RunBuffers::carve_logits(const ModelConfig& c, Arena& arena) {
  logits = arena.allocate<float>(c.vocab_size);
}

Transformer::Transformer(const Model* model, const RunBuffers& buffers, int32_t seq_len,
                         Executor* executor)
    : model_(model), b_(buffers), seq_len_(seq_len), executor_(executor) {
  const int32_t hs = model->config.head_size();
  for (int32_t i = 0; i < hs / 2; ++i) {
    b_.rope_freq[i] = 1.0f / powf(10000.0f, static_cast<float>(2 * i) / static_cast<float>(hs));
  }
}

void Transformer::quantize_input(const float* x, int32_t n) {
  if (model_->weight_type != WeightType::kQ8) return;
  kernels::active_q8::quantize_q8(b_.xq, b_.xq_scales, x, n, model_->config.group_size);
}

// Uses the input last given to quantize_input(). The kernels see padded rows
// (row_stride values, whole groups); the input's padding is zero.
void Transformer::matvec_q8(float* out, const Matrix& w, int32_t layer) {
  MatvecQ8Job job{out,          w.q8(layer),  w.scale_bytes(layer),    b_.xq, b_.xq_scales, w.rows,
                  w.row_stride, w.group_size, executor_->concurrency()};
  if (job.chunks == 1) {
    run_matvec_q8_chunk(&job, 0);
  } else {
    executor_->parallel_for(job.chunks, run_matvec_q8_chunk, &job);
  }
}

void Transformer::embed(int32_t token) {
  const Matrix& e = model_->weights.token_embedding;
  const size_t row = static_cast<size_t>(token) * static_cast<size_t>(e.row_stride);
  if (e.type == WeightType::kQ8) {
    // Dequantized on lookup: one row, never the whole table.
    const size_t first_group = static_cast<size_t>(token) * static_cast<size_t>(e.groups_per_row());
    kernels::active_q8::dequantize_q8(
        b_.x, e.q8(0) + row, e.scale_bytes(0) + first_group * sizeof(float), e.cols, e.group_size);
  } else {
    memcpy(b_.x, e.f32(0) + row, sizeof(float) * e.cols);
  }
}

void Transformer::matvec(float* out, const Matrix& w, int32_t layer, const float* x) {
  if (w.type == WeightType::kQ8) {
    matvec_q8(out, w, layer);
    return;
  }
  MatvecJob job{out, w.f32(layer), x, w.rows, w.cols, executor_->concurrency()};
  if (job.chunks == 1) {
    k::matvec_f32(out, job.w, x, w.cols, 0, w.rows);
  } else {
    executor_->parallel_for(job.chunks, run_matvec_chunk, &job);
  }
}

void Transformer::attention(int32_t layer, int32_t pos) {
  const ModelConfig& c = model_->config;
  AttentionJob job{&c,       &b_, static_cast<size_t>(layer) * seq_len_ * c.kv_dim(),
                   seq_len_, pos, executor_->concurrency()};
  if (job.chunks > c.n_heads) job.chunks = c.n_heads;
  executor_->parallel_for(job.chunks, run_attention_chunk, &job);
}

float* Transformer::forward(int32_t token, int32_t pos) {
  const ModelConfig& c = model_->config;
  const Weights& w = model_->weights;
  if (token < 0 || token >= c.vocab_size || pos < 0 || pos >= seq_len_) return nullptr;
  const int32_t dim = c.dim, kv_dim = c.kv_dim(), hs = c.head_size();

  embed(token);

  // The rotation angles depend only on the position: once per token.
  for (int32_t i = 0; i < hs / 2; ++i) {
    const float angle = static_cast<float>(pos) * b_.rope_freq[i];
    b_.rope[2 * i] = cosf(angle);
    b_.rope[2 * i + 1] = sinf(angle);
  }

  for (int32_t l = 0; l < c.n_layers; ++l) {
    // Attention block. This position's key and value go straight into the cache.
    k::rmsnorm(b_.xb, b_.x, w.rms_att + static_cast<size_t>(l) * dim, dim);
    const size_t cache_row = (static_cast<size_t>(l) * seq_len_ + pos) * kv_dim;
    float* key = b_.key_cache + cache_row;
    float* value = b_.value_cache + cache_row;
    quantize_input(b_.xb, dim);
    matvec(b_.q, w.wq, l, b_.xb);
    matvec(key, w.wk, l, b_.xb);
    matvec(value, w.wv, l, b_.xb);
    k::rope(b_.q, b_.rope, dim, hs);
    k::rope(key, b_.rope, kv_dim, hs);
    attention(l, pos);
    quantize_input(b_.xb, dim);
    matvec(b_.xb2, w.wo, l, b_.xb);
    add_in_place(b_.x, b_.xb2, dim);

    // FFN block (SwiGLU).
    k::rmsnorm(b_.xb, b_.x, w.rms_ffn + static_cast<size_t>(l) * dim, dim);
    quantize_input(b_.xb, dim);
    matvec(b_.hb, w.w1, l, b_.xb);
    matvec(b_.hb2, w.w3, l, b_.xb);
    k::swiglu(b_.hb, b_.hb2, c.hidden_dim);
    quantize_input(b_.hb, c.hidden_dim);
    matvec(b_.xb, w.w2, l, b_.hb);
    add_in_place(b_.x, b_.xb, dim);
  }

  k::rmsnorm(b_.x, b_.x, w.rms_final, dim);
  quantize_input(b_.x, dim);
  matvec(b_.logits, w.classifier, 0, b_.x);
  return b_.logits;
}

}  // namespace llmcu
