// SHA-256 (FIPS 180-4), for checking downloaded models.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace llmcu::cli {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  std::string hex_digest();  // finishes the hash

 private:
  void block(const uint8_t* p);
  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace llmcu::cli
