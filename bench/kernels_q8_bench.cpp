// The int8 kernels, reference (ref) against the build's family (Active) and
// the kernels int8 models run (Active::Q8Path), at the shapes of stories260K
// (group 4 in llama2.c's format, 64 in llmcu's), 15M (group 32) and 110M
// (group 64), and on avx512vnni builds the AVX2 matvec against the VNNI one.
// Bytes processed = the int8 weights read.
//   build/release/bench/llmcu_kernel_q8_bench --benchmark_filter=matvec_q8
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/kernels.h"

namespace {

namespace kn = llmcu::kernels;
using Ref = kn::ref::Ref;
using Active = kn::Active;

std::vector<float> random_floats(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

std::vector<int8_t> random_int8(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(-127, 127);
  std::vector<int8_t> v(n);
  for (int8_t& q : v) q = static_cast<int8_t>(dist(rng));
  return v;
}

// rows x cols, group size gs.
template <typename F>
void BM_matvec_q8(benchmark::State& state) {
  const auto rows = static_cast<int32_t>(state.range(0));
  const auto cols = static_cast<int32_t>(state.range(1));
  const auto gs = static_cast<int32_t>(state.range(2));
  const size_t groups = static_cast<size_t>(rows) * static_cast<size_t>(cols / gs);
  const std::vector<int8_t> w = random_int8(static_cast<size_t>(rows) * cols, 1);
  const std::vector<float> w_scales = random_floats(groups, 2, 0.01f);
  const std::vector<int8_t> xq = random_int8(static_cast<size_t>(cols), 3);
  const std::vector<float> x_scales = random_floats(static_cast<size_t>(cols / gs), 4, 0.01f);
  std::vector<float> out(static_cast<size_t>(rows));
  for (auto _ : state) {
    F::matvec_q8(out.data(), w.data(), reinterpret_cast<const uint8_t*>(w_scales.data()), xq.data(),
                 x_scales.data(), cols, gs, 0, rows);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * int64_t{rows} * cols);
}

void MatvecQ8Shapes(benchmark::internal::Benchmark* b) {
  // (rows, cols, group) of wq/wo, w1/w3, w2 and the classifier.
  for (auto [rows, cols, gs] : {std::tuple{64, 64, 4},
                                {172, 64, 4},
                                {64, 172, 4},  // 260K, llama2.c's format
                                {64, 64, 64},
                                {172, 64, 64},
                                {64, 192, 64},  // 260K, llmcu's format (rows padded)
                                {288, 288, 32},
                                {768, 288, 32},
                                {288, 768, 32},
                                {32000, 288, 32},  // 15M
                                {768, 768, 64},
                                {2048, 768, 64},
                                {768, 2048, 64},
                                {32000, 768, 64}}) {  // 110M
    b->Args({rows, cols, gs});
  }
}
BENCHMARK(BM_matvec_q8<Ref>)->Apply(MatvecQ8Shapes);
BENCHMARK(BM_matvec_q8<Active>)->Apply(MatvecQ8Shapes);
#if defined(LLMCU_KERNELS_AVX512VNNI)
// The AVX2 matvec the VNNI one replaces, in the same process (same results).
BENCHMARK(BM_matvec_q8<kn::x86::Avx2>)->Apply(MatvecQ8Shapes);
#endif

template <typename F>
void BM_quantize_q8(benchmark::State& state) {
  const auto n = static_cast<int32_t>(state.range(0));
  const auto gs = static_cast<int32_t>(state.range(1));
  const std::vector<float> x = random_floats(static_cast<size_t>(n), 5, 3.0f);
  std::vector<int8_t> q(static_cast<size_t>(n));
  std::vector<float> scales(static_cast<size_t>(n / gs));
  for (auto _ : state) {
    F::quantize_q8(q.data(), scales.data(), x.data(), n, gs);
    benchmark::DoNotOptimize(q.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_quantize_q8<Ref>)->Args({64, 4})->Args({288, 32})->Args({768, 64})->Args({2048, 64});
BENCHMARK(BM_quantize_q8<Active>)
    ->Args({64, 4})
    ->Args({288, 32})
    ->Args({768, 64})
    ->Args({2048, 64});

}  // namespace

BENCHMARK_MAIN();
