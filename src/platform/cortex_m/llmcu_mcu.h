/* Runtime services of the bare-metal Cortex-M image (startup.c, insn_counter.c).
 * C and C++. Nothing here allocates or uses floating point. */
#ifndef LLMCU_MCU_H
#define LLMCU_MCU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Place a (large) static buffer in the 16 MiB external RAM instead of the 4 MiB internal RAM.
 *   LLMCU_EXT_RAM        zero-initialised at reset, like a normal static (costs ~1 insn/byte/4)
 *   LLMCU_EXT_RAM_NOINIT not initialised at all (contents undefined): for scratch buffers
 * Example: static float kv_cache[1 << 20] LLMCU_EXT_RAM;  */
#define LLMCU_EXT_RAM __attribute__((section(".ext_ram"), aligned(16)))
#define LLMCU_EXT_RAM_NOINIT __attribute__((section(".ext_ram_noinit"), aligned(16)))

/* ---- stack ---- */
/* Size of the thread-mode stack (main and everything it calls), from the linker script. */
size_t llmcu_mcu_stack_size_bytes(void);
/* Deepest thread-stack use since reset: the stack is painted with a pattern at reset and this
 * scans for the lowest overwritten word. Includes exception frames pushed while in main. */
size_t llmcu_mcu_stack_high_water_bytes(void);

/* ---- heap (newlib malloc via _sbrk) ---- */
void *llmcu_mcu_heap_start(void);  /* first heap byte */
void *llmcu_mcu_heap_end(void);    /* one past the last heap byte */
size_t llmcu_mcu_heap_used_bytes(void); /* bytes handed to malloc by _sbrk so far (high water) */

/* ---- memory layout ---- */
/* Internal RAM fixed by the link: both stacks, .data and .bss (static buffers included), i.e.
 * everything from the start of RAM to the heap. */
size_t llmcu_mcu_static_ram_bytes(void);
/* External RAM that nothing is linked into, [start, start + bytes): room for buffers the program
 * manages itself (the llmcu app reads model files there). 0 bytes with LLMCU_MCU_HEAP_IN_EXT_RAM. */
void *llmcu_mcu_ext_ram_free_start(void);
size_t llmcu_mcu_ext_ram_free_bytes(void);

/* ---- instruction counting ----
 * SysTick runs from the 25 MHz CPU clock, wraps are counted by its interrupt. Under QEMU with
 * `-icount shift=0` one guest instruction is one virtual ns, so 1 tick = 40 instructions and
 *  llmcu_mcu_instructions() is a deterministic count with a 40-instruction quantum (+ about 27
 * instructions for the call itself). Without -icount it follows host time: not meaningful. */
uint64_t llmcu_mcu_ticks(void);
uint64_t llmcu_mcu_instructions(void);
#define LLMCU_MCU_INSNS_PER_TICK 40u

/* Marker for the exact count of the insn_count QEMU plugin: the plugin records (id, exact
 * instruction count) each time this runs and prints the list at exit. Costs ~5 instructions.
 * id must be < 0x400000 (it is encoded as a load address in code memory). */
void llmcu_insn_mark(uint32_t id);

/* ---- exit ---- */
#define LLMCU_MCU_EXIT_FAULT 3 /* QEMU exit status after a CPU fault / unexpected interrupt */
#define LLMCU_MCU_EXIT_FATAL 4 /* ... after llmcu_mcu_fatal() (out of memory, pure virtual...) */
/* Print "msg\n" straight through semihosting (no stdio, no malloc) and exit with
 * LLMCU_MCU_EXIT_FATAL. Safe to call from any state. */
void llmcu_mcu_fatal(const char *msg) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif
