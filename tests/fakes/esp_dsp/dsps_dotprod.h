// Host stand-in for esp-dsp's dsps_dotprod.h (signatures as in esp-dsp 1.8.x,
// modules/dotprod/include/dsps_dotprod.h). fake_esp_dsp.cpp implements them
// with the documented behaviour, including the silent fallbacks, and counts
// which path ran.
#pragma once
#include <cstdint>

#include "esp_err.h"

extern "C" {
esp_err_t dsps_dotprod_f32_aes3(const float* src1, const float* src2, float* dest, int len);
esp_err_t dsps_dp_s8_aes3(const int8_t* src1, const int8_t* src2, int32_t* dest, int len);
}

namespace fake_esp_dsp {
struct Calls {
  int f32_vector = 0;    // 16-byte aligned, len % 4 == 0
  int f32_fallback = 0;  // the scalar ESP32 code esp-dsp jumps to otherwise
  int s8_vector = 0;
  int s8_fallback = 0;
};
extern Calls calls;
}  // namespace fake_esp_dsp
