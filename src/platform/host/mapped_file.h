// A whole file mapped read-only: the host's way of handing the core weights
// to use in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "llmcu/status.h"

namespace llmcu::host {

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  // Refuses directories, devices and other non-regular files with a message
  // naming the path.
  static Result<MappedFile> open(const std::string& path);

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

  // The path of the live mapping that holds `address`, or nullptr. Safe in a
  // signal handler: reading a page of a file truncated after it was mapped
  // raises SIGBUS, and the handler can name the file.
  static const char* path_holding(const void* address);

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace llmcu::host
