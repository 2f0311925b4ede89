// CRC-32 (IEEE 802.3 polynomial, reflected: the value zlib's crc32() gives),
// used by the llmcu model format and the device container.
#pragma once

#include <cstdint>
#include <span>

namespace llmcu {

// Pass the previous result to continue over more bytes.
uint32_t crc32(std::span<const uint8_t> bytes, uint32_t previous = 0);

}  // namespace llmcu
