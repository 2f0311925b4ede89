// One forward pass, in llama2.c's order:
//   x = embedding[token]
//   per layer: attention block  x += Wo · attend(RoPE(Wq·n(x)), RoPE(Wk·n(x)), Wv·n(x))
//              FFN block        x += W2 · (silu(W1·n(x)) * W3·n(x))
//   logits = Wcls · n(x)
// Matrix rows and attention heads are split into one chunk per worker; each
// output is computed by exactly one worker in a fixed order, so the result is
// the same for any number of workers. Four fork/joins per layer: the
// attention block per group of kv heads (their q, k, v rows, RoPE, cache and
// attention), Wo, w1 with w3 and SwiGLU, and W2; residual adds happen in the
// task that computed the rows. Every fork/join waits for its slowest worker,
// and on small models these waits are a large part of a token.
#include "llmcu/transformer.h"

#include <cmath>
#include <cstring>

#include "kernels/kernels.h"
#include "session_layout.h"

namespace llmcu {
using K = kernels::Active;
// int8 models take rmsnorm, swiglu and attention_heads from the family's
// Q8Path (kernels/reference.h): runq.c's order, so runq.c's text. Everything
// else they share with K.
using KQ = K::Q8Path;
template <class F>
constexpr bool same_kernel(F a, F b) {
  return a == b;
}
static_assert(KQ::kTiledKeys == K::kTiledKeys && same_kernel(KQ::matvec_q8, K::matvec_q8) &&
                  same_kernel(KQ::quantize_q8, K::quantize_q8) &&
                  same_kernel(KQ::dequantize_q8, K::dequantize_q8) &&
                  same_kernel(KQ::rope, K::rope),
              "an int8 forward pass takes these from K");

namespace {

// Rows [begin, end) of chunk `chunk` of `chunks` over `rows` rows.
struct RowRange {
  int32_t begin;
  int32_t end;
};

RowRange chunk_rows(int32_t rows, int chunk, int chunks) {
  return {static_cast<int32_t>(int64_t{rows} * chunk / chunks),
          static_cast<int32_t>(int64_t{rows} * (chunk + 1) / chunks)};
}

// As chunk_rows, but every boundary inside [0, rows) is a multiple of
// `align`. The SIMD element-wise kernels (swiglu) treat a vector block and the
// scalar tail differently; with aligned boundaries each chunk's blocks are
// exactly the blocks of one whole-vector call, so the split changes no result.
RowRange aligned_chunk_rows(int32_t rows, int chunk, int chunks, int32_t align) {
  const int32_t units = (rows + align - 1) / align;
  const RowRange r = chunk_rows(units, chunk, chunks);
  const auto clamp = [rows](int64_t v) { return static_cast<int32_t>(v < rows ? v : rows); };
  return {clamp(int64_t{r.begin} * align), clamp(int64_t{r.end} * align)};
}

// out[r] = w[layer][r, :] . x for r in [begin, end), fp32 or int8. int8
// matrices read the input quantized beforehand (b.xq, b.xq_scales), not x;
// the kernels see padded rows (row_stride values, whole groups) whose input
// padding is zero.
void matvec_rows(float* out, const Matrix& w, int32_t layer, const float* x, const RunBuffers& b,
                 RowRange r) {
  if (w.type == WeightType::kQ8) {
    K::matvec_q8(out, w.q8(layer), w.scale_bytes(layer), b.xq, b.xq_scales, w.row_stride,
                 w.group_size, r.begin, r.end);
  } else {
    K::matvec_f32(out, w.f32(layer), x, w.cols, r.begin, r.end);
  }
}

struct MatvecJob {
  float* out;
  const Matrix* w;
  int32_t layer;
  const float* x;
  const RunBuffers* b;
  // Optional (w.rows): residual += out, each row by the task that computed it.
  float* residual;
  int chunks;
};

void run_matvec_chunk(void* context, int chunk) {
  const auto& job = *static_cast<const MatvecJob*>(context);
  const RowRange r = chunk_rows(job.w->rows, chunk, job.chunks);
  matvec_rows(job.out, *job.w, job.layer, job.x, *job.b, r);
  if (job.residual != nullptr) {
    for (int32_t i = r.begin; i < r.end; ++i) job.residual[i] += job.out[i];
  }
}

// hb = silu(w1 . x) * (w3 . x): hidden index i needs only row i of w1 and of
// w3, so each task computes both for its hidden rows and applies SwiGLU to them.
struct FfnUpJob {
  const Weights* w;
  int32_t layer;
  const float* x;  // (dim) normalised input
  const RunBuffers* b;
  int chunks;
};

// A multiple of every SIMD width swiglu uses (8 floats on AVX2, 4 on NEON),
// and a 64-byte cache line of floats, so tasks never write to one line.
constexpr int32_t kFfnRowAlign = 16;

void run_ffn_up_chunk(void* context, int chunk) {
  const auto& job = *static_cast<const FfnUpJob*>(context);
  const Weights& w = *job.w;
  const RowRange r = aligned_chunk_rows(w.w1.rows, chunk, job.chunks, kFfnRowAlign);
  if (r.begin >= r.end) return;
  matvec_rows(job.b->hb, w.w1, job.layer, job.x, *job.b, r);
  matvec_rows(job.b->hb2, w.w3, job.layer, job.x, *job.b, r);
  const auto swiglu = w.w1.type == WeightType::kQ8 ? KQ::swiglu : K::swiglu;
  swiglu(job.b->hb + r.begin, job.b->hb2 + r.begin, r.end - r.begin);
}

// Positions the key cache holds per layer: whole tiles when it is tiled.
int32_t key_positions(int32_t seq_len) {
  if (!K::kTiledKeys) return seq_len;
  return (seq_len + kernels::kKeyTile - 1) / kernels::kKeyTile * kernels::kKeyTile;
}

// The keys of kv head `kv_head` in `layer`: rows kv_dim apart in the row
// layout, a block of tiles in the tiled one (kernels.h).
float* head_keys(const RunBuffers& b, const ModelConfig& c, int32_t seq_len, int32_t layer,
                 int32_t kv_head) {
  const auto hs = static_cast<size_t>(c.head_size());
  if (K::kTiledKeys) {
    const auto block = static_cast<size_t>(layer) * c.n_kv_heads + kv_head;
    return b.key_cache + block * static_cast<size_t>(key_positions(seq_len)) * hs;
  }
  return b.key_cache + static_cast<size_t>(layer) * seq_len * c.kv_dim() + kv_head * hs;
}

// The attention block of a layer for the kv heads of one chunk: the q rows
// of their query heads, their k and v rows, RoPE, this position's key and
// value into the cache, then scores, softmax and the weighted sum of values
// into xb2. A head needs no other chunk's rows, so the whole block is one
// fork/join.
struct AttentionJob {
  const Model* model;
  const RunBuffers* b;
  int32_t layer;
  int32_t seq_len;
  int32_t pos;
  int chunks;
};

void run_attention_chunk(void* context, int chunk) {
  const auto& job = *static_cast<const AttentionJob*>(context);
  const ModelConfig& c = job.model->config;
  const Weights& w = job.model->weights;
  const RunBuffers& b = *job.b;
  const int32_t hs = c.head_size(), kv_dim = c.kv_dim(), kv_mul = c.kv_mul();
  const RowRange kv_heads = chunk_rows(c.n_kv_heads, chunk, job.chunks);
  if (kv_heads.begin >= kv_heads.end) return;
  const RowRange kv_rows{kv_heads.begin * hs, kv_heads.end * hs};
  const RowRange q_rows{kv_rows.begin * kv_mul, kv_rows.end * kv_mul};

  const size_t cache_row = (static_cast<size_t>(job.layer) * job.seq_len + job.pos) * kv_dim;
  float* key = K::kTiledKeys ? b.k : b.key_cache + cache_row;  // (kv_dim)
  float* value = b.value_cache + cache_row;                    // (kv_dim)
  matvec_rows(b.q, w.wq, job.layer, b.xb, b, q_rows);
  matvec_rows(key, w.wk, job.layer, b.xb, b, kv_rows);
  matvec_rows(value, w.wv, job.layer, b.xb, b, kv_rows);
  K::rope(b.q + q_rows.begin, b.rope, q_rows.end - q_rows.begin, hs);
  K::rope(key + kv_rows.begin, b.rope, kv_rows.end - kv_rows.begin, hs);
  if (K::kTiledKeys) {
    for (int32_t g = kv_heads.begin; g < kv_heads.end; ++g) {
      K::store_key_tiled(head_keys(b, c, job.seq_len, job.layer, g), job.pos, key + g * hs, hs);
    }
  }

  const float scale = sqrtf(static_cast<float>(hs));
  const int32_t n_pos = job.pos + 1;
  const size_t value_layer = static_cast<size_t>(job.layer) * job.seq_len * kv_dim;
  const auto attention_heads =
      job.model->weight_type == WeightType::kQ8 ? KQ::attention_heads : K::attention_heads;
  for (int32_t g = kv_heads.begin; g < kv_heads.end; ++g) {
    const size_t first_head = static_cast<size_t>(g) * kv_mul;
    attention_heads(b.xb2 + first_head * hs, b.att + first_head * job.seq_len, job.seq_len,
                    b.q + first_head * hs, kv_mul, head_keys(b, c, job.seq_len, job.layer, g),
                    b.value_cache + value_layer + static_cast<size_t>(g) * hs, kv_dim, n_pos, hs,
                    scale);
  }
}

}  // namespace

void RunBuffers::carve_kv_cache(const ModelConfig& c, int32_t seq_len, Arena& arena) {
  const auto per_position = static_cast<size_t>(c.n_layers) * static_cast<size_t>(c.kv_dim());
  key_cache = arena.allocate<float>(per_position * static_cast<size_t>(key_positions(seq_len)));
  value_cache = arena.allocate<float>(per_position * static_cast<size_t>(seq_len));
}

void RunBuffers::carve_activations(const ModelConfig& c, int32_t seq_len, Arena& arena) {
  x = arena.allocate<float>(c.dim);
  xb = arena.allocate<float>(c.dim);
  xb2 = arena.allocate<float>(c.dim);
  q = arena.allocate<float>(c.dim);
  hb = arena.allocate<float>(c.hidden_dim);
  hb2 = arena.allocate<float>(c.hidden_dim);
  att = arena.allocate<float>(static_cast<size_t>(c.n_heads) * seq_len);
  if (K::kTiledKeys) k = arena.allocate<float>(c.kv_dim());
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
  static InlineExecutor inline_executor;
  if (executor_ == nullptr) executor_ = &inline_executor;
  const int32_t hs = model->config.head_size();
  for (int32_t i = 0; i < hs / 2; ++i) {
    b_.rope_freq[i] = 1.0f / powf(10000.0f, static_cast<float>(2 * i) / static_cast<float>(hs));
  }
}

Result<Transformer> Transformer::create(const Model& model, const MemoryPlan& plan,
                                        std::span<uint8_t> arena, Executor* executor) {
  SessionLayout layout;
  LLMCU_TRY(carve_planned_session(model.config, plan, arena, {}, &layout));
  return Transformer(&model, layout.run, plan.seq_len, executor);
}

void Transformer::quantize_input(const float* x, int32_t n) {
  if (model_->weight_type != WeightType::kQ8) return;
  K::quantize_q8(b_.xq, b_.xq_scales, x, n, model_->config.group_size);
}

void Transformer::embed(int32_t token) {
  const Matrix& e = model_->weights.token_embedding;
  const size_t row = static_cast<size_t>(token) * static_cast<size_t>(e.row_stride);
  if (e.type == WeightType::kQ8) {
    // Dequantized on lookup: one row, never the whole table.
    const size_t first_group = static_cast<size_t>(token) * static_cast<size_t>(e.groups_per_row());
    K::dequantize_q8(b_.x, e.q8(0) + row, e.scale_bytes(0) + first_group * sizeof(float), e.cols,
                     e.group_size);
  } else {
    memcpy(b_.x, e.f32(0) + row, sizeof(float) * e.cols);
  }
}

void Transformer::run(int chunks, TaskFn fn, void* job) {
  // One chunk: skip the executor (and its virtual call) altogether.
  if (chunks == 1) {
    fn(job, 0);
  } else {
    executor_->parallel_for(chunks, fn, job);
  }
}

void Transformer::matvec(float* out, const Matrix& w, int32_t layer, const float* x,
                         float* residual) {
  MatvecJob job{out, &w, layer, x, &b_, residual, executor_->concurrency()};
  run(job.chunks, run_matvec_chunk, &job);
}

void Transformer::ffn_up(int32_t layer) {
  FfnUpJob job{&model_->weights, layer, b_.xb, &b_, executor_->concurrency()};
  run(job.chunks, run_ffn_up_chunk, &job);
}

void Transformer::attention(int32_t layer, int32_t pos) {
  const ModelConfig& c = model_->config;
  AttentionJob job{model_, &b_, layer, seq_len_, pos, executor_->concurrency()};
  if (job.chunks > c.n_kv_heads) job.chunks = c.n_kv_heads;
  run(job.chunks, run_attention_chunk, &job);
}

float* Transformer::forward(int32_t token, int32_t pos) {
  const ModelConfig& c = model_->config;
  const Weights& w = model_->weights;
  if (token < 0 || token >= c.vocab_size || pos < 0 || pos >= seq_len_) return nullptr;
  const int32_t dim = c.dim, hs = c.head_size();
  const auto rmsnorm = model_->weight_type == WeightType::kQ8 ? KQ::rmsnorm : K::rmsnorm;

  embed(token);

  // The rotation angles depend only on the position: once per token.
  for (int32_t i = 0; i < hs / 2; ++i) {
    const float angle = static_cast<float>(pos) * b_.rope_freq[i];
    b_.rope[2 * i] = cosf(angle);
    b_.rope[2 * i + 1] = sinf(angle);
  }

  for (int32_t l = 0; l < c.n_layers; ++l) {
    // Attention block: q, k, v, RoPE, the KV cache and attention in one
    // fork/join (xb2 = attention output), then x += Wo . xb2.
    rmsnorm(b_.xb, b_.x, w.rms_att + static_cast<size_t>(l) * dim, dim);
    quantize_input(b_.xb, dim);
    attention(l, pos);
    quantize_input(b_.xb2, dim);
    matvec(b_.xb, w.wo, l, b_.xb2, b_.x);

    // FFN block (SwiGLU).
    rmsnorm(b_.xb, b_.x, w.rms_ffn + static_cast<size_t>(l) * dim, dim);
    quantize_input(b_.xb, dim);
    ffn_up(l);
    quantize_input(b_.hb, c.hidden_dim);
    matvec(b_.xb, w.w2, l, b_.hb, b_.x);  // x += W2 . hb
  }

  rmsnorm(b_.x, b_.x, w.rms_final, dim);
  quantize_input(b_.x, dim);
  matvec(b_.logits, w.classifier, 0, b_.x, nullptr);
  return b_.logits;
}

}  // namespace llmcu
