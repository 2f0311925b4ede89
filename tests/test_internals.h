// The internal headers tests look into, and the only door to them: the tests'
// include path holds the public API (include/) and tests/, not src/.
#pragma once

#include "../src/core/unicode.h"
#include "../src/kernels/cortex_m/fast_exp.h"  // portable: its accuracy is checked on the host
#include "../src/kernels/esp32s3/family.h"     // built on the host over a fake esp-dsp
#include "../src/kernels/kernels.h"
#include "../src/kernels/ref/ggml_blocks.h"
#include "../src/kernels/testing/kernel_checks.h"
#include "../src/platform/esp_idf/fork_join.h"
