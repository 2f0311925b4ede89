// The model container in a raw flash data partition, mapped into the data
// address space with esp_partition_mmap: the weights are read in place
// through the flash cache and never copied to RAM.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "llmcu/status.h"

namespace llmcu::platform {

struct MappedPartition {
  const char* label = nullptr;
  char name[32] = {};                  // "partition 'model'": how errors name it
  uint32_t address = 0;                // flash address of the partition
  uint32_t partition_size = 0;         // bytes
  std::span<const uint8_t> container;  // exactly the container's bytes
  uint32_t handle = 0;                 // esp_partition_mmap_handle_t
};

// Finds data partition `label`, maps its first page to read the container
// header, then maps exactly the container. Checks the header only; the
// payload checksums are for open_container().
Result<MappedPartition> map_model_partition(const char* label);
void unmap_model_partition(MappedPartition* partition);

}  // namespace llmcu::platform
