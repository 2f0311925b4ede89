#include "mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

namespace llmcu::host {
namespace {

// Live mappings, for path_holding(). A fixed table of slots claimed with a
// compare-and-swap: no lock, no allocation, readable from a signal handler.
// A process maps a handful of files; past kSlots they are simply not named.
struct Slot {
  enum : int { kFree, kWriting, kLive };
  std::atomic<int> state{kFree};
  const uint8_t* begin = nullptr;
  size_t size = 0;
  char path[1024] = {};
};
constexpr int kSlots = 32;
Slot g_slots[kSlots];

void remember(const uint8_t* begin, size_t size, const std::string& path) {
  for (Slot& slot : g_slots) {
    int expected = Slot::kFree;
    if (!slot.state.compare_exchange_strong(expected, Slot::kWriting)) continue;
    slot.begin = begin;
    slot.size = size;
    const size_t n = path.size() < sizeof(slot.path) - 1 ? path.size() : sizeof(slot.path) - 1;
    memcpy(slot.path, path.data(), n);
    slot.path[n] = '\0';
    slot.state.store(Slot::kLive, std::memory_order_release);
    return;
  }
}

void forget(const uint8_t* begin) {
  for (Slot& slot : g_slots) {
    if (slot.state.load(std::memory_order_acquire) == Slot::kLive && slot.begin == begin) {
      slot.state.store(Slot::kFree, std::memory_order_release);
      return;
    }
  }
}

void unmap(const uint8_t* data, size_t size) {
  if (data == nullptr) return;
  forget(data);
  munmap(const_cast<uint8_t*>(data), size);
}

}  // namespace

const char* MappedFile::path_holding(const void* address) {
  const auto* p = static_cast<const uint8_t*>(address);
  for (Slot& slot : g_slots) {
    if (slot.state.load(std::memory_order_acquire) != Slot::kLive) continue;
    if (p >= slot.begin && p < slot.begin + slot.size) return slot.path;
  }
  return nullptr;
}

MappedFile::MappedFile(MappedFile&& other) noexcept {
  *this = std::move(other);
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    unmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    path_ = std::move(other.path_);
  }
  return *this;
}

MappedFile::~MappedFile() {
  unmap(data_, size_);
}

Result<MappedFile> MappedFile::open(const std::string& path) {
  if (path.empty()) {
    return Status::error(StatusCode::kIoError, "a file path is empty (\"\" names no file)");
  }
  // O_NONBLOCK: opening a FIFO (or a device that waits) must not hang before
  // fstat below can refuse it; it changes nothing for regular files.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return Status::error(StatusCode::kIoError, "%s: cannot open: %s", path.c_str(),
                         strerror(errno));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::error(StatusCode::kIoError, "%s: not a regular file", path.c_str());
  }
  MappedFile file;
  file.path_ = path;
  file.size_ = static_cast<size_t>(st.st_size);
  if (file.size_ > 0) {
    void* p = mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return Status::error(StatusCode::kIoError, "%s: cannot map: %s", path.c_str(), strerror(err));
    }
    file.data_ = static_cast<const uint8_t*>(p);
    remember(file.data_, file.size_, path);
  }
  ::close(fd);
  return file;
}

}  // namespace llmcu::host
