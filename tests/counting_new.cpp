#include "counting_new.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

long llmcu::test::heap_allocations() {
  return g_allocations.load();
}

void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) {
  return operator new(size);
}
// Out of line: inlined, GCC 12 sees free() on a pointer from operator new and
// reports a mismatch (-Wmismatched-new-delete) that is not one.
__attribute__((noinline)) void operator delete(void* p) noexcept {
  free(p);
}
__attribute__((noinline)) void operator delete[](void* p) noexcept {
  free(p);
}
__attribute__((noinline)) void operator delete(void* p, size_t) noexcept {
  free(p);
}
__attribute__((noinline)) void operator delete[](void* p, size_t) noexcept {
  free(p);
}
