// Smoke test for the Cortex-M runtime under QEMU (run with run_qemu.sh).
//   hello.elf [args...]      prints argv, float math, heap/ext RAM use, instruction counts,
//                            stack high-water mark; exits 0
// Arguments (any order):
//   spin=N       length of the measured loop (default 1000000 iterations = 2N instructions)
//   cat=PATH     read a host file through semihosting and print its size and a checksum
//   heapinfo     print what QEMU answers to SYS_HEAPINFO (not used by this runtime)
//   exit=N       exit with status N
//   fault        execute an undefined instruction -> UsageFault -> exit 3
//   hardfault    the same with interrupts masked -> escalates to HardFault -> exit 3
//   overflow     unbounded recursion -> MPU stack guard -> HardFault -> exit 3
//   oom          allocate until operator new fails -> exit 4
//   romwrite     store into code memory (read-only through the MPU) -> MemManage -> exit 3
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "llmcu_mcu.h"
#include "semihost.h"

namespace {

// Exactly 2*n instructions (subs + bne per iteration) plus the call and return.
__attribute__((noinline)) void spin(uint32_t n) {
  __asm__ volatile("1: subs %0, %0, #1 \n bne 1b" : "+r"(n)::"cc");
}

__attribute__((noinline)) int recurse(volatile int depth) {
  volatile char pad[256];
  pad[0] = static_cast<char>(depth);
  if (depth < 0) return 0;  // never true (depth is volatile): keeps -Winfinite-recursion quiet
  return recurse(depth + 1) + pad[0];  // not a tail call: every level keeps its frame
}

// Big buffer in the 16 MiB external RAM (zeroed at reset).
uint32_t ext_buf[256 * 1024] LLMCU_EXT_RAM;

struct Greeter {  // checks that static constructors run
  int value = 42;
  Greeter() { value = 4242; }
};
Greeter greeter;

const char* arg_value(int argc, char** argv, const char* key) {
  const size_t n = std::strlen(key);
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], key, n) == 0 && argv[i][n] == '=') return argv[i] + n + 1;
  return nullptr;
}

bool has_arg(int argc, char** argv, const char* word) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], word) == 0) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("hello from Cortex-M: argc=%d\n", argc);
  std::fprintf(stderr, "(this line went to stderr)\n");
  for (int i = 0; i < argc; ++i) std::printf("argv[%d]=\"%s\"\n", i, argv[i]);
  std::printf("static ctor: %d\n", greeter.value);

  if (has_arg(argc, argv, "fault")) {
    std::printf("executing an undefined instruction\n");
    std::fflush(stdout);
    __asm__ volatile("udf #0");  // UsageFault (UNDEFINSTR)
  }
  if (has_arg(argc, argv, "hardfault")) {
    std::printf("executing an undefined instruction with interrupts masked\n");
    std::fflush(stdout);
    // PRIMASK raises the execution priority to that of UsageFault, so it escalates to HardFault.
    __asm__ volatile("cpsid i \n udf #0");
  }
  if (has_arg(argc, argv, "overflow")) {
    std::printf("overflowing the %u-byte stack\n", unsigned(llmcu_mcu_stack_size_bytes()));
    std::fflush(stdout);
    return recurse(0);
  }
  if (has_arg(argc, argv, "oom")) {
    static char* volatile sink;  // volatile: the allocations must not be optimised away
    for (;;) {
      sink = new char[1024 * 1024];
      sink[0] = 1;
    }
  }
  if (has_arg(argc, argv, "romwrite")) {
    static const uint32_t constant = 1;  // .rodata, in code memory
    std::printf("writing to .rodata at %p\n", static_cast<const void*>(&constant));
    std::fflush(stdout);
    *const_cast<volatile uint32_t*>(&constant) = 2;
  }
  if (has_arg(argc, argv, "heapinfo")) {
    uint32_t block[4] = {};
    uint32_t* p = block;
    llmcu_semihost_call(0x16 /* SYS_HEAPINFO */, &p);
    std::printf("SYS_HEAPINFO: heap_base=0x%08lx heap_limit=0x%08lx stack_base=0x%08lx "
                "stack_limit=0x%08lx\n", (unsigned long)block[0], (unsigned long)block[1],
                (unsigned long)block[2], (unsigned long)block[3]);
  }

  // Float math through the hard-float ABI and newlib's libm.
  volatile float x = 2.0f;
  std::printf("sqrtf(2)=%.6f expf(1)=%.6f\n", double(sqrtf(x)), double(expf(x * 0.5f)));

  // Heap: operator new (ours, malloc based), std::vector growth, unique_ptr.
  auto buf = std::make_unique<float[]>(1000);
  std::vector<int> v;
  for (int i = 0; i < 1000; ++i) v.push_back(i);
  buf[999] = 1.5f;
  std::printf("heap: [%p, %p) used=%u bytes, vector sum=%d\n", llmcu_mcu_heap_start(),
              llmcu_mcu_heap_end(), unsigned(llmcu_mcu_heap_used_bytes()),
              int(v.size() * (v.size() - 1) / 2));

  ext_buf[0] = 0x12345678;
  ext_buf[sizeof ext_buf / sizeof ext_buf[0] - 1] = ext_buf[1] + 1;  // zeroed at reset
  std::printf("ext RAM buffer at %p: %u bytes, last=%lu\n", static_cast<void*>(ext_buf),
              unsigned(sizeof ext_buf), (unsigned long)ext_buf[sizeof ext_buf / 4 - 1]);

  if (const char* path = arg_value(argc, argv, "cat")) {
    size_t size = 0;
    auto* data = static_cast<unsigned char*>(llmcu_mcu_read_file(path, &size));
    if (!data) {
      std::printf("cannot read %s\n", path);
      return 1;
    }
    uint32_t sum = 0;
    for (size_t i = 0; i < size; ++i) sum = sum * 31u + data[i];
    std::printf("file %s: %u bytes, hash=0x%08lx\n", path, unsigned(size), (unsigned long)sum);
    std::free(data);
  }

  // Instruction counting. Region A (SysTick, guest side) and region B (plugin marks) both
  // contain spin(n): exactly 2n + 1 (bx lr) + the call sequence.
  const char* spin_arg = arg_value(argc, argv, "spin");
  const uint32_t n = spin_arg ? uint32_t(std::strtoul(spin_arg, nullptr, 0)) : 1000000u;
  const uint64_t t0 = llmcu_mcu_instructions();
  llmcu_insn_mark(1);
  spin(n);
  llmcu_insn_mark(2);
  const uint64_t t1 = llmcu_mcu_instructions();
  std::printf("spin(%lu): expected ~%llu instructions, SysTick/icount measured %llu\n",
              (unsigned long)n, 2ull * n, (unsigned long long)(t1 - t0));
  std::printf("total instructions so far: %llu\n", (unsigned long long)llmcu_mcu_instructions());

  std::printf("stack: high water %u of %u bytes\n", unsigned(llmcu_mcu_stack_high_water_bytes()),
              unsigned(llmcu_mcu_stack_size_bytes()));

  if (const char* code = arg_value(argc, argv, "exit")) return std::atoi(code);
  return 0;
}
