// IEEE binary16 to binary32 with the FPU's VCVTB (Cortex-M4F/M7: FPv4-SP and
// FPv5 convert halves in hardware). Three instructions with the load, where
// ggml::fp16_to_f32 in C takes a dozen or more and a loop for subnormals; the
// same value for every half, since the conversion is exact (FPSCR.AHP = 0,
// IEEE halves), a NaN staying a NaN (signalling ones come out quiet).
// --selftest compares the two over all 65,536 halves.
#pragma once

#include <cstdint>

namespace llmcu::kernels::cortex_m {

inline float fp16_to_f32(uint16_t h) {
  float f;
  __asm__("vmov %0, %1\n\tvcvtb.f32.f16 %0, %0" : "=t"(f) : "r"(static_cast<uint32_t>(h)));
  return f;
}

}  // namespace llmcu::kernels::cortex_m
