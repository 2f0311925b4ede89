// ESP32-S3 kernels over esp-dsp; see family.h for the rules.
#include <cstdint>
#include <cstring>

#include "dsps_dotprod.h"
#include "esp_err.h"
#include "kernels/esp32s3/family.h"

namespace llmcu::kernels::esp32s3 {
namespace {

bool aligned16(const void* p) {
  return (reinterpret_cast<uintptr_t>(p) & 15u) == 0;
}

// Weight scales follow the int8 values in llama2.c version-2 files and need
// not be 4-byte aligned.
inline float load_scale(const uint8_t* scales, size_t index) {
  float s;
  memcpy(&s, scales + index * sizeof(float), sizeof(s));
  return s;
}

}  // namespace

bool f32_fast_path(const float* a, const float* b, int32_t n) {
  return n > 0 && n % 4 == 0 && aligned16(a) && aligned16(b);
}

bool q8_fast_path(const int8_t* a, const int8_t* b, int n) {
  return n > 0 && n % 16 == 0 && aligned16(a) && aligned16(b);
}

bool matvec_q8_fast_path(const int8_t* w, const int8_t* xq, int32_t group_size) {
  return q8_fast_path(w, xq, group_size);
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

void dot_q8_groups(const int8_t* w, const int8_t* x, int32_t* sums, int32_t groups,
                   int32_t blocks) {
  const int n = blocks * 16;
  for (int32_t g = 0; g < groups; ++g) {
    const size_t j = static_cast<size_t>(g) * static_cast<size_t>(n);
    sums[g] = dot_q8(w + j, x + j, n);
  }
}

void matvec_q8_with(GroupDots dots, float* out, const int8_t* w, const uint8_t* w_scales,
                    const int8_t* xq, const float* x_scales, int32_t cols, int32_t group_size,
                    int32_t row_begin, int32_t row_end) {
  // The integer sums of a row are taken a chunk of groups at a time into a
  // small stack buffer: one GroupDots call per chunk, however long the row.
  constexpr int32_t kChunk = 64;
  int32_t sums[kChunk];
  const int32_t groups = cols / group_size;
  const int32_t blocks = group_size / 16;
  for (int32_t r = row_begin; r < row_end; ++r) {
    const int8_t* wr = w + static_cast<size_t>(r) * static_cast<size_t>(cols);
    const size_t scale_row = static_cast<size_t>(r) * static_cast<size_t>(groups);
    float sum = 0.0f;
    for (int32_t g0 = 0; g0 < groups; g0 += kChunk) {
      const int32_t n = groups - g0 < kChunk ? groups - g0 : kChunk;
      const size_t j = static_cast<size_t>(g0) * static_cast<size_t>(group_size);
      dots(wr + j, xq + j, sums, n, blocks);
      for (int32_t i = 0; i < n; ++i) {
        // ref::matvec_q8's expression, group after group, so the sums round the same way.
        sum += static_cast<float>(sums[i]) * load_scale(w_scales, scale_row + g0 + i) *
               x_scales[g0 + i];
      }
    }
    out[r] = sum;
  }
}

void matvec_q8(float* out, const int8_t* w, const uint8_t* w_scales, const int8_t* xq,
               const float* x_scales, int32_t cols, int32_t group_size, int32_t row_begin,
               int32_t row_end) {
  // One check for the whole call: with group_size % 16 == 0 every group
  // start is w or xq plus a multiple of 16, so every group is aligned;
  // anything else is ref's loop, unchanged.
  if (!matvec_q8_fast_path(w, xq, group_size)) {
    ref::matvec_q8(out, w, w_scales, xq, x_scales, cols, group_size, row_begin, row_end);
    return;
  }
#if defined(LLMCU_KERNELS_PIE_ASM)
  matvec_q8_with(llmcu_s3_dot_q8_groups, out, w, w_scales, xq, x_scales, cols, group_size,
                 row_begin, row_end);
#else
  matvec_q8_with(dot_q8_groups, out, w, w_scales, xq, x_scales, cols, group_size, row_begin,
                 row_end);
#endif
}

}  // namespace llmcu::kernels::esp32s3
