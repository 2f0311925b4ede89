// Slicing by 8: eight table lookups per 8 bytes, tables built at compile time
// (8 KiB of read-only data, no start-up work). Verifying a 400 MB model runs
// at several GB/s on the host; on an MCU the tables live in flash.
#include "llmcu/crc32.h"

#include <cstring>

#include "bytes.h"

namespace llmcu {
namespace {

struct CrcTables {
  uint32_t t[8][256];
};

constexpr CrcTables make_crc_tables() {
  CrcTables tables{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) != 0 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    tables.t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (int s = 1; s < 8; ++s) {
      const uint32_t prev = tables.t[s - 1][i];
      tables.t[s][i] = (prev >> 8) ^ tables.t[0][prev & 0xFFu];
    }
  }
  return tables;
}

constexpr CrcTables kCrc = make_crc_tables();

}  // namespace

uint32_t crc32(std::span<const uint8_t> bytes, uint32_t previous) {
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  uint32_t c = ~previous;
  while (n >= 8) {
    const uint32_t lo = read_u32(p) ^ c;
    const uint32_t hi = read_u32(p + 4);
    c = kCrc.t[7][lo & 0xFFu] ^ kCrc.t[6][(lo >> 8) & 0xFFu] ^ kCrc.t[5][(lo >> 16) & 0xFFu] ^
        kCrc.t[4][lo >> 24] ^ kCrc.t[3][hi & 0xFFu] ^ kCrc.t[2][(hi >> 8) & 0xFFu] ^
        kCrc.t[1][(hi >> 16) & 0xFFu] ^ kCrc.t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ kCrc.t[0][(c ^ *p++) & 0xFFu];
  return ~c;
}

}  // namespace llmcu
