// llama2.c's checkpoint headers, shared by the loader (model_loader.cpp) and
// the version-2 writer (quantize.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace llmcu {

// Version 0 (legacy): seven int32 fields, then fp32 tensors.
inline constexpr size_t kLegacyHeaderBytes = 7 * sizeof(int32_t);

// Versions 1 and 2: "ak42" as a little-endian uint32, int32 version, the seven
// config fields, uint8 shared_classifier, (version 2) int32 group_size,
// zero padding to 256 bytes.
inline constexpr uint32_t kMagicAk42 = 0x616b3432;
inline constexpr size_t kAk42HeaderBytes = 256;
inline constexpr size_t kAk42FlagOffset = 36;       // uint8 shared_classifier
inline constexpr size_t kAk42GroupSizeOffset = 37;  // version 2: int32 group_size (unaligned)

}  // namespace llmcu
