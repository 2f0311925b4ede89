// Cortex-M backend of the platform facade for the bare-metal image in
// firmware/cortex-m: one core, no OS, no RNG peripheral.
//
// Clock: the runtime's SysTick counter (insn_counter.c) runs from the CPU
// clock, so microseconds are ticks / (CPU MHz). Under QEMU with -icount
// shift=0 one instruction is one virtual nanosecond, so these are virtual
// microseconds of a 1-instruction-per-ns core: good for relative numbers,
// not for a real device's speed (count instructions for that).
//
// Entropy: the MPS2 boards QEMU models have no TRNG. A seed of 0 ("take one
// from the platform") gets a splitmix64 sequence started from a fixed
// constant mixed with the SysTick counter. Under -icount the counter is
// deterministic, so two runs with the same arguments give the same story;
// without -icount it follows host time. It is not cryptographic and is not
// meant to be: it only varies stories. On a chip with a TRNG, read it here.
//
// Threads: none. The generator runs everything through InlineExecutor when
// it is given no executor, which is what the image does.
#include <cstdint>

#include "llmcu/platform.h"
#include "llmcu_mcu.h"

#ifndef LLMCU_MCU_CPU_HZ
#define LLMCU_MCU_CPU_HZ 25000000u  // MPS2 FPGA images in QEMU: SysTick counts a 25 MHz clock
#endif

namespace llmcu::platform {

uint64_t now_us() {
  static_assert(LLMCU_MCU_CPU_HZ % 1000000u == 0, "the CPU clock must be a whole number of MHz");
  return llmcu_mcu_ticks() / (LLMCU_MCU_CPU_HZ / 1000000u);
}

uint64_t entropy_u64() {
  // splitmix64 (Steele, Lea, Flood 2014): every state gives a well-mixed output.
  static uint64_t state = 0x6c6c6d63752d6d34ull;  // "llmcu-m4"
  state += 0x9e3779b97f4a7c15ull + llmcu_mcu_ticks();
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return z != 0 ? z : 0x9e3779b97f4a7c15ull;  // the sampler's xorshift must not start at 0
}

}  // namespace llmcu::platform
