/* Deterministic instruction counting for QEMU (see llmcu_mcu.h).
 * SysTick counts the 25 MHz CPU clock (CLKSOURCE = 1); with `-icount shift=0` QEMU advances
 * virtual time by exactly 1 ns per executed instruction, so one tick = 40 instructions. The
 * 24-bit counter wraps every 2^24 ticks (~671 M instructions); the interrupt counts wraps. */
#include <stdint.h>

#include "llmcu_mcu.h"

#ifndef LLMCU_MCU_SYSTICK_RELOAD
#define LLMCU_MCU_SYSTICK_RELOAD 0xFFFFFFu /* max; a smaller value only for testing the wrap */
#endif

#define SYST_CSR (*(volatile uint32_t *)0xE000E010)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018)
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04)
#define ICSR_PENDSTSET (1u << 26)

static volatile uint32_t systick_wraps;

void SysTick_Handler(void) { systick_wraps++; }

void llmcu_mcu_counter_start(void) {
  SYST_CSR = 0;
  SYST_RVR = LLMCU_MCU_SYSTICK_RELOAD;
  SYST_CVR = 0;      /* any write clears the counter: next tick reloads */
  SYST_CSR = 7u;     /* ENABLE | TICKINT | CLKSOURCE = CPU clock */
}

uint64_t llmcu_mcu_ticks(void) {
  uint32_t primask;
  __asm__ volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
  uint32_t wraps = systick_wraps;
  uint32_t cvr = SYST_CVR;
  /* A wrap that happened since the last interrupt (or right after the read above) is still
   * pending because interrupts are masked: count it and re-read the reloaded counter. */
  if (SCB_ICSR & ICSR_PENDSTSET) {
    cvr = SYST_CVR;
    wraps++;
  }
  __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
  return (uint64_t)wraps * (LLMCU_MCU_SYSTICK_RELOAD + 1u) + (LLMCU_MCU_SYSTICK_RELOAD - cvr);
}

uint64_t llmcu_mcu_instructions(void) { return llmcu_mcu_ticks() * LLMCU_MCU_INSNS_PER_TICK; }

/* The insn_count plugin (insn_count/insn_count.c) watches the load below: its address is id,
 * so the plugin learns id without reading registers (plugin API v1 cannot). Code memory is
 * 4 MiB, hence the 22-bit mask: the load always hits mapped, readable memory. */
__attribute__((naked, noinline)) void llmcu_insn_mark(uint32_t id) {
  __asm__ volatile(
      "ubfx  r0, r0, #0, #22 \n"
      "ldrb  r0, [r0]        \n"
      "bx    lr              \n");
  (void)id;
}
