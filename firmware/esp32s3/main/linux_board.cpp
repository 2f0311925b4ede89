#include "linux_board.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "esp_heap_caps.h"
#include "esp_private/partition_linux.h"
#include "llmcu/arena.h"

namespace linux_board {
namespace {

// A decimal count of KiB from the environment, or the default when unset.
llmcu::Status read_kib(const char* name, size_t fallback_kib, size_t* bytes) {
  const char* text = getenv(name);
  if (text == nullptr || *text == '\0') {
    *bytes = fallback_kib * 1024;
    return llmcu::Status::ok();
  }
  char* end = nullptr;
  errno = 0;
  const unsigned long long kib = strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || *text == '-' || kib > (SIZE_MAX / 1024)) {
    return llmcu::Status::error(llmcu::StatusCode::kInvalidArgument,
                                "%s='%s': expected a number of KiB", name, text);
  }
  *bytes = static_cast<size_t>(kib) * 1024;
  return llmcu::Status::ok();
}

}  // namespace

llmcu::Status use_flash_image() {
  const char* path = getenv("LLMCU_FLASH_IMAGE");
  if (path == nullptr || *path == '\0') return llmcu::Status::ok();
  struct stat info;
  if (stat(path, &info) != 0) {
    return llmcu::Status::error(llmcu::StatusCode::kIoError, "LLMCU_FLASH_IMAGE=%s: %s", path,
                                strerror(errno));
  }
  esp_partition_file_mmap_ctrl_t* ctrl = esp_partition_get_file_mmap_ctrl_input();
  if (strlen(path) >= sizeof(ctrl->flash_file_name)) {
    return llmcu::Status::error(llmcu::StatusCode::kInvalidArgument,
                                "LLMCU_FLASH_IMAGE: path longer than %u bytes",
                                static_cast<unsigned>(sizeof(ctrl->flash_file_name) - 1));
  }
  snprintf(ctrl->flash_file_name, sizeof(ctrl->flash_file_name), "%s", path);
  return llmcu::Status::ok();
}

llmcu::Status EmulatedRam::init() {
  LLMCU_TRY(read_kib("LLMCU_INTERNAL_RAM_KB", kDefaultInternalKb, &internal_bytes_));
  return read_kib("LLMCU_PSRAM_KB", kDefaultPsramKb, &psram_bytes_);
}

llmcu::device::HeapInfo EmulatedRam::heap() const {
  llmcu::device::HeapInfo h;
  h.internal_free = internal_bytes_ - internal_used_;
  h.internal_largest = h.internal_free;
  h.external_free = psram_bytes_ - psram_used_;
  h.external_largest = h.external_free;
  return h;
}

uint8_t* EmulatedRam::allocate(size_t bytes, llmcu::device::ArenaPlace place) {
  const bool internal = place == llmcu::device::ArenaPlace::kInternal;
  size_t& used = internal ? internal_used_ : psram_used_;
  const size_t budget = internal ? internal_bytes_ : psram_bytes_;
  if (bytes > budget - used) return nullptr;
  void* p = heap_caps_aligned_alloc(
      llmcu::Arena::kAlignment, bytes,
      internal ? MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT : MALLOC_CAP_SPIRAM | MALLOC_CAP_8BIT);
  if (p != nullptr) used += bytes;
  return static_cast<uint8_t*>(p);
}

}  // namespace linux_board
