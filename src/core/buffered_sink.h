// The writers' output stage, and the int8 quantization both writers share (llama2.c version 2 and
// the llmcu format): small writes collected into one fixed buffer before they reach the caller's
// ByteSink, with the byte count and the running CRC-32 of what went out.
// No heap: a 1 KiB buffer is all a converter needs.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "llmcu/crc32.h"
#include "llmcu/quantize.h"
#include "llmcu/status.h"

namespace llmcu {

class BufferedSink {
 public:
  BufferedSink(ByteSink sink, void* user) : sink_(sink), user_(user) {}

  void put(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    while (size > 0 && status_.is_ok()) {
      const size_t n = size < sizeof(buffer_) - used_ ? size : sizeof(buffer_) - used_;
      memcpy(buffer_ + used_, p, n);
      used_ += n;
      p += n;
      size -= n;
      if (used_ == sizeof(buffer_)) flush();
    }
  }
  void put_i32(int32_t v) { put(&v, sizeof(v)); }
  void put_f32(float v) { put(&v, sizeof(v)); }
  void zeros(uint64_t n) {
    static constexpr uint8_t kZeros[64] = {};
    while (n > 0 && status_.is_ok()) {
      const size_t k = n < sizeof(kZeros) ? static_cast<size_t>(n) : sizeof(kZeros);
      put(kZeros, k);
      n -= k;
    }
  }
  void flush() {
    if (used_ > 0 && status_.is_ok()) {
      crc_ = crc32({buffer_, used_}, crc_);
      status_ = sink_(user_, buffer_, used_);
      written_ += used_;
    }
    used_ = 0;
  }

  const Status& status() const { return status_; }
  uint64_t written() const { return written_ + used_; }  // bytes accepted so far
  uint32_t crc() const { return crc_; }                  // of what was flushed

 private:
  ByteSink sink_;
  void* user_;
  uint8_t buffer_[1024];
  size_t used_ = 0;
  uint64_t written_ = 0;
  uint32_t crc_ = 0;
  Status status_;
};

// max|x| / 127 over one group; false if a value is not finite.
inline bool group_scale(const float* x, int32_t n, float* scale) {
  float wmax = 0.0f;
  for (int32_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) return false;
    const float v = fabsf(x[i]);
    if (v > wmax) wmax = v;
  }
  *scale = wmax / 127.0f;
  return true;
}

// Writes x[0, n) as int8 at `scale` (round half away from zero, as llama2.c's
// export does) and records the rounding error in `stats`.
inline void put_quantized(BufferedSink& out, const float* x, int32_t n, float scale,
                          QuantizeStats* stats) {
  int8_t q[64];
  for (int32_t i = 0; i < n; i += 64) {
    const int32_t k_end = n - i < 64 ? n - i : 64;
    for (int32_t k = 0; k < k_end; ++k) {
      const float v = x[i + k];
      // With a denormal group maximum, wmax / 127 is rounded so coarsely
      // that v / scale can exceed 127.5: clamp, or 128 would wrap to -128.
      float r = scale == 0.0f ? 0.0f : roundf(v / scale);
      r = r > 127.0f ? 127.0f : (r < -127.0f ? -127.0f : r);
      const auto qv = static_cast<int8_t>(r);
      q[k] = qv;
      const float err = fabsf(static_cast<float>(qv) * scale - v);
      if (err > stats->max_abs_error) {
        stats->max_abs_error = err;
        stats->max_error_scale = scale;
      }
      if (scale > 0.0f && err / scale > stats->max_error_in_scales) {
        stats->max_error_in_scales = err / scale;
      }
    }
    out.put(q, static_cast<size_t>(k_end));
  }
}

}  // namespace llmcu
