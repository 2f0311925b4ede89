// ESP32-S3 kernels over esp-dsp; see kernels_esp32s3.h for the rules.
#include <cstdint>

#include "dsps_dotprod.h"
#include "esp_err.h"
#include "kernels/kernels.h"
// Also when kernels.h did not include it (CONFIG_LLMCU_KERNELS_ESP_DSP=n, host tests).
#include "kernels/esp32s3/kernels_esp32s3.h"

namespace llmcu::kernels::esp32s3 {
namespace {

bool aligned16(const void* p) {
  return (reinterpret_cast<uintptr_t>(p) & 15u) == 0;
}

}  // namespace

bool f32_fast_path(const float* a, const float* b, int32_t n) {
  return n > 0 && n % 4 == 0 && aligned16(a) && aligned16(b);
}

bool q8_fast_path(const int8_t* a, const int8_t* b, int n) {
  return n > 0 && n % 16 == 0 && aligned16(a) && aligned16(b);
}

float dot_f32(const float* a, const float* b, int32_t n) {
  // Rows that miss the rules go to ref directly rather than to esp-dsp's
  // silent scalar fallback, so which code ran depends on these lines only.
  if (!f32_fast_path(a, b, n)) return ref::dot_f32(a, b, n);
  float result = 0.0f;
  if (dsps_dotprod_f32_aes3(a, b, &result, n) != ESP_OK) return ref::dot_f32(a, b, n);
  return result;
}

void matvec_f32(float* out, const float* w, const float* x, int32_t cols, int32_t row_begin,
                int32_t row_end) {
  for (int32_t r = row_begin; r < row_end; ++r) {
    out[r] = dot_f32(w + static_cast<size_t>(r) * static_cast<size_t>(cols), x, cols);
  }
}

int32_t dot_q8(const int8_t* a, const int8_t* b, int n) {
  if (q8_fast_path(a, b, n)) {
    // The aes3 version stores the sum (it does not add to *dest as the
    // header's comment says); start from 0 so either reading gives the same.
    int32_t result = 0;
    if (dsps_dp_s8_aes3(a, b, &result, n) == ESP_OK) return result;
  }
  int32_t sum = 0;
  for (int i = 0; i < n; ++i) sum += static_cast<int32_t>(a[i]) * static_cast<int32_t>(b[i]);
  return sum;
}

}  // namespace llmcu::kernels::esp32s3
