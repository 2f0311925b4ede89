// esp-dsp's two dot products as documented and as their aes3 sources behave:
// f32 sums four lanes (four madd.s accumulators, then f0+f1+f2+f3) on the fast
// path; s8 reads one 16-byte block past the end on its vector path and stores
// (does not accumulate) the result.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "dsps_dotprod.h"

namespace fake_esp_dsp {
Calls calls;
}

namespace {
bool aligned16(const void* p) {
  return (reinterpret_cast<uintptr_t>(p) & 15u) == 0;
}
}  // namespace

extern "C" esp_err_t dsps_dotprod_f32_aes3(const float* a, const float* b, float* dest, int len) {
  if (len % 4 != 0 || !aligned16(a) || !aligned16(b)) {
    ++fake_esp_dsp::calls.f32_fallback;
    float acc = 0.0f;
    for (int i = 0; i < len; ++i) acc = std::fma(a[i], b[i], acc);
    *dest = acc;
    return ESP_OK;
  }
  ++fake_esp_dsp::calls.f32_vector;
  float lane[4] = {0, 0, 0, 0};
  for (int i = 0; i < len; i += 4) {
    for (int k = 0; k < 4; ++k) lane[k] = std::fma(a[i + k], b[i + k], lane[k]);
  }
  *dest = ((lane[0] + lane[1]) + lane[2]) + lane[3];
  return ESP_OK;
}

extern "C" esp_err_t dsps_dp_s8_aes3(const int8_t* a, const int8_t* b, int32_t* dest, int len) {
  if (len < 4) return ESP_ERR_DSP_INVALID_LENGTH;
  int32_t acc = 0;
  if (len % 16 != 0) {
    ++fake_esp_dsp::calls.s8_fallback;
    for (int i = 0; i < len; ++i) acc += int32_t{a[i]} * b[i];
    *dest = acc;
    return ESP_OK;
  }
  ++fake_esp_dsp::calls.s8_vector;
  // The vector loop's last loads touch [len, len + 16): read them too, so a
  // sanitizer run catches a caller without the padding.
  volatile int8_t past = static_cast<int8_t>(a[len + 15] ^ b[len + 15]);
  (void)past;
  for (int i = 0; i < len; ++i) acc += int32_t{a[i]} * b[i];
  *dest = acc;
  return ESP_OK;
}
