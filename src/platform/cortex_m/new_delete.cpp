// Allocation and C++ runtime stubs for -fno-exceptions bare-metal images.
//
// Why: libstdc++'s operator new throws std::bad_alloc, and the std::__throw_* helpers that
// header code calls (vector growth, at(), ...) throw too; linking either pulls in
// __cxa_throw, the personality routine and the unwinder (~20-30 KB), which can never be used
// with -fno-exceptions. Defining every symbol of libstdc++'s functexcept.o here means that
// archive member is never pulled in. All failures print one line and exit non-zero instead.
#include <bits/functexcept.h>  // declarations of std::__throw_*, so the signatures are checked
#include <malloc.h>            // memalign

#include <cstddef>
#include <cstdlib>
#include <new>

#include "llmcu_mcu.h"
#include "semihost.h"

namespace {
// "fatal: <kind>: <what>" then exit(LLMCU_MCU_EXIT_FATAL); the message comes from libstdc++
// (e.g. "vector::_M_realloc_insert") and names the failing operation.
[[noreturn]] void fail(const char* kind, const char* what) {
  llmcu_semihost_write0("fatal: ");
  llmcu_semihost_write0(kind);
  llmcu_semihost_write0(": ");
  llmcu_mcu_fatal(what ? what : "(no message)");
}

[[noreturn]] void out_of_memory() { llmcu_mcu_fatal("fatal: out of memory (operator new)"); }

void* alloc(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) out_of_memory();
  return p;
}

void* alloc_aligned(std::size_t n, std::align_val_t al) {
  void* p = memalign(static_cast<std::size_t>(al), n ? n : 1);
  if (!p) out_of_memory();
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return alloc(n); }
void* operator new[](std::size_t n) { return alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return std::malloc(n ? n : 1); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return std::malloc(n ? n : 1); }
void* operator new(std::size_t n, std::align_val_t al) { return alloc_aligned(n, al); }
void* operator new[](std::size_t n, std::align_val_t al) { return alloc_aligned(n, al); }

void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

extern "C" {
void __cxa_pure_virtual() { llmcu_mcu_fatal("fatal: pure virtual function called"); }
void __cxa_deleted_virtual() { llmcu_mcu_fatal("fatal: deleted virtual function called"); }
}

namespace std {
#define LLMCU_THROW_STUB_MSG(name) \
  void name(const char* what) { fail(#name, what); }
#define LLMCU_THROW_STUB(name) \
  void name() { fail(#name, "C++ exception with -fno-exceptions"); }
LLMCU_THROW_STUB(__throw_bad_exception)
LLMCU_THROW_STUB(__throw_bad_alloc)
LLMCU_THROW_STUB(__throw_bad_array_new_length)
LLMCU_THROW_STUB(__throw_bad_cast)
LLMCU_THROW_STUB(__throw_bad_typeid)
LLMCU_THROW_STUB(__throw_bad_function_call)
LLMCU_THROW_STUB_MSG(__throw_logic_error)
LLMCU_THROW_STUB_MSG(__throw_domain_error)
LLMCU_THROW_STUB_MSG(__throw_invalid_argument)
LLMCU_THROW_STUB_MSG(__throw_length_error)
LLMCU_THROW_STUB_MSG(__throw_out_of_range)
LLMCU_THROW_STUB_MSG(__throw_runtime_error)
LLMCU_THROW_STUB_MSG(__throw_range_error)
LLMCU_THROW_STUB_MSG(__throw_overflow_error)
LLMCU_THROW_STUB_MSG(__throw_underflow_error)
void __throw_out_of_range_fmt(const char* fmt, ...) {
  fail("__throw_out_of_range_fmt", fmt);  // printf-style format, arguments not expanded
}
#undef LLMCU_THROW_STUB
#undef LLMCU_THROW_STUB_MSG
}  // namespace std
