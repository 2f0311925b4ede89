// The int8 kernels, reference (ref) against the build's family (Active) and
// the kernels int8 models run (Active::Q8Path), at the shapes of stories260K
// (group 4 in llama2.c's format, 64 in llmcu's), 15M (group 32) and 110M
// (group 64), and on avx512vnni builds the AVX2 matvec against the VNNI one.
// Bytes processed = the int8 weights read. BM_matvec_q8_110m_token streams a
// whole 110M decode step's weights from memory, against BM_read_110m.
// BM_prefill_q8 puts 64 tokens through a matrix by matmul_q8 and by matvecs.
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

// Batched prefill: 64 tokens through one matrix (rows, cols, group), by the
// family's matmul_q8 (kMatmul) or by 64 of its matvecs, in blocks of 16 KiB
// of weights as the transformer calls them. Items = tokens.
template <typename F, bool kMatmul>
void BM_prefill_q8(benchmark::State& state) {
  const auto rows = static_cast<int32_t>(state.range(0));
  const auto cols = static_cast<int32_t>(state.range(1));
  const auto gs = static_cast<int32_t>(state.range(2));
  constexpr int32_t kTokens = 64;
  const size_t groups = static_cast<size_t>(cols / gs);
  const std::vector<int8_t> w = random_int8(static_cast<size_t>(rows) * cols, 1);
  const std::vector<float> w_scales = random_floats(static_cast<size_t>(rows) * groups, 2, 0.01f);
  const std::vector<int8_t> xq = random_int8(static_cast<size_t>(cols) * kTokens, 3);
  const std::vector<float> x_scales = random_floats(groups * kTokens, 4, 0.01f);
  std::vector<float> out(static_cast<size_t>(rows) * kTokens);
  const auto* ws = reinterpret_cast<const uint8_t*>(w_scales.data());
  const int32_t block = 16 * 1024 / cols / 16 * 16 > 16 ? 16 * 1024 / cols / 16 * 16 : 16;
  for (auto _ : state) {
    for (int32_t r = 0; r < rows; r += block) {
      const int32_t end = rows - r < block ? rows : r + block;
      if constexpr (kMatmul) {
        F::matmul_q8(out.data(), static_cast<size_t>(rows), w.data(), ws, xq.data(),
                     static_cast<size_t>(cols), x_scales.data(), groups, kTokens, cols, gs, r, end);
      } else {
        for (int32_t t = 0; t < kTokens; ++t) {
          F::matvec_q8(out.data() + static_cast<size_t>(t) * rows, w.data(), ws,
                       xq.data() + static_cast<size_t>(t) * cols, x_scales.data() + t * groups,
                       cols, gs, r, end);
        }
      }
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kTokens);
}

void PrefillQ8Shapes(benchmark::internal::Benchmark* b) {
  // 15M's wq and w1 (group 32), 110M's w1 and w2 (group 64).
  for (auto [rows, cols, gs] :
       {std::tuple{288, 288, 32}, {768, 288, 32}, {2048, 768, 64}, {768, 2048, 64}}) {
    b->Args({rows, cols, gs});
  }
}
BENCHMARK(BM_prefill_q8<Active, true>)->Apply(PrefillQ8Shapes);
BENCHMARK(BM_prefill_q8<Active, false>)->Apply(PrefillQ8Shapes);

// One decode step's int8 matvecs at the 110M shape, one thread: 12 layers of
// wq, wk, wv, wo (768 x 768), w1, w3 (2048 x 768) and w2 (768 x 2048), and the
// classifier (32000 x 768), group 64: 110 MB of weights laid out one matrix
// after another, far past the caches, so this is the kernel streaming from
// memory. BM_read_110m reads the same bytes with four xor chains, as
// `llmcu bench` measures the read bandwidth: the ceiling.
struct Model110M {
  struct Mat {
    int32_t rows, cols;
    size_t w, s;  // offsets in weights and scales
  };
  std::vector<Mat> mats;
  std::vector<int8_t> w;
  std::vector<uint8_t> s;
  Model110M() {
    size_t w_bytes = 0, s_bytes = 0;
    const auto add = [&](int32_t rows, int32_t cols) {
      mats.push_back({rows, cols, w_bytes, s_bytes});
      w_bytes += static_cast<size_t>(rows) * cols;
      s_bytes += static_cast<size_t>(rows) * (cols / 64) * 4;
    };
    for (int l = 0; l < 12; ++l) {
      for (int k = 0; k < 4; ++k) add(768, 768);
      add(2048, 768);
      add(2048, 768);
      add(768, 2048);
    }
    add(32000, 768);
    w = random_int8(w_bytes, 6);
    const std::vector<float> scales = random_floats(s_bytes / 4, 7, 0.01f);
    s.resize(s_bytes);
    memcpy(s.data(), scales.data(), s_bytes);
  }
};
const Model110M& model_110m() {
  static const Model110M m;
  return m;
}

template <typename F>
void BM_matvec_q8_110m_token(benchmark::State& state) {
  const Model110M& m = model_110m();
  const std::vector<int8_t> xq = random_int8(2048, 8);
  const std::vector<float> x_scales = random_floats(32, 9, 0.01f);
  std::vector<float> out(32000);
  for (auto _ : state) {
    for (const Model110M::Mat& a : m.mats) {
      F::matvec_q8(out.data(), m.w.data() + a.w, m.s.data() + a.s, xq.data(), x_scales.data(),
                   a.cols, 64, 0, a.rows);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(m.w.size()));
}
BENCHMARK(BM_matvec_q8_110m_token<Active>)->Unit(benchmark::kMillisecond);
#if defined(LLMCU_KERNELS_AVX512VNNI)
BENCHMARK(BM_matvec_q8_110m_token<kn::x86::Avx2>)->Unit(benchmark::kMillisecond);
#endif

void BM_read_110m(benchmark::State& state) {
  const Model110M& m = model_110m();
  const size_t words = m.w.size() / sizeof(uint64_t);
  for (auto _ : state) {
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (size_t i = 0; i + 4 <= words; i += 4) {
      uint64_t v[4];
      memcpy(v, m.w.data() + i * sizeof(uint64_t), sizeof v);
      a ^= v[0], b ^= v[1], c ^= v[2], d ^= v[3];
    }
    benchmark::DoNotOptimize(a ^ b ^ c ^ d);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(m.w.size()));
}
BENCHMARK(BM_read_110m)->Unit(benchmark::kMillisecond);

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
