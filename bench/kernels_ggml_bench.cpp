// ggml's Q8_0 and Q4_0 kernels (GGUF models): the AVX2 matvec against the
// build's family (on avx512vnni builds the VNNI one) at SmolLM2-135M's
// shapes, in cache, and batched prefill's matmul of 64 tokens against 64
// matvecs, over the whole matrix and in the 16-row blocks the transformer
// gives it. Items processed = multiply-adds (rows x cols x tokens), bytes
// processed = the weights' bytes read once per matvec or matmul.
//   build/release/bench/llmcu_kernel_ggml_bench --benchmark_filter=q8_0
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/kernels.h"

namespace {

namespace kn = llmcu::kernels;
namespace ggml = llmcu::kernels::ggml;
using Active = kn::Active;

enum class Type { kQ8_0, kQ4_0 };

// rows x cols of Q8_0 or Q4_0 from random floats, as llama.cpp quantizes.
std::vector<uint8_t> random_matrix(Type type, int32_t rows, int32_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> row(static_cast<size_t>(cols));
  const size_t row_bytes =
      type == Type::kQ8_0 ? ggml::q8_0_row_bytes(cols) : ggml::q4_0_row_bytes(cols);
  std::vector<uint8_t> w(row_bytes * static_cast<size_t>(rows));
  for (int32_t r = 0; r < rows; ++r) {
    for (float& f : row) f = dist(rng);
    uint8_t* out = w.data() + row_bytes * static_cast<size_t>(r);
    if (type == Type::kQ8_0) {
      kn::ref::quantize_row_q8_0(out, row.data(), cols);
    } else {
      kn::ref::quantize_row_q4_0(out, row.data(), cols);
    }
  }
  return w;
}

template <Type kType, typename F>
void matvec(float* out, const uint8_t* w, const uint8_t* xq, int32_t cols, int32_t b, int32_t e) {
  if constexpr (kType == Type::kQ8_0) {
    F::matvec_q8_0(out, w, xq, cols, b, e);
  } else {
    F::matvec_q4_0(out, w, xq, cols, b, e);
  }
}

template <Type kType, typename F>
void matmul(float* out, size_t out_stride, const uint8_t* w, const uint8_t* xq, size_t xq_stride,
            int32_t n, int32_t cols, int32_t b, int32_t e) {
  if constexpr (kType == Type::kQ8_0) {
    F::matmul_q8_0(out, out_stride, w, xq, xq_stride, n, cols, b, e);
  } else {
    F::matmul_q4_0(out, out_stride, w, xq, xq_stride, n, cols, b, e);
  }
}

// rows x cols against one token.
template <Type kType, typename F>
void BM_matvec(benchmark::State& state) {
  const auto rows = static_cast<int32_t>(state.range(0));
  const auto cols = static_cast<int32_t>(state.range(1));
  const std::vector<uint8_t> w = random_matrix(kType, rows, cols, 1);
  const std::vector<uint8_t> xq = random_matrix(Type::kQ8_0, 1, cols, 2);
  std::vector<float> out(static_cast<size_t>(rows));
  for (auto _ : state) {
    matvec<kType, F>(out.data(), w.data(), xq.data(), cols, 0, rows);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * int64_t{rows} * cols);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.size()));
}

// rows x cols against n tokens (range 2), in blocks of range(3) rows (0:
// all at once); kLoop: n matvecs per block instead of the matmul.
template <Type kType, typename F, bool kLoop>
void BM_matmul(benchmark::State& state) {
  const auto rows = static_cast<int32_t>(state.range(0));
  const auto cols = static_cast<int32_t>(state.range(1));
  const auto n = static_cast<int32_t>(state.range(2));
  const int32_t block = state.range(3) > 0 ? static_cast<int32_t>(state.range(3)) : rows;
  const std::vector<uint8_t> w = random_matrix(kType, rows, cols, 1);
  const std::vector<uint8_t> xq = random_matrix(Type::kQ8_0, n, cols, 2);
  const size_t xq_stride = ggml::q8_0_row_bytes(cols);
  const auto out_stride = static_cast<size_t>(rows);
  std::vector<float> out(out_stride * static_cast<size_t>(n));
  for (auto _ : state) {
    for (int32_t b = 0; b < rows; b += block) {
      const int32_t e = rows - b > block ? b + block : rows;
      if constexpr (kLoop) {
        for (int32_t t = 0; t < n; ++t) {
          matvec<kType, F>(out.data() + static_cast<size_t>(t) * out_stride, w.data(),
                           xq.data() + static_cast<size_t>(t) * xq_stride, cols, b, e);
        }
      } else {
        matmul<kType, F>(out.data(), out_stride, w.data(), xq.data(), xq_stride, n, cols, b, e);
      }
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * int64_t{rows} * cols * n);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.size()));
}

// SmolLM2-135M: wq/wo (576 x 576), wk/wv (192 x 576), w1/w3 (1536 x 576),
// w2 (576 x 1536).
void MatvecShapes(benchmark::internal::Benchmark* b) {
  for (auto [rows, cols] : {std::pair{576, 576}, {192, 576}, {1536, 576}, {576, 1536}}) {
    b->Args({rows, cols});
  }
}

// (rows, cols, tokens, row block): w1 and w2 for 64 tokens, whole and in
// the transformer's 16-row blocks (16 KiB of weights: 16 rows of either).
void MatmulShapes(benchmark::internal::Benchmark* b) {
  for (auto [rows, cols] : {std::pair{1536, 576}, {576, 1536}}) {
    for (int64_t block : {0, 16}) b->Args({rows, cols, 64, block});
  }
}

#define LLMCU_GGML_BENCH(TYPE, NAME)                                                          \
  BENCHMARK(BM_matvec<TYPE, Active>)->Name("BM_matvec_" NAME "/active")->Apply(MatvecShapes); \
  BENCHMARK(BM_matmul<TYPE, Active, false>)                                                   \
      ->Name("BM_matmul_" NAME "/active")                                                     \
      ->Apply(MatmulShapes);                                                                  \
  BENCHMARK(BM_matmul<TYPE, Active, true>)                                                    \
      ->Name("BM_matvec_loop_" NAME "/active")                                                \
      ->Apply(MatmulShapes);

LLMCU_GGML_BENCH(Type::kQ8_0, "q8_0")
LLMCU_GGML_BENCH(Type::kQ4_0, "q4_0")

#if defined(LLMCU_KERNELS_AVX2) || defined(LLMCU_KERNELS_AVX512) || \
    defined(LLMCU_KERNELS_AVX512VNNI)
// The AVX2 kernels in the same process (matmul: their matvec per token).
#define LLMCU_GGML_BENCH_AVX2(TYPE, NAME)                                                          \
  BENCHMARK(BM_matvec<TYPE, kn::x86::Avx2>)->Name("BM_matvec_" NAME "/avx2")->Apply(MatvecShapes); \
  BENCHMARK(BM_matmul<TYPE, kn::x86::Avx2, true>)                                                  \
      ->Name("BM_matvec_loop_" NAME "/avx2")                                                       \
      ->Apply(MatmulShapes);
LLMCU_GGML_BENCH_AVX2(Type::kQ8_0, "q8_0")
LLMCU_GGML_BENCH_AVX2(Type::kQ4_0, "q4_0")
#endif

}  // namespace

BENCHMARK_MAIN();
