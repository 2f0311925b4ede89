// The writers' output stage (llama2.c version 2 and the llmcu format): small
// writes collected into one fixed buffer before they reach the caller's
// ByteSink, with the byte count and the running CRC-32 of what went out.
// No heap: a 1 KiB buffer is all a converter needs.
#pragma once

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

}  // namespace llmcu
