// Each kernel, reference (ref) against the build's family (Active), at the
// shapes the models use: stories260K (dim 64, hidden 172, head 8, vocab 512),
// 15M (288, 768, 48, 32000) and 110M (768, 2048, 64, 32000); ggml's rows also
// at SmolLM2-135M's (576, 1536, vocab 49152).
//   build/release/bench/llmcu_kernel_bench --benchmark_filter=matvec
//   build/release/bench/llmcu_kernel_bench --benchmark_filter='ggml|quantize_row'
//   build/release/bench/llmcu_kernel_bench --benchmark_filter=prefill
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/kernels.h"

namespace {

namespace kn = llmcu::kernels;

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

// Families are types (kernels/reference.h), so one benchmark body serves both.
using Ref = kn::ref::Ref;
using Active = kn::Active;

// rows x cols; the weights start one float past an aligned address, as in
// version-0 files. Bytes processed = the weights read.
template <typename F>
void BM_matvec(benchmark::State& state) {
  const auto rows = static_cast<int32_t>(state.range(0));
  const auto cols = static_cast<int32_t>(state.range(1));
  std::vector<float> w = random_floats(static_cast<size_t>(rows) * cols + 1, 1);
  std::vector<float> x = random_floats(cols, 2), out(rows);
  for (auto _ : state) {
    F::matvec_f32(out.data(), w.data() + 1, x.data(), cols, 0, rows);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * int64_t{rows} * cols * 4);
}

void MatvecShapes(benchmark::internal::Benchmark* b) {
  // (rows, cols) of wq/wo, w1/w3, w2 and the classifier of each model.
  for (auto [rows, cols] : {std::pair{64, 64},
                            {172, 64},
                            {64, 172},
                            {512, 64},  // 260K
                            {288, 288},
                            {768, 288},
                            {288, 768},
                            {32000, 288},  // 15M
                            {768, 768},
                            {2048, 768},
                            {768, 2048},
                            {32000, 768}}) {
    b->Args({rows, cols});
  }
}
BENCHMARK(BM_matvec<Ref>)->Apply(MatvecShapes);
BENCHMARK(BM_matvec<Active>)->Apply(MatvecShapes);
#if defined(LLMCU_KERNELS_AVX512)
// The avx512 family's matvec against the AVX2 one it replaces (same results).
BENCHMARK(BM_matvec<kn::x86::Avx2>)->Apply(MatvecShapes);
#endif

// Batched prefill: 64 tokens through one matrix (rows, cols) by the family's
// matmul_f32 (kMatmul) or by 64 of its matvecs, in the transformer's blocks
// (16 KiB of weights, at least 16 rows). Items = tokens.
template <typename F, bool kMatmul>
void BM_prefill_f32(benchmark::State& state) {
  const auto rows = static_cast<int32_t>(state.range(0));
  const auto cols = static_cast<int32_t>(state.range(1));
  constexpr int32_t kTokens = 64;
  const std::vector<float> w = random_floats(static_cast<size_t>(rows) * cols, 1);
  const std::vector<float> x = random_floats(static_cast<size_t>(cols) * kTokens, 2);
  std::vector<float> out(static_cast<size_t>(rows) * kTokens);
  const int32_t fit = 16 * 1024 / (cols * 4) / 16 * 16;
  const int32_t block = fit > 16 ? fit : 16;
  for (auto _ : state) {
    for (int32_t r = 0; r < rows; r += block) {
      const int32_t end = rows - r < block ? rows : r + block;
      if constexpr (kMatmul) {
        F::matmul_f32(out.data(), static_cast<size_t>(rows), w.data(), x.data(),
                      static_cast<size_t>(cols), kTokens, cols, r, end);
      } else {
        for (int32_t t = 0; t < kTokens; ++t) {
          F::matvec_f32(out.data() + static_cast<size_t>(t) * rows, w.data(),
                        x.data() + static_cast<size_t>(t) * cols, cols, r, end);
        }
      }
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kTokens);
}
void PrefillShapes(benchmark::internal::Benchmark* b) {
  // 15M's wq and w1, 110M's w1 and w2, SmolLM2-135M's w1.
  for (auto [rows, cols] :
       {std::pair{288, 288}, {768, 288}, {2048, 768}, {768, 2048}, {1536, 576}}) {
    b->Args({rows, cols});
  }
}
BENCHMARK(BM_prefill_f32<Active, true>)->Apply(PrefillShapes);
BENCHMARK(BM_prefill_f32<Active, false>)->Apply(PrefillShapes);

template <typename F>
void BM_rmsnorm(benchmark::State& state) {
  const auto n = static_cast<int32_t>(state.range(0));
  std::vector<float> x = random_floats(n, 3), w = random_floats(n, 4), out(n);
  for (auto _ : state) {
    F::rmsnorm(out.data(), x.data(), w.data(), n, 1e-5f);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_rmsnorm<Ref>)->Arg(64)->Arg(288)->Arg(768);
BENCHMARK(BM_rmsnorm<Active>)->Arg(64)->Arg(288)->Arg(768);

template <typename F>
void BM_softmax(benchmark::State& state) {
  const auto n = static_cast<int32_t>(state.range(0));
  const std::vector<float> source = random_floats(n, 5);
  std::vector<float> x = source;
  for (auto _ : state) {
    F::softmax(x.data(), n);
    benchmark::DoNotOptimize(x.data());
    state.PauseTiming();
    x = source;
    state.ResumeTiming();
  }
}
// Attention rows (positions) and the vocabularies (sampling).
BENCHMARK(BM_softmax<Ref>)->Arg(64)->Arg(256)->Arg(512)->Arg(1024)->Arg(32000);
BENCHMARK(BM_softmax<Active>)->Arg(64)->Arg(256)->Arg(512)->Arg(1024)->Arg(32000);

template <typename F>
void BM_swiglu(benchmark::State& state) {
  const auto n = static_cast<int32_t>(state.range(0));
  std::vector<float> hb = random_floats(n, 6), hb2 = random_floats(n, 7);
  for (auto _ : state) {
    F::swiglu(hb.data(), hb2.data(), n);
    benchmark::DoNotOptimize(hb.data());
    // hb shrinks towards 0 over iterations; the work per element does not change.
  }
}
BENCHMARK(BM_swiglu<Ref>)->Arg(172)->Arg(768)->Arg(2048);
BENCHMARK(BM_swiglu<Active>)->Arg(172)->Arg(768)->Arg(2048);

template <typename F>
void BM_rope(benchmark::State& state) {
  const auto n = static_cast<int32_t>(state.range(0));
  const auto hs = static_cast<int32_t>(state.range(1));
  std::vector<float> v = random_floats(n, 8), cs(hs);
  for (int32_t i = 0; i < hs / 2; ++i) {
    cs[2 * i] = cosf(0.1f * i);
    cs[2 * i + 1] = sinf(0.1f * i);
  }
  for (auto _ : state) {
    F::rope(v.data(), cs.data(), n, hs);
    benchmark::DoNotOptimize(v.data());
  }
}
BENCHMARK(BM_rope<Ref>)->Args({64, 8})->Args({288, 48})->Args({768, 64});
BENCHMARK(BM_rope<Active>)->Args({64, 8})->Args({288, 48})->Args({768, 64});

template <typename F>
void BM_argmax(benchmark::State& state) {
  const auto n = static_cast<int32_t>(state.range(0));
  std::vector<float> x = random_floats(n, 9);
  for (auto _ : state) benchmark::DoNotOptimize(F::argmax(x.data(), n));
}
BENCHMARK(BM_argmax<Ref>)->Arg(512)->Arg(32000);
BENCHMARK(BM_argmax<Active>)->Arg(512)->Arg(32000);

// One head's attention over n_pos cached positions: scores, then the
// weighted sum of values. kv_stride = kv_dim of the model.
template <typename F>
void BM_attention(benchmark::State& state) {
  const auto hs = static_cast<int32_t>(state.range(0));
  const auto n_pos = static_cast<int32_t>(state.range(1));
  const auto kv_dim = static_cast<int32_t>(state.range(2));
  std::vector<float> q = random_floats(hs, 10);
  std::vector<float> keys = random_floats(static_cast<size_t>(n_pos) * kv_dim, 11);
  std::vector<float> values = random_floats(static_cast<size_t>(n_pos) * kv_dim, 12);
  std::vector<float> att(n_pos), out(hs);
  const float divisor = sqrtf(static_cast<float>(hs));
  for (auto _ : state) {
    F::attention_scores(att.data(), q.data(), keys.data(), kv_dim, n_pos, hs, divisor);
    F::attention_values(out.data(), att.data(), values.data(), kv_dim, n_pos, hs);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_attention<Ref>)->Args({8, 256, 32})->Args({48, 256, 288})->Args({64, 1024, 768});
BENCHMARK(BM_attention<Active>)->Args({8, 256, 32})->Args({48, 256, 288})->Args({64, 1024, 768});

// What the transformer runs per kv head: for each of its query heads, scores,
// softmax and the weighted sum: each family's attention_heads over its own
// key layout (the reference composes its three kernels over row keys; x86
// fuses them over tiles, heads of size 8 in pairs). Args: head size,
// positions, kv_dim, query heads per kv head.
template <typename F>
void BM_attention_heads(benchmark::State& state) {
  const auto hs = static_cast<int32_t>(state.range(0));
  const auto n_pos = static_cast<int32_t>(state.range(1));
  const auto kv_dim = static_cast<int32_t>(state.range(2));
  const auto n_heads = static_cast<int32_t>(state.range(3));
  std::vector<float> q = random_floats(static_cast<size_t>(n_heads) * hs, 13);
  std::vector<float> keys = random_floats(static_cast<size_t>(n_pos) * kv_dim, 14);
  std::vector<float> values = random_floats(static_cast<size_t>(n_pos) * kv_dim, 15);
  std::vector<float> tiles(static_cast<size_t>(n_pos + kn::kKeyTile) * hs);
  for (int32_t t = 0; t < n_pos; ++t) {
    kn::ref::store_key_tiled(tiles.data(), t, keys.data() + static_cast<size_t>(t) * kv_dim, hs);
  }
  const float* family_keys = F::kTiledKeys ? tiles.data() : keys.data();
  std::vector<float> att(static_cast<size_t>(n_heads) * n_pos),
      out(static_cast<size_t>(n_heads) * hs);
  const float divisor = sqrtf(static_cast<float>(hs));
  for (auto _ : state) {
    F::attention_heads(out.data(), att.data(), n_pos, q.data(), n_heads, family_keys, values.data(),
                       kv_dim, n_pos, hs, divisor);
    benchmark::DoNotOptimize(out.data());
  }
}
void AttentionShapes(benchmark::internal::Benchmark* b) {
  b->Args({8, 256, 32, 2})->Args({48, 256, 288, 1})->Args({64, 1024, 768, 1});
}
BENCHMARK(BM_attention_heads<Ref>)->Apply(AttentionShapes);
BENCHMARK(BM_attention_heads<Active>)->Apply(AttentionShapes);

// ggml's rows (GGUF files). (rows, cols) of the matrices in the files:
// stories260K (wq/wo, ffn gate/up, output; its 172-column ffn_down is F16),
// SmolLM2-135M (dim 576, hidden 1536, vocab 49152) and 110M (768, 2048,
// 32000). Bytes processed = the weights read; the activations are quantized
// once, outside the loop (BM_quantize_row_q8_0 times that).
enum class Ggml { kF16, kQ8_0, kQ4_0 };

size_t ggml_row_bytes(Ggml type, int32_t cols) {
  return type == Ggml::kF16    ? kn::ggml::f16_row_bytes(cols)
         : type == Ggml::kQ8_0 ? kn::ggml::q8_0_row_bytes(cols)
                               : kn::ggml::q4_0_row_bytes(cols);
}

template <typename F, Ggml kType>
void BM_ggml_matvec(benchmark::State& state) {
  const auto rows = static_cast<int32_t>(state.range(0));
  const auto cols = static_cast<int32_t>(state.range(1));
  const size_t row_bytes = ggml_row_bytes(kType, cols);
  std::vector<uint8_t> w(row_bytes * static_cast<size_t>(rows));
  const std::vector<float> x = random_floats(cols, 2);
  for (int32_t r = 0; r < rows; ++r) {
    const std::vector<float> row = random_floats(cols, 100 + static_cast<uint32_t>(r));
    uint8_t* out = w.data() + static_cast<size_t>(r) * row_bytes;
    if constexpr (kType == Ggml::kF16) {
      for (int32_t i = 0; i < cols; ++i) {
        const uint16_t h = kn::ggml::f32_to_fp16(row[i]);
        memcpy(out + 2 * static_cast<size_t>(i), &h, 2);
      }
    } else if constexpr (kType == Ggml::kQ8_0) {
      kn::ref::quantize_row_q8_0(out, row.data(), cols);
    } else {
      kn::ref::quantize_row_q4_0(out, row.data(), cols);
    }
  }
  std::vector<uint8_t> xq(kn::ggml::q8_0_row_bytes(cols));
  kn::ref::quantize_row_q8_0(xq.data(), x.data(), cols);
  std::vector<float> out(rows);
  for (auto _ : state) {
    if constexpr (kType == Ggml::kF16) {
      F::matvec_f16(out.data(), w.data(), x.data(), cols, 0, rows);
    } else if constexpr (kType == Ggml::kQ8_0) {
      F::matvec_q8_0(out.data(), w.data(), xq.data(), cols, 0, rows);
    } else {
      F::matvec_q4_0(out.data(), w.data(), xq.data(), cols, 0, rows);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(row_bytes) * rows);
}

void GgmlShapes(benchmark::internal::Benchmark* b) {
  for (auto [rows, cols] : {std::pair{64, 64},
                            {172, 64},
                            {512, 64},  // 260K
                            {576, 576},
                            {1536, 576},
                            {576, 1536},
                            {49152, 576},  // SmolLM2-135M
                            {768, 768},
                            {2048, 768},
                            {768, 2048},
                            {32000, 768}}) {  // 110M
    b->Args({rows, cols});
  }
}
void GgmlF16Shapes(benchmark::internal::Benchmark* b) {
  b->Args({64, 172});  // stories260K's ffn_down, F16 in its Q8_0 and Q4_0 files
  GgmlShapes(b);
}
BENCHMARK(BM_ggml_matvec<Ref, Ggml::kF16>)->Apply(GgmlF16Shapes);
BENCHMARK(BM_ggml_matvec<Active, Ggml::kF16>)->Apply(GgmlF16Shapes);
BENCHMARK(BM_ggml_matvec<Ref, Ggml::kQ8_0>)->Apply(GgmlShapes);
BENCHMARK(BM_ggml_matvec<Active, Ggml::kQ8_0>)->Apply(GgmlShapes);
BENCHMARK(BM_ggml_matvec<Ref, Ggml::kQ4_0>)->Apply(GgmlShapes);
BENCHMARK(BM_ggml_matvec<Active, Ggml::kQ4_0>)->Apply(GgmlShapes);

// The activations of one matvec: n floats to Q8_0 blocks.
template <typename F>
void BM_quantize_row_q8_0(benchmark::State& state) {
  const auto n = static_cast<int32_t>(state.range(0));
  const std::vector<float> x = random_floats(n, 16);
  std::vector<uint8_t> out(kn::ggml::q8_0_row_bytes(n));
  for (auto _ : state) {
    F::quantize_row_q8_0(out.data(), x.data(), n);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * int64_t{n} * 4);
}
BENCHMARK(BM_quantize_row_q8_0<Ref>)->Arg(64)->Arg(576)->Arg(768)->Arg(1536)->Arg(2048);
BENCHMARK(BM_quantize_row_q8_0<Active>)->Arg(64)->Arg(576)->Arg(768)->Arg(1536)->Arg(2048);

}  // namespace

BENCHMARK_MAIN();
