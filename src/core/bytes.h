// Fields of the little-endian files llmcu reads in place (llama2.c
// checkpoints, llmcu files and containers, tokenizers), at any alignment,
// and the one rounding rule for offsets.
#pragma once

#include <cstdint>
#include <cstring>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error \
    "llmcu reads its little-endian files in place; a big-endian target needs byte-swapping readers"
#endif

namespace llmcu {

template <typename T>
inline T read_le(const uint8_t* p) {
  T v;
  memcpy(&v, p, sizeof(v));
  return v;
}
inline uint16_t read_u16(const uint8_t* p) {
  return read_le<uint16_t>(p);
}
inline uint32_t read_u32(const uint8_t* p) {
  return read_le<uint32_t>(p);
}
inline uint64_t read_u64(const uint8_t* p) {
  return read_le<uint64_t>(p);
}
inline int32_t read_i32(const uint8_t* p) {
  return read_le<int32_t>(p);
}

template <typename T>
inline void write_le(uint8_t* p, T v) {
  memcpy(p, &v, sizeof(v));
}
inline void write_u16(uint8_t* p, uint16_t v) {
  write_le(p, v);
}
inline void write_u32(uint8_t* p, uint32_t v) {
  write_le(p, v);
}
inline void write_u64(uint8_t* p, uint64_t v) {
  write_le(p, v);
}

// `value` rounded up to a multiple of `alignment` (> 0) in *out; false if
// that does not fit 64 bits.
inline bool align_up(uint64_t value, uint64_t alignment, uint64_t* out) {
  if (value > UINT64_MAX - (alignment - 1)) return false;
  *out = (value + alignment - 1) / alignment * alignment;
  return true;
}

}  // namespace llmcu
