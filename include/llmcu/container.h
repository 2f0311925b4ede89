// One flashable blob holding a checkpoint and its tokenizer, so a device needs
// one partition and one mapping. `llmcu pack` writes it; the firmware maps it
// and reads both parts in place.
//
// Layout (little-endian; all offsets from the start of the container):
//   0   char[8] magic "LLMCUPAK"
//   8   u32 version (1)            12  u32 header_bytes (64)
//   16  u32 total_bytes            20  u32 model_offset     24  u32 model_bytes
//   28  u32 tokenizer_offset       32  u32 tokenizer_bytes
//   36  u32 model_crc32            40  u32 tokenizer_crc32  44  u32 flags (0)
//   48  12 reserved bytes (0)      60  u32 header_crc32 of bytes [0, 60)
// then zero padding, the model, zero padding, the tokenizer. A model that
// carries its own vocabulary (GGUF) comes with no tokenizer: tokenizer_bytes
// is 0 (its offset then marks the end of the container).
//
// The writer places the model so that its first tensor starts on a 64-byte
// boundary (vector loads on the S3 need 16) and leaves at least
// kContainerTailPad zero bytes after it: SIMD kernels that read a whole block
// past the end of the last row then stay inside the container.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "llmcu/crc32.h"
#include "llmcu/status.h"

namespace llmcu {

inline constexpr size_t kContainerHeaderBytes = 64;
inline constexpr uint32_t kContainerVersion = 1;
inline constexpr size_t kContainerAlignment = 64;
inline constexpr size_t kContainerTailPad = 64;

struct ContainerHeader {
  uint32_t version = kContainerVersion;
  uint32_t header_bytes = kContainerHeaderBytes;
  uint32_t total_bytes = 0;
  uint32_t model_offset = 0;
  uint32_t model_bytes = 0;
  uint32_t tokenizer_offset = 0;
  uint32_t tokenizer_bytes = 0;
  uint32_t model_crc32 = 0;
  uint32_t tokenizer_crc32 = 0;
};

struct Container {
  ContainerHeader header;
  std::span<const uint8_t> model;
  std::span<const uint8_t> tokenizer;
};

// True if `bytes` starts with the container magic (for tools that accept
// either a container or a bare checkpoint).
bool is_container(std::span<const uint8_t> bytes);

// Checks the header alone: it needs only the first kContainerHeaderBytes, so a
// device can map one page, learn total_bytes, then map the rest.
Result<ContainerHeader> parse_container_header(std::span<const uint8_t> bytes, const char* name);

// Checks the header against `bytes` (which may be longer than the container,
// e.g. a whole partition) and, if `verify_checksums`, both payload CRCs.
Result<Container> open_container(std::span<const uint8_t> bytes, const char* name,
                                 bool verify_checksums);

// Writer side: where a model of `model_bytes`, whose first tensor starts
// `model_tensor_offset` bytes into it, and a tokenizer (possibly of 0 bytes)
// go. The CRCs are left 0.
Result<ContainerHeader> plan_container(size_t model_bytes, size_t model_tensor_offset,
                                       size_t tokenizer_bytes);
// The 64 header bytes for `header`, header CRC included.
void encode_container_header(const ContainerHeader& header, uint8_t out[kContainerHeaderBytes]);

}  // namespace llmcu
