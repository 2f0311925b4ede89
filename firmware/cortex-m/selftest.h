// On-target check of the active kernels against the reference kernels (see selftest.cpp).
#pragma once

#include <cstdint>
#include <span>

namespace llmcu_mcu {

// Prints one line per failure and a summary to stderr; true if all passed.
// `scratch` (the image's arena, unused in this mode) holds the test vectors:
// at least selftest_scratch_bytes(), 4-byte aligned.
bool run_selftest(std::span<uint8_t> scratch);
size_t selftest_scratch_bytes();

}  // namespace llmcu_mcu
