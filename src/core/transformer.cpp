// One forward pass, in llama2.c's order:
//   x = embedding[token]
//   per layer: attention block  x += Wo · attend(RoPE(Wq·n(x)), RoPE(Wk·n(x)), Wv·n(x))
//              FFN block        x += W2 · (silu(W1·n(x)) * W3·n(x))
//   logits = Wcls · n(x)
// A batch of prompt tokens takes the same steps together: each step runs for
// every token of the batch before the next, and a matrix is read in blocks of
// rows that stay in cache while every token's input passes over them, so
// DRAM sees the weights once per batch. Each token's sums are the ones
// forward() makes for it, so batches change no bit of any result.
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
#include "kernels/ref/ggml_blocks.h"
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

// out[r] = w[layer][r, :] . x for r in [begin, end), by the matrix's type,
// for batch row `row`. int8 matrices read that row's input quantized
// beforehand (b.xq, b.xq_scales), not x; the kernels see padded rows
// (row_stride values, whole groups) whose input padding is zero. Q8_0 and
// Q4_0 matrices read it as Q8_0 blocks (b.xq_blocks), F16 ones rounded to
// fp16 (b.xh).
void matvec_rows(float* out, const Matrix& w, int32_t layer, const float* x, const RunBuffers& b,
                 int32_t row, RowRange r) {
  const auto i = static_cast<size_t>(row);
  switch (w.type) {
    case WeightType::kQ8: {
      const size_t groups = b.xq_stride / static_cast<size_t>(w.group_size);
      K::matvec_q8(out, w.q8(layer), w.scale_bytes(layer), b.xq + i * b.xq_stride,
                   b.xq_scales + i * groups, w.row_stride, w.group_size, r.begin, r.end);
      return;
    }
    case WeightType::kF16:
      K::matvec_f16(out, w.layer(layer), b.xh + i * b.xh_stride, w.cols, r.begin, r.end);
      return;
    case WeightType::kQ8_0:
      K::matvec_q8_0(out, w.layer(layer), b.xq_blocks + i * b.xq_blocks_stride, w.cols, r.begin,
                     r.end);
      return;
    case WeightType::kQ4_0:
      K::matvec_q4_0(out, w.layer(layer), b.xq_blocks + i * b.xq_blocks_stride, w.cols, r.begin,
                     r.end);
      return;
    case WeightType::kF32: break;
  }
  K::matvec_f32(out, w.f32(layer), x, w.cols, r.begin, r.end);
}

// Weight bytes a block of rows may span: small enough to stay in the first
// levels of cache while a batch's inputs pass over it.
constexpr size_t kBlockBytes = 16 * 1024;

// Tokens t < n: out + t * out_stride = w[layer] . (x + t * x_stride) over
// rows r, the inputs quantized in batch rows first + t; in blocks of rows
// that each token's input passes over in turn. Every row is one kernel
// call's row, as in a single matvec, so each token's sums are the same.
void matmul_rows(float* out, size_t out_stride, const Matrix& w, int32_t layer, const float* x,
                 size_t x_stride, const RunBuffers& b, int32_t first, int32_t n, RowRange r) {
  int32_t block = r.end - r.begin;
  if (n > 1) {
    const size_t row_bytes = w.bytes_per_layer() / static_cast<size_t>(w.rows);
    const size_t fit = row_bytes > 0 ? kBlockBytes / row_bytes : 1;
    block = fit < 16 ? 16 : static_cast<int32_t>(fit / 16 * 16);
  }
  for (int32_t begin = r.begin; begin < r.end; begin += block) {
    const RowRange rows{begin, r.end - begin > block ? begin + block : r.end};
    if (n == 1 || w.type == WeightType::kF16) {
      for (int32_t t = 0; t < n; ++t) {
        matvec_rows(out + t * out_stride, w, layer, x + t * x_stride, b, first + t, rows);
      }
      continue;
    }
    const auto i = static_cast<size_t>(first);
    switch (w.type) {
      case WeightType::kQ8: {
        const size_t groups = b.xq_stride / static_cast<size_t>(w.group_size);
        K::matmul_q8(out, out_stride, w.q8(layer), w.scale_bytes(layer), b.xq + i * b.xq_stride,
                     b.xq_stride, b.xq_scales + i * groups, groups, n, w.row_stride, w.group_size,
                     rows.begin, rows.end);
        break;
      }
      case WeightType::kQ8_0:
        K::matmul_q8_0(out, out_stride, w.layer(layer), b.xq_blocks + i * b.xq_blocks_stride,
                       b.xq_blocks_stride, n, w.cols, rows.begin, rows.end);
        break;
      case WeightType::kQ4_0:
        K::matmul_q4_0(out, out_stride, w.layer(layer), b.xq_blocks + i * b.xq_blocks_stride,
                       b.xq_blocks_stride, n, w.cols, rows.begin, rows.end);
        break;
      case WeightType::kF16: break;  // above
      case WeightType::kF32:
        K::matmul_f32(out, out_stride, w.f32(layer), x, x_stride, n, w.cols, rows.begin, rows.end);
        break;
    }
  }
}

// v_t[r] += bias[r] for r in [begin, end) and tokens t < n, rows `stride`
// apart, when the model has the bias.
void add_bias(float* v, size_t stride, const LayerVectors& bias, int32_t layer, int32_t n,
              RowRange r) {
  if (!bias.present()) return;
  const float* b = bias.layer(layer);
  for (int32_t t = 0; t < n; ++t) {
    float* row = v + t * stride;
    for (int32_t i = r.begin; i < r.end; ++i) row[i] += b[i];
  }
}

// out_t = w . x_t for tokens t < n (matmul_rows), then residual_t += out_t
// unless residual is null, each row by the task that computed it.
struct MatmulJob {
  float* out;  // (n, w.rows)
  const Matrix* w;
  int32_t layer;
  const float* x;  // (n, x_stride)
  size_t x_stride;
  float* residual;  // (n, w.rows) or null
  const RunBuffers* b;
  int32_t first;  // batch row of token 0's quantized input
  int32_t n;
  int chunks;
};

void run_matmul_chunk(void* context, int chunk) {
  const auto& job = *static_cast<const MatmulJob*>(context);
  const RowRange r = chunk_rows(job.w->rows, chunk, job.chunks);
  const auto width = static_cast<size_t>(job.w->rows);
  matmul_rows(job.out, width, *job.w, job.layer, job.x, job.x_stride, *job.b, job.first, job.n, r);
  if (job.residual == nullptr) return;
  for (int32_t t = 0; t < job.n; ++t) {
    float* residual = job.residual + t * width;
    const float* out = job.out + t * width;
    for (int32_t i = r.begin; i < r.end; ++i) residual[i] += out[i];
  }
}

// hb = silu(w1 . x) * (w3 . x): hidden index i needs only row i of w1 and of
// w3, so each task computes both for its hidden rows and applies SwiGLU to them.
struct FfnUpJob {
  const Weights* w;
  int32_t layer;
  const float* x;  // (n, dim) normalised input
  const RunBuffers* b;
  int32_t n;
  int chunks;
};

// A multiple of every SIMD width swiglu uses (8 floats on AVX2, 4 on NEON),
// and a 64-byte cache line of floats, so tasks never write to one line.
constexpr int32_t kFfnRowAlign = 16;

void run_ffn_up_chunk(void* context, int chunk) {
  const auto& job = *static_cast<const FfnUpJob*>(context);
  const Weights& w = *job.w;
  const RunBuffers& b = *job.b;
  const RowRange r = aligned_chunk_rows(w.w1.rows, chunk, job.chunks, kFfnRowAlign);
  if (r.begin >= r.end) return;
  const auto dim = static_cast<size_t>(w.w1.cols), hidden = static_cast<size_t>(w.w1.rows);
  matmul_rows(b.hb, hidden, w.w1, job.layer, job.x, dim, b, 0, job.n, r);
  matmul_rows(b.hb2, hidden, w.w3, job.layer, job.x, dim, b, 0, job.n, r);
  const auto swiglu = w.w1.type == WeightType::kQ8 ? KQ::swiglu : K::swiglu;
  for (int32_t t = 0; t < job.n; ++t) {
    swiglu(b.hb + t * hidden + r.begin, b.hb2 + t * hidden + r.begin, r.end - r.begin);
  }
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
// of their query heads, their k and v rows, RoPE, the tokens' keys and
// values into the cache, then scores, softmax and the weighted sum of values
// into xb2. A head needs no other chunk's rows, so the whole block is one
// fork/join. Token t of the batch is at position pos + t and attends to
// positions [0, pos + t].
struct AttentionJob {
  const Model* model;
  const RunBuffers* b;
  int32_t layer;
  int32_t seq_len;
  int32_t pos;
  int32_t n;
  int chunks;
};

void run_attention_chunk(void* context, int chunk) {
  const auto& job = *static_cast<const AttentionJob*>(context);
  const ModelConfig& c = job.model->config;
  const Weights& w = job.model->weights;
  const RunBuffers& b = *job.b;
  const int32_t hs = c.head_size(), kv_mul = c.kv_mul();
  const auto dim = static_cast<size_t>(c.dim), kv_dim = static_cast<size_t>(c.kv_dim());
  const RowRange kv_heads = chunk_rows(c.n_kv_heads, chunk, job.chunks);
  if (kv_heads.begin >= kv_heads.end) return;
  const RowRange kv_rows{kv_heads.begin * hs, kv_heads.end * hs};
  const RowRange q_rows{kv_rows.begin * kv_mul, kv_rows.end * kv_mul};

  const size_t cache_row = (static_cast<size_t>(job.layer) * job.seq_len + job.pos) * kv_dim;
  float* keys = K::kTiledKeys ? b.k : b.key_cache + cache_row;  // (n, kv_dim)
  float* values = b.value_cache + cache_row;                    // (n, kv_dim)
  matmul_rows(b.q, dim, w.wq, job.layer, b.xb, dim, b, 0, job.n, q_rows);
  matmul_rows(keys, kv_dim, w.wk, job.layer, b.xb, dim, b, 0, job.n, kv_rows);
  matmul_rows(values, kv_dim, w.wv, job.layer, b.xb, dim, b, 0, job.n, kv_rows);
  add_bias(b.q, dim, w.bq, job.layer, job.n, q_rows);
  add_bias(keys, kv_dim, w.bk, job.layer, job.n, kv_rows);
  add_bias(values, kv_dim, w.bv, job.layer, job.n, kv_rows);
  const auto rope = c.rope_style == RopeStyle::kHalves ? K::rope_halves : K::rope;
  for (int32_t t = 0; t < job.n; ++t) {
    const float* cos_sin = b.rope + static_cast<size_t>(t) * hs;
    float* key = keys + t * kv_dim;
    rope(b.q + t * dim + q_rows.begin, cos_sin, q_rows.end - q_rows.begin, hs);
    rope(key + kv_rows.begin, cos_sin, kv_rows.end - kv_rows.begin, hs);
    if (K::kTiledKeys) {
      for (int32_t g = kv_heads.begin; g < kv_heads.end; ++g) {
        K::store_key_tiled(head_keys(b, c, job.seq_len, job.layer, g), job.pos + t, key + g * hs,
                           hs);
      }
    }
  }

  const float scale = sqrtf(static_cast<float>(hs));
  const size_t value_layer = static_cast<size_t>(job.layer) * job.seq_len * kv_dim;
  const auto attention_heads =
      job.model->weight_type == WeightType::kQ8 ? KQ::attention_heads : K::attention_heads;
  for (int32_t t = 0; t < job.n; ++t) {
    for (int32_t g = kv_heads.begin; g < kv_heads.end; ++g) {
      const size_t first_head = static_cast<size_t>(g) * kv_mul;
      attention_heads(b.xb2 + t * dim + first_head * hs, b.att + first_head * job.seq_len,
                      job.seq_len, b.q + t * dim + first_head * hs, kv_mul,
                      head_keys(b, c, job.seq_len, job.layer, g),
                      b.value_cache + value_layer + static_cast<size_t>(g) * hs,
                      static_cast<int32_t>(kv_dim), job.pos + t + 1, hs, scale);
    }
  }
}

}  // namespace

void RunBuffers::carve_kv_cache(const ModelConfig& c, int32_t seq_len, Arena& arena) {
  const auto per_position = static_cast<size_t>(c.n_layers) * static_cast<size_t>(c.kv_dim());
  key_cache = arena.allocate<float>(per_position * static_cast<size_t>(key_positions(seq_len)));
  value_cache = arena.allocate<float>(per_position * static_cast<size_t>(seq_len));
}

void RunBuffers::carve_activations(const ModelConfig& c, int32_t seq_len, int32_t rows,
                                   Arena& arena) {
  batch = rows;
  const auto n = static_cast<size_t>(rows);
  const auto dim = static_cast<size_t>(c.dim), hidden = static_cast<size_t>(c.hidden_dim);
  const size_t widest = dim > hidden ? dim : hidden;
  x = arena.allocate<float>(n * dim);
  xb = arena.allocate<float>(n * dim);
  xb2 = arena.allocate<float>(n * dim);
  q = arena.allocate<float>(n * dim);
  hb = arena.allocate<float>(n * hidden);
  hb2 = arena.allocate<float>(n * hidden);
  att = arena.allocate<float>(static_cast<size_t>(c.n_heads) * seq_len);
  if (K::kTiledKeys) k = arena.allocate<float>(n * c.kv_dim());
  rope = arena.allocate<float>(n * c.head_size());
  rope_freq = arena.allocate<float>(c.head_size() / 2);
  if (c.group_size > 0) {
    // Rows padded to whole groups (llmcu files): the padding quantizes to zero.
    xq_stride = static_cast<size_t>(c.padded(static_cast<int32_t>(widest)));
    xq = arena.allocate<int8_t>(n * xq_stride);
    xq_scales = arena.allocate<float>(n * (xq_stride / static_cast<size_t>(c.group_size)));
  }
  if (c.q8_0_input) {
    const size_t blocks = (widest + kernels::ggml::kBlockValues - 1) / kernels::ggml::kBlockValues;
    xq_blocks_stride = blocks * kernels::ggml::kQ8_0BlockBytes;
    xq_blocks = arena.allocate<uint8_t>(n * xq_blocks_stride);
  }
  if (c.f16_input) {
    xh_stride = widest;
    xh = arena.allocate<float>(n * xh_stride);
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
  const ModelConfig& c = model->config;
  const int32_t hs = c.head_size();
  llama_cpp_angles_ = model->format == ModelFormat::kGguf;
  if (llama_cpp_angles_) {
    // rope_freq[0] holds the ratio of one pair's frequency to the previous one's.
    b_.rope_freq[0] = powf(c.rope_theta, -2.0f / static_cast<float>(hs));
    return;
  }
  for (int32_t i = 0; i < hs / 2; ++i) {
    b_.rope_freq[i] = 1.0f / powf(c.rope_theta, static_cast<float>(2 * i) / static_cast<float>(hs));
  }
}

Result<Transformer> Transformer::create(const Model& model, const MemoryPlan& plan,
                                        std::span<uint8_t> arena, Executor* executor) {
  SessionLayout layout;
  LLMCU_TRY(carve_planned_session(model.config, model.tokenizer, plan, arena, {}, &layout));
  return Transformer(&model, layout.run, plan.seq_len, executor);
}

void Transformer::quantize_inputs(const float* x, int32_t width, int32_t first, int32_t n) {
  const ModelConfig& c = model_->config;
  for (int32_t t = first; t < first + n; ++t) {
    const float* row = x + static_cast<size_t>(t) * width;
    if (model_->weight_type == WeightType::kQ8) {
      const size_t groups = b_.xq_stride / static_cast<size_t>(c.group_size);
      K::quantize_q8(b_.xq + t * b_.xq_stride, b_.xq_scales + t * groups, row, width, c.group_size);
      continue;
    }
    if (c.q8_0_input && width % kernels::ggml::kBlockValues == 0) {
      // Rows of other lengths are never Q8_0 or Q4_0 (GGUF rows hold whole blocks).
      K::quantize_row_q8_0(b_.xq_blocks + t * b_.xq_blocks_stride, row, width);
    }
    if (c.f16_input) {
      // llama.cpp converts the input of an F16 dot product to fp16: so do we,
      // which brings Q8_0 files with F16 rows from 0.25 to 2e-6 of its logits.
      float* xh = b_.xh + t * b_.xh_stride;
      for (int32_t i = 0; i < width; ++i)
        xh[i] = kernels::ggml::fp16_to_f32(kernels::ggml::f32_to_fp16(row[i]));
    }
  }
}

void Transformer::rope_angles(int32_t pos, float* cos_sin) {
  const int32_t pairs = model_->config.head_size() / 2;
  if (llama_cpp_angles_) {
    const float scale = b_.rope_freq[0];
    float theta = static_cast<float>(pos);
    for (int32_t i = 0; i < pairs; ++i) {
      cos_sin[2 * i] = cosf(theta);
      cos_sin[2 * i + 1] = sinf(theta);
      theta *= scale;
    }
    return;
  }
  for (int32_t i = 0; i < pairs; ++i) {
    const float angle = static_cast<float>(pos) * b_.rope_freq[i];
    cos_sin[2 * i] = cosf(angle);
    cos_sin[2 * i + 1] = sinf(angle);
  }
}

void Transformer::embed(int32_t token, float* x) {
  const Matrix& e = model_->weights.token_embedding;
  const auto t = static_cast<size_t>(token);
  const size_t row = t * static_cast<size_t>(e.row_stride);
  // Quantized tables are dequantized on lookup: one row, never the whole table.
  switch (e.type) {
    case WeightType::kQ8: {
      const size_t first_group = t * static_cast<size_t>(e.groups_per_row());
      K::dequantize_q8(x, e.q8(0) + row, e.scale_bytes(0) + first_group * sizeof(float), e.cols,
                       e.group_size);
      return;
    }
    case WeightType::kF16:
      K::dequantize_row_f16(x, e.layer(0) + t * kernels::ggml::f16_row_bytes(e.cols), e.cols);
      return;
    case WeightType::kQ8_0:
      K::dequantize_row_q8_0(x, e.layer(0) + t * kernels::ggml::q8_0_row_bytes(e.cols), e.cols);
      return;
    case WeightType::kQ4_0:
      K::dequantize_row_q4_0(x, e.layer(0) + t * kernels::ggml::q4_0_row_bytes(e.cols), e.cols);
      return;
    case WeightType::kF32: break;
  }
  memcpy(x, e.f32(0) + row, sizeof(float) * e.cols);
}

void Transformer::run(int chunks, TaskFn fn, void* job) {
  // One chunk: skip the executor (and its virtual call) altogether.
  if (chunks == 1) {
    fn(job, 0);
  } else {
    executor_->parallel_for(chunks, fn, job);
  }
}

void Transformer::matmul(float* out, const Matrix& w, int32_t layer, const float* x,
                         int32_t x_stride, float* residual, int32_t first, int32_t n) {
  MatmulJob job{out,      &w,  layer, x, static_cast<size_t>(x_stride),
                residual, &b_, first, n, executor_->concurrency()};
  run(job.chunks, run_matmul_chunk, &job);
}

void Transformer::ffn_up(int32_t layer, int32_t n) {
  FfnUpJob job{&model_->weights, layer, b_.xb, &b_, n, executor_->concurrency()};
  run(job.chunks, run_ffn_up_chunk, &job);
}

void Transformer::attention(int32_t layer, int32_t pos, int32_t n) {
  const ModelConfig& c = model_->config;
  AttentionJob job{model_, &b_, layer, seq_len_, pos, n, executor_->concurrency()};
  if (job.chunks > c.n_kv_heads) job.chunks = c.n_kv_heads;
  run(job.chunks, run_attention_chunk, &job);
}

float* Transformer::forward(int32_t token, int32_t pos) {
  return forward_batch(&token, 1, pos);
}

float* Transformer::forward_batch(const int32_t* tokens, int32_t n, int32_t pos) {
  const ModelConfig& c = model_->config;
  const Weights& w = model_->weights;
  if (n < 1 || n > b_.batch || pos < 0 || pos > seq_len_ - n) return nullptr;
  for (int32_t t = 0; t < n; ++t) {
    if (tokens[t] < 0 || tokens[t] >= c.vocab_size) return nullptr;
  }
  const int32_t dim = c.dim, hidden = c.hidden_dim;
  const auto row = [dim](float* v, int32_t t) { return v + static_cast<size_t>(t) * dim; };
  const auto rmsnorm = model_->weight_type == WeightType::kQ8 ? KQ::rmsnorm : K::rmsnorm;
  const float eps = c.rms_eps;

  for (int32_t t = 0; t < n; ++t) {
    embed(tokens[t], row(b_.x, t));
    // The rotation angles depend only on the position: once per token.
    rope_angles(pos + t, b_.rope + static_cast<size_t>(t) * c.head_size());
  }
  for (int32_t l = 0; l < c.n_layers; ++l) {
    // Attention block: q, k, v, RoPE, the KV cache and attention in one
    // fork/join (xb2 = attention output), then x += Wo . xb2.
    for (int32_t t = 0; t < n; ++t)
      rmsnorm(row(b_.xb, t), row(b_.x, t), w.rms_att.layer(l), dim, eps);
    quantize_inputs(b_.xb, dim, 0, n);
    attention(l, pos, n);
    quantize_inputs(b_.xb2, dim, 0, n);
    matmul(b_.xb, w.wo, l, b_.xb2, dim, b_.x, 0, n);

    // FFN block (SwiGLU).
    for (int32_t t = 0; t < n; ++t)
      rmsnorm(row(b_.xb, t), row(b_.x, t), w.rms_ffn.layer(l), dim, eps);
    quantize_inputs(b_.xb, dim, 0, n);
    ffn_up(l, n);
    quantize_inputs(b_.hb, hidden, 0, n);
    matmul(b_.xb, w.w2, l, b_.hb, hidden, b_.x, 0, n);  // x += W2 . hb
  }

  // Every token's final hidden state (front ends check them all); the
  // logits of the last one alone.
  for (int32_t t = 0; t < n; ++t) rmsnorm(row(b_.x, t), row(b_.x, t), w.rms_final, dim, eps);
  last_ = n - 1;
  quantize_inputs(b_.x, dim, last_, 1);
  matmul(b_.logits, w.classifier, 0, row(b_.x, last_), dim, nullptr, last_, 1);
  return b_.logits;
}

}  // namespace llmcu
