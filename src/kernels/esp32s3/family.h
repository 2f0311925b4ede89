// The esp32s3 family: esp-dsp's dot products where the layout allows, the
// reference everywhere else. Also built on the host against a fake esp-dsp
// (tests/fakes/esp_dsp), which is how its layout rules are tested.
//
// fp32: esp-dsp's dsps_dotprod_f32_aes3, which takes its fast path only when
// both pointers are 16-byte aligned and the length is a multiple of 4 and
// otherwise silently runs the scalar ESP32 code. The S3 has no float SIMD:
// the fast path is 128-bit loads feeding four scalar madd.s accumulators, so
// the sum is rounded differently from ref (not bit-exact with llama2.c).
// The model container aligns every tensor of a model whose dims are
// multiples of 4; other rows fall back to ref here, where the rule is visible.
//
// int8: dot_q8 through esp-dsp's dsps_dp_s8_aes3 (EE.VMULAS.S8.ACCX, 16
// multiply-accumulates per instruction; esp-dsp >= 1.8.1), and matvec_q8
// calling it once per weight group.
#pragma once

#include <cstdint>

#include "../reference.h"

namespace llmcu::kernels::esp32s3 {

// Same contracts as ref::dot_f32 / ref::matvec_f32.
float dot_f32(const float* a, const float* b, int32_t n);
void matvec_f32(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end);

// Exact int32 dot product of two int8 vectors of n values (any n >= 0).
// Vector path when a and b are 16-byte aligned and n is a non-zero multiple
// of 16; it then READS 16 BYTES PAST the end of each vector (the next block
// load is issued before the loop ends), so both must be followed by 16
// readable bytes: the model container pads after the model, and arena
// buffers are followed by others. Everything else: a plain C loop.
int32_t dot_q8(const int8_t* a, const int8_t* b, int n);

// Same contract as ref::matvec_q8, and the same results: each group's int32
// sum is exact on either path, and the float part is ref's expression in
// ref's order (the component builds with -ffp-contract=off, so bit for bit).
// Vector path (dot_q8 per group, for a model with one group per row that is
// one call per row; with CONFIG_LLMCU_KERNELS_PIE_ASM, llmcu's own assembly,
// one call per 64 groups) when group_size is a multiple of 16 and w and xq
// are 16-byte aligned: cols is a multiple of group_size, so then every group of
// every row is aligned too. It reads 16 bytes past the last group of w and of
// xq (see dot_q8): the container pads after the model, and the arena carves
// other buffers after xq. Any other layout: ref::matvec_q8, whole.
void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end);

// The fast-path rules above, exposed for tests.
bool f32_fast_path(const float* a, const float* b, int32_t n);
bool q8_fast_path(const int8_t* a, const int8_t* b, int n);
bool matvec_q8_fast_path(const int8_t* w, const int8_t* xq, int32_t group_size);

// The vector path's integer part: sums[g] = exact int32 dot product of group
// g of w and of x, for `groups` consecutive groups of blocks * 16 values, w
// and x 16-byte aligned; may read 16 bytes past the last group of each.
using GroupDots = void (*)(const int8_t* w, const int8_t* x, int32_t* sums, int32_t groups,
                           int32_t blocks);
// One dot_q8 (esp-dsp) call per group.
void dot_q8_groups(const int8_t* w, const int8_t* x, int32_t* sums, int32_t groups, int32_t blocks);
// matvec_q8's vector path with a given GroupDots (its layout rules must hold):
// how the optional assembly kernel is tested on the host, through a C model.
void matvec_q8_with(GroupDots dots, float* out, const int8_t* w, const uint8_t* w_scales,
                    const int8_t* xq, const float* x_scales, int32_t cols, int32_t group_size,
                    int32_t row_begin, int32_t row_end);

#if defined(LLMCU_KERNELS_PIE_ASM)
// kernels_esp32s3_pie.S (CONFIG_LLMCU_KERNELS_PIE_ASM, off by default): a
// GroupDots in one call per row chunk, EE.VMULAS.S8.ACCX over each group with
// the 40-bit accumulator cleared between groups. Assembled only by ESP-IDF;
// never run in CI.
extern "C" void llmcu_s3_dot_q8_groups(const int8_t* w, const int8_t* x, int32_t* sums,
                                       int32_t groups, int32_t blocks);
#endif

// The fp32 sums round otherwise than ref's (four lanes); the int8 matvec is
// ref's arithmetic on either path.
struct Esp32s3 : ReferenceKernels<Esp32s3> {
  static constexpr const char kName[] = "esp32s3";
  static constexpr KernelSet kApproximate = {Kernel::kDotF32, Kernel::kMatvecF32};

  static constexpr auto dot_f32 = esp32s3::dot_f32;
  static constexpr auto matvec_f32 = esp32s3::matvec_f32;
  static constexpr auto matvec_q8 = esp32s3::matvec_q8;
};

}  // namespace llmcu::kernels::esp32s3
