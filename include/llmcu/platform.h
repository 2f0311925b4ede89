// The few things the core needs from the world, implemented once per target
// (src/platform/<target>/) and chosen at link time.
#pragma once

#include <cstdint>

namespace llmcu::platform {

// Monotonic microseconds since an arbitrary start.
uint64_t now_us();
// A fresh 64-bit value from the target's entropy source (never 0).
uint64_t entropy_u64();

}  // namespace llmcu::platform
