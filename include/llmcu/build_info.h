// What this build of the core is.
#pragma once

namespace llmcu {

// The kernel family the core computes with, as LLMCU_KERNELS names it: "ref",
// "avx2", "avx512", "neon", "cortex_m" or "esp32s3".
const char* kernel_family_name();

}  // namespace llmcu
