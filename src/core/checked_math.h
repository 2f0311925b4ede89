// Size arithmetic that reports overflow instead of wrapping: every size that
// comes from a file header goes through here before it is trusted.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace llmcu {

// Multiplies all factors (each must be >= 0); false on overflow of uint64.
inline bool checked_product(uint64_t* out, std::initializer_list<uint64_t> factors) {
  uint64_t product = 1;
  for (uint64_t f : factors) {
    if (__builtin_mul_overflow(product, f, &product)) return false;
  }
  *out = product;
  return true;
}

inline bool checked_add(uint64_t* acc, uint64_t value) {
  return !__builtin_add_overflow(*acc, value, acc);
}

}  // namespace llmcu
