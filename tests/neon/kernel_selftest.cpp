// The shared kernel checks (src/kernels/testing/kernel_checks.h) on the
// build's kernel family, for targets without GoogleTest: the AArch64 builds
// that tests/neon runs under qemu-user, and the host (kernel_selftest). Prints
// each failure and a summary; the exit status is the number of failures and
// skipped cases (at most 100), so 0 means every case ran and passed.
#include <cstdint>
#include <cstdio>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/testing/kernel_checks.h"

namespace {

void print_failure(void*, const char* line) {
  printf("FAIL %s\n", line);
}

}  // namespace

int main() {
  using llmcu::kernels::Active;
  std::vector<uint8_t> scratch(16u << 20);
  const auto base = reinterpret_cast<uintptr_t>(scratch.data());
  uint8_t* aligned = scratch.data() + (64 - base % 64) % 64;
  llmcu::kernels::checks::Context ctx(aligned, scratch.size() - 64, print_failure, nullptr);
  llmcu::kernels::checks::check_all<Active>(ctx);
  printf("kernel self-test, family %s: %d checks, %d failed, %d skipped\n", Active::kName,
         ctx.checks(), ctx.failures(), ctx.skipped());
  const int bad = ctx.failures() + ctx.skipped();
  return bad < 100 ? bad : 100;
}
