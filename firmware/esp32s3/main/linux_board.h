// What stands in for the board when ESP-IDF builds this firmware for its
// `linux` target (IDF_TARGET=linux: FreeRTOS on its POSIX port, the flash
// emulated by a file). Only the two things the PC cannot know come from the
// environment:
//   LLMCU_FLASH_IMAGE      the flash image (partition table at
//                          CONFIG_PARTITION_TABLE_OFFSET, the container at the
//                          model partition's offset), mapped by esp_partition
//   LLMCU_INTERNAL_RAM_KB  internal RAM the emulated board has free at boot
//   LLMCU_PSRAM_KB         PSRAM it has free (0: none)
// heap_caps on linux is plain malloc and reports 4 GiB free everywhere, so the
// app's arena placement would never be exercised without the last two.
#pragma once

#include <cstddef>
#include <cstdint>

#include "app.h"
#include "llmcu/status.h"

namespace linux_board {

// Free RAM of an ESP32-S3 with 8 MB of octal PSRAM (N16R8) after boot, in
// round figures: the defaults when the variables are unset.
inline constexpr size_t kDefaultInternalKb = 320;
inline constexpr size_t kDefaultPsramKb = 8192;

// Names LLMCU_FLASH_IMAGE as esp_partition's flash before its first use.
// Unset: ESP-IDF creates an erased flash holding only the partition table,
// which the app then reports as an erased partition.
llmcu::Status use_flash_image();

// The board's memory: allocations succeed while they fit the budget, and the
// free sizes reported are the budget less what was allocated (one block each,
// so the largest free block is all that is free).
class EmulatedRam {
 public:
  llmcu::Status init();  // reads LLMCU_INTERNAL_RAM_KB and LLMCU_PSRAM_KB
  llmcu::device::HeapInfo heap() const;
  uint8_t* allocate(size_t bytes, llmcu::device::ArenaPlace place);
  size_t internal_bytes() const { return internal_bytes_; }
  size_t psram_bytes() const { return psram_bytes_; }

 private:
  size_t internal_bytes_ = kDefaultInternalKb * 1024;
  size_t psram_bytes_ = kDefaultPsramKb * 1024;
  size_t internal_used_ = 0;
  size_t psram_used_ = 0;
};

}  // namespace linux_board
