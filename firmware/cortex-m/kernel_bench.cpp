// Instructions per multiply-add of ggml's matvecs on the target, the
// reference against the image's kernels (kernels::Active), at the shapes of
// stories260K's GGUF files: wq/wo 64x64, ffn gate/up 172x64, the classifier
// 512x64 (Q8_0, Q4_0) and ffn_down 64x172 (F16, the fallback of both files),
// and 64 rows of SmolLM2-135M's width, 576, where per-row costs matter less.
//   run_qemu.sh llmcu_kernel_bench.elf     (-icount: the counts are exact to
//                                           +-40 instructions per reading)
// One line per kernel and shape: instructions per call (the mean of kCalls)
// and per multiply-add, and whether Active gave ref's bits. Exit status 1 if
// a kernel the family promises exact did not.
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "kernels/kernels.h"
#include "llmcu_mcu.h"

namespace {

namespace kn = llmcu::kernels;
using Active = kn::Active;
using Ref = kn::ref::Ref;

constexpr int32_t kMaxRows = 512;
constexpr int32_t kMaxCols = 576;
constexpr int kCalls = 4;

// Weights of the largest shape: 64 x 576 F16.
alignas(8) uint8_t g_weights[64 * 576 * 2];
alignas(8) uint8_t g_xq[kMaxCols / 32 * 34 + 34];
float g_x[kMaxCols];
float g_row[kMaxCols];
float g_out_ref[kMaxRows], g_out_active[kMaxRows];

uint32_t g_rng = 0x9e3779b9u;
float random_float() {  // [-1, 1)
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return static_cast<float>(g_rng >> 8) / 8388608.0f - 1.0f;
}

enum class Type { kF16, kQ8_0, kQ4_0 };

const char* type_name(Type t) {
  return t == Type::kF16 ? "f16" : t == Type::kQ8_0 ? "q8_0" : "q4_0";
}

size_t row_bytes(Type t, int32_t cols) {
  return t == Type::kF16    ? kn::ggml::f16_row_bytes(cols)
         : t == Type::kQ8_0 ? kn::ggml::q8_0_row_bytes(cols)
                            : kn::ggml::q4_0_row_bytes(cols);
}

template <class F>
void matvec(Type t, float* out, int32_t rows, int32_t cols) {
  switch (t) {
    case Type::kF16: return F::matvec_f16(out, g_weights, g_x, cols, 0, rows);
    case Type::kQ8_0: return F::matvec_q8_0(out, g_weights, g_xq, cols, 0, rows);
    case Type::kQ4_0: return F::matvec_q4_0(out, g_weights, g_xq, cols, 0, rows);
  }
}

// Mean instructions of one call over kCalls.
template <class F>
uint64_t count(Type t, float* out, int32_t rows, int32_t cols) {
  const uint64_t start = llmcu_mcu_instructions();
  for (int i = 0; i < kCalls; ++i) matvec<F>(t, out, rows, cols);
  return (llmcu_mcu_instructions() - start) / kCalls;
}

// Random weights written by the reference quantizers, random activations.
void fill(Type t, int32_t rows, int32_t cols) {
  for (int32_t r = 0; r < rows; ++r) {
    uint8_t* row = g_weights + static_cast<size_t>(r) * row_bytes(t, cols);
    for (int32_t i = 0; i < cols; ++i) g_row[i] = random_float();
    if (t == Type::kF16) {
      for (int32_t i = 0; i < cols; ++i) {
        const uint16_t h = kn::ggml::f32_to_fp16(g_row[i]);
        memcpy(row + 2 * i, &h, sizeof h);
      }
    } else if (t == Type::kQ8_0) {
      kn::ref::quantize_row_q8_0(row, g_row, cols);
    } else {
      kn::ref::quantize_row_q4_0(row, g_row, cols);
    }
  }
  for (int32_t i = 0; i < cols; ++i) g_x[i] = 2.0f * random_float();
  kn::ref::quantize_row_q8_0(g_xq, g_x, cols / 32 * 32);
}

}  // namespace

int main() {
  struct Shape {
    Type type;
    int32_t rows, cols;
  };
  const Shape shapes[] = {{Type::kQ8_0, 64, 64},  {Type::kQ8_0, 172, 64}, {Type::kQ8_0, 512, 64},
                          {Type::kQ8_0, 64, 576}, {Type::kQ4_0, 64, 64},  {Type::kQ4_0, 172, 64},
                          {Type::kQ4_0, 512, 64}, {Type::kQ4_0, 64, 576}, {Type::kF16, 64, 172},
                          {Type::kF16, 64, 576}};
  printf("ggml matvecs, family %s (instructions per call, mean of %d; per multiply-add)\n",
         Active::kName, kCalls);
  int wrong = 0;
  for (const Shape& s : shapes) {
    fill(s.type, s.rows, s.cols);
    const uint64_t ref = count<Ref>(s.type, g_out_ref, s.rows, s.cols);
    const uint64_t active = count<Active>(s.type, g_out_active, s.rows, s.cols);
    const bool same = memcmp(g_out_ref, g_out_active, sizeof(float) * s.rows) == 0;
    const auto macs = static_cast<double>(s.rows) * s.cols;
    printf("%-5s %3ldx%-3ld  ref %8lu (%5.2f/MAC)  %s %8lu (%5.2f/MAC)  %.2fx  %s\n",
           type_name(s.type), static_cast<long>(s.rows), static_cast<long>(s.cols),
           static_cast<unsigned long>(ref), static_cast<double>(ref) / macs, Active::kName,
           static_cast<unsigned long>(active), static_cast<double>(active) / macs,
           static_cast<double>(ref) / static_cast<double>(active),
           same ? "ref's bits" : "differs from ref");
    const kn::Kernel kernel = s.type == Type::kF16    ? kn::Kernel::kMatvecF16
                              : s.type == Type::kQ8_0 ? kn::Kernel::kMatvecQ8_0
                                                      : kn::Kernel::kMatvecQ4_0;
    if (!same && !Active::kApproximate.has(kernel)) ++wrong;
  }
  return wrong == 0 ? 0 : 1;
}
