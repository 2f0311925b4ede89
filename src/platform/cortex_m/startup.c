/* Reset, vector table, fault handling, argv, heap and stack bookkeeping for a Cortex-M
 * image linked with mps2_sections.ld and -nostartfiles (newlib + librdimon for the syscalls).
 *
 * Why not newlib's rdimon-crt0 (_start)? It asks the host for SYS_HEAPINFO and moves SP there:
 * QEMU answers with the top of the largest RAM bank (the 16 MiB external RAM), so the stack
 * would not be where the linker script says and could not be painted/guarded. It also does
 * not copy .data from flash. So the ~40 lines it contributes are redone here. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "llmcu_mcu.h"
#include "semihost.h"

#ifndef LLMCU_MCU_CMDLINE_MAX
#define LLMCU_MCU_CMDLINE_MAX 4096 /* bytes of "<image path> <-append text>" incl. NUL */
#endif
#ifndef LLMCU_MCU_ARGV_MAX
#define LLMCU_MCU_ARGV_MAX 64
#endif
#define STACK_PAINT 0xDEADBEEFu

/* Linker-script symbols (mps2_sections.ld). */
extern uint32_t __msp_top__[], __stack_limit__[], __stack_top__[];
extern char __stack_guard__[], __stack_guard_size__[], __flash_start__[], __flash_size__[];
extern uint32_t __data_load__[], __data_start__[], __data_end__[], __bss_start__[], __bss_end__[];
extern uint32_t __ext_ram_start__[], __ext_ram_end__[];
extern char __heap_start__[], __heap_end__[];
extern char __ext_ram_free_start__[], __ext_ram_free_end__[];

/* newlib / librdimon / the application. */
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);
extern void __libc_fini_array(void);
extern int main(int argc, char **argv);

/* insn_counter.c */
void SysTick_Handler(void);
void llmcu_mcu_counter_start(void);

void Reset_Handler(void);
void llmcu_mcu_fault_entry(void);

/* ---------------------------------------------------------------- vector table */
typedef void (*vector_t)(void);
#define FAULT llmcu_mcu_fault_entry
/* 16 system exceptions + the 32 external interrupts of the MPS2 boards in QEMU. Every
 * exception we do not expect reports itself and exits, so nothing can hang. */
__attribute__((section(".vectors"), used)) const vector_t llmcu_mcu_vectors[16 + 32] = {
    (vector_t)(uintptr_t)__msp_top__, /* 0: initial MSP (exception stack) */
    Reset_Handler,                    /* 1 */
    FAULT, FAULT, FAULT, FAULT, FAULT, /* 2 NMI, 3 HardFault, 4 MemManage, 5 BusFault, 6 Usage */
    FAULT, FAULT, FAULT, FAULT,        /* 7-10 reserved */
    FAULT, FAULT, FAULT, FAULT,        /* 11 SVCall, 12 DebugMon, 13 reserved, 14 PendSV */
    SysTick_Handler,                   /* 15: instruction counter wraps */
    FAULT, FAULT, FAULT, FAULT, FAULT, FAULT, FAULT, FAULT, /* IRQ 0.. */
    FAULT, FAULT, FAULT, FAULT, FAULT, FAULT, FAULT, FAULT,
    FAULT, FAULT, FAULT, FAULT, FAULT, FAULT, FAULT, FAULT,
    FAULT, FAULT, FAULT, FAULT, FAULT, FAULT, FAULT, FAULT, /* .. IRQ 31 */
};

/* ---------------------------------------------------------------- reset */
/* Naked: no compiler-generated code may run before the FPU is on (with -mfloat-abi=hard any
 * function may touch s0-s31, and that faults while CPACR denies CP10/CP11). */
__attribute__((naked, noreturn)) void Reset_Handler(void) {
  __asm__ volatile(
      "ldr   r0, =0xE000ED88      \n" /* CPACR */
      "ldr   r1, [r0]             \n"
      "orr   r1, r1, #(0xF << 20) \n" /* CP10 + CP11 full access */
      "str   r1, [r0]             \n"
      "dsb                        \n"
      "isb                        \n"
      "bl    llmcu_mcu_early_init \n" /* .data, .bss, stack paint, MPU (on MSP) */
      "ldr   r0, =__stack_top__   \n"
      "msr   psp, r0              \n"
      "movs  r0, #2               \n" /* CONTROL.SPSEL: thread mode runs on PSP, so an */
      "msr   control, r0          \n" /* overflow of it leaves MSP intact for the handler */
      "isb                        \n"
      "bl    llmcu_mcu_run        \n"
      "b     .                    \n"
      ".ltorg                     \n");
}

/* ARMv7-M MPU: region 0 = no-access guard below the thread stack, region 1 = code memory
 * read-only (real flash cannot be written by a stray store; QEMU's can). PRIVDEFENA keeps the
 * default memory map everywhere else. */
static void mpu_setup(void) {
  volatile uint32_t *const MPU_TYPE = (uint32_t *)0xE000ED90;
  volatile uint32_t *const MPU_CTRL = (uint32_t *)0xE000ED94;
  volatile uint32_t *const MPU_RNR = (uint32_t *)0xE000ED98;
  volatile uint32_t *const MPU_RBAR = (uint32_t *)0xE000ED9C;
  volatile uint32_t *const MPU_RASR = (uint32_t *)0xE000EDA0;
  if (((*MPU_TYPE >> 8) & 0xFF) < 2) return; /* no (or too small an) MPU: no protection */
  /* RASR.SIZE = log2(bytes) - 1; sizes/alignment are checked by the linker script. */
  *MPU_RNR = 0;
  *MPU_RBAR = (uint32_t)(uintptr_t)__stack_guard__;
  *MPU_RASR = (1u << 28) /* XN */ | (0u << 24) /* AP: no access */ |
              ((uint32_t)(__builtin_ctz((uint32_t)(uintptr_t)__stack_guard_size__) - 1) << 1) | 1u;
  *MPU_RNR = 1;
  *MPU_RBAR = (uint32_t)(uintptr_t)__flash_start__;
  *MPU_RASR = (6u << 24) /* AP: read-only */ | (1u << 17) /* C: normal memory */ |
              ((uint32_t)(__builtin_ctz((uint32_t)(uintptr_t)__flash_size__) - 1) << 1) | 1u;
  /* ENABLE + PRIVDEFENA. HardFault runs with the MPU off (HFNMIENA = 0). */
  *MPU_CTRL = 1u | 4u;
  __asm__ volatile("dsb\n isb" ::: "memory");
}

__attribute__((used, noinline)) void llmcu_mcu_early_init(void) {
  for (uint32_t *src = __data_load__, *dst = __data_start__; dst < __data_end__;) *dst++ = *src++;
  for (uint32_t *p = __bss_start__; p < __bss_end__;) *p++ = 0;
  for (uint32_t *p = __ext_ram_start__; p < __ext_ram_end__;) *p++ = 0;
  /* Paint the whole thread stack: nothing runs on it yet (we are on MSP). */
  for (uint32_t *p = __stack_limit__; p < __stack_top__;) *p++ = STACK_PAINT;
  mpu_setup();
  /* SHCSR: MemManage, BusFault and UsageFault get their own (priority 0) exceptions instead of
   * escalating to HardFault. Needed for the stack guard: on an overflow, pushing the exception
   * frame onto PSP fails too (MSTKERR); as a MemManage that is still reported (handler on MSP),
   * but had the first fault escalated to HardFault, the failed push would lock the core up
   * (QEMU: "Lockup: can't escalate", abort, status 134). */
  *(volatile uint32_t *)0xE000ED24 |= (1u << 16) | (1u << 17) | (1u << 18);
  __asm__ volatile("dsb\n isb" ::: "memory");
}

/* Split the semihosting command line in place: blanks separate arguments, '...' or "..."
 * group them (quotes removed). Returns argc, or -1 if there are more than max arguments. */
static int split_args(char *s, char **argv, int max) {
  int argc = 0;
  char *out = s; /* out never overtakes s, so the compaction is safe */
  for (;;) {
    while (*s == ' ' || *s == '\t' || *s == '\n') s++;
    if (!*s) break;
    if (argc == max) return -1;
    argv[argc++] = out;
    char quote = 0;
    while (*s && (quote || (*s != ' ' && *s != '\t' && *s != '\n'))) {
      if (quote ? *s == quote : (*s == '"' || *s == '\'')) {
        quote = quote ? 0 : *s;
        s++;
        continue;
      }
      *out++ = *s++;
    }
    if (*s) s++;
    *out++ = '\0';
  }
  argv[argc] = NULL;
  return argc;
}

__attribute__((used, noreturn, noinline)) void llmcu_mcu_run(void) {
  static char cmdline[LLMCU_MCU_CMDLINE_MAX];
  static char *argv[LLMCU_MCU_ARGV_MAX + 1];
  initialise_monitor_handles(); /* librdimon: stdin/stdout/stderr = semihosting ":tt" */
  llmcu_mcu_counter_start();
  /* QEMU's command line is "<-kernel path> <-append text>", so argv[0] is the image path. */
  int argc = -1;
  if (llmcu_semihost_cmdline(cmdline, sizeof cmdline) >= 0)
    argc = split_args(cmdline, argv, LLMCU_MCU_ARGV_MAX);
  if (argc < 0)
    llmcu_mcu_fatal("fatal: semihosting command line missing, longer than LLMCU_MCU_CMDLINE_MAX "
                    "or with more than LLMCU_MCU_ARGV_MAX arguments");
  atexit(__libc_fini_array);
  __libc_init_array(); /* C++ static constructors */
  exit(main(argc, argv));
}

/* With -nostartfiles there is no crti/crtbegin: __libc_init_array calls _init, __cxa_atexit
 * needs __dso_handle. .init_array does the real work, so these can be empty. */
void _init(void) {}
void _fini(void) {}
void *__dso_handle = &__dso_handle;

/* ---------------------------------------------------------------- heap */
/* Overrides librdimon's weak _sbrk, which takes its limit from SP and QEMU's SYS_HEAPINFO and
 * so would not match this layout. The heap is exactly [__heap_start__, __heap_end__). */
static char *heap_brk = __heap_start__;

void *_sbrk(ptrdiff_t incr) {
  char *prev = heap_brk;
  if (incr > __heap_end__ - prev || incr < __heap_start__ - prev) {
    errno = ENOMEM;
    return (void *)-1;
  }
  heap_brk = prev + incr;
  return prev;
}

void *llmcu_mcu_heap_start(void) { return __heap_start__; }
void *llmcu_mcu_heap_end(void) { return __heap_end__; }
size_t llmcu_mcu_heap_used_bytes(void) { return (size_t)(heap_brk - __heap_start__); }

/* ---------------------------------------------------------------- memory layout */
size_t llmcu_mcu_static_ram_bytes(void) {
  return (size_t)((char *)__bss_end__ - (char *)__stack_limit__); /* the stack starts RAM */
}

void *llmcu_mcu_ext_ram_free_start(void) { return __ext_ram_free_start__; }
size_t llmcu_mcu_ext_ram_free_bytes(void) {
  return (size_t)(__ext_ram_free_end__ - __ext_ram_free_start__);
}

/* ---------------------------------------------------------------- stack */
size_t llmcu_mcu_stack_size_bytes(void) {
  return (size_t)((char *)__stack_top__ - (char *)__stack_limit__);
}

size_t llmcu_mcu_stack_high_water_bytes(void) {
  const uint32_t *p = __stack_limit__;
  while (p < __stack_top__ && *p == STACK_PAINT) p++;
  return (size_t)((const char *)__stack_top__ - (const char *)p);
}

/* ---------------------------------------------------------------- faults */
static char *put_str(char *o, const char *s) {
  while (*s) *o++ = *s++;
  return o;
}

static char *put_hex(char *o, const char *name, uint32_t v) {
  o = put_str(o, name);
  o = put_str(o, "=0x");
  for (int i = 28; i >= 0; i -= 4) *o++ = "0123456789abcdef"[(v >> i) & 0xF];
  return o;
}

void llmcu_mcu_fatal(const char *msg) {
  llmcu_semihost_write0(msg);
  llmcu_semihost_write0("\n");
  llmcu_semihost_exit(LLMCU_MCU_EXIT_FATAL);
}

/* Called by llmcu_mcu_fault_entry on MSP with the stacked frame (r0-r3, r12, lr, pc, xpsr) of
 * the interrupted code. Prints one line through semihosting (not stdio: the fault may have
 * happened inside it) and exits with LLMCU_MCU_EXIT_FAULT. */
__attribute__((used, noreturn)) void llmcu_mcu_fault(const uint32_t *frame, uint32_t exc_return) {
  static const char *const names[16] = {
      "?", "Reset", "NMI", "HardFault", "MemManage", "BusFault", "UsageFault", "Reserved7",
      "Reserved8", "Reserved9", "Reserved10", "SVCall", "DebugMonitor", "Reserved13", "PendSV",
      "SysTick"};
  uint32_t ipsr;
  __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
  ipsr &= 0x1FF;
  const uint32_t cfsr = *(volatile uint32_t *)0xE000ED28;
  const uint32_t hfsr = *(volatile uint32_t *)0xE000ED2C;
  const uint32_t mmfar = *(volatile uint32_t *)0xE000ED34;
  const uint32_t bfar = *(volatile uint32_t *)0xE000ED38;

  char line[200];
  char *o = put_str(line, "fatal: ");
  if (ipsr < 16) {
    o = put_str(o, names[ipsr]);
  } else {
    o = put_hex(put_str(o, "unexpected interrupt "), "irq", ipsr - 16);
  }
  /* The frame is only valid if stacking succeeded (no MSTKERR/STKERR) and lies in RAM stacks. */
  const int stacking_failed = (cfsr & ((1u << 4) | (1u << 12))) != 0;
  const int frame_ok = !stacking_failed && (const uint32_t *)frame >= __stack_limit__ &&
                       (const uint32_t *)(frame + 8) <= __msp_top__;
  if (frame_ok) {
    o = put_hex(put_str(o, " at "), "pc", frame[6]);
    o = put_hex(put_str(o, " "), "lr", frame[5]);
  }
  o = put_hex(put_str(o, " "), "cfsr", cfsr);
  o = put_hex(put_str(o, " "), "hfsr", hfsr);
  if (cfsr & (1u << 7)) o = put_hex(put_str(o, " "), "mmfar", mmfar);
  if (cfsr & (1u << 15)) o = put_hex(put_str(o, " "), "bfar", bfar);
  const int guard_hit = (cfsr & (1u << 7)) &&
                        mmfar - (uintptr_t)__stack_guard__ < (uintptr_t)__stack_guard_size__;
  if ((exc_return & 4u) && (stacking_failed || guard_hit))
    o = put_str(o, " (thread stack overflow: stack size is set by LLMCU_MCU_STACK_SIZE)");
  o = put_str(o, "\n");
  *o = '\0';
  llmcu_semihost_write0(line);
  llmcu_semihost_exit(LLMCU_MCU_EXIT_FAULT);
}

/* EXC_RETURN bit 2 tells which stack holds the frame (0 = MSP, 1 = PSP). With an FPU, first
 * clear FPCCR.LSPACT: a pending lazy save of the FP registers would otherwise be written into
 * the faulting frame (maybe inside the stack guard) by the first FP instruction of the handler.
 * We never return, so the interrupted FP state is not needed. */
__attribute__((naked)) void llmcu_mcu_fault_entry(void) {
  __asm__ volatile(
#if defined(__ARM_FP)
      "ldr   r2, =0xE000EF34 \n" /* FPCCR */
      "ldr   r3, [r2]        \n"
      "bic   r3, r3, #1      \n" /* LSPACT */
      "str   r3, [r2]        \n"
#endif
      "tst   lr, #4          \n"
      "ite   eq              \n"
      "mrseq r0, msp         \n"
      "mrsne r0, psp         \n"
      "mov   r1, lr          \n"
      "b     llmcu_mcu_fault \n"
      ".ltorg                \n");
}
