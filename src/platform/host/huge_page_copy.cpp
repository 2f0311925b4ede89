#include "huge_page_copy.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace llmcu::host {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

}  // namespace

HugePageCopy::HugePageCopy(HugePageCopy&& other) noexcept {
  *this = std::move(other);
}

HugePageCopy& HugePageCopy::operator=(HugePageCopy&& other) noexcept {
  if (this != &other) {
    if (mapping_ != nullptr) munmap(mapping_, mapping_bytes_);
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapping_bytes_ = std::exchange(other.mapping_bytes_, 0);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

HugePageCopy::~HugePageCopy() {
  if (mapping_ != nullptr) munmap(mapping_, mapping_bytes_);
}

bool HugePageCopy::available() {
  FILE* f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (f == nullptr) return false;
  char line[128] = {};
  const bool read = fgets(line, sizeof(line), f) != nullptr;
  fclose(f);
  return read && (strstr(line, "[always]") != nullptr || strstr(line, "[madvise]") != nullptr);
}

Result<HugePageCopy> HugePageCopy::of(std::span<const uint8_t> bytes, const char* name,
                                      bool release_source) {
  HugePageCopy copy;
  if (bytes.empty()) return copy;
  // Huge pages need 2 MiB-aligned addresses: map one page more and start the
  // copy at the first boundary inside.
  const size_t rounded = (bytes.size() + kHugePage - 1) / kHugePage * kHugePage;
  copy.mapping_bytes_ = rounded + kHugePage;
  void* p = mmap(nullptr, copy.mapping_bytes_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return Status::error(StatusCode::kResourceExhausted, "%s: cannot map %zu bytes: %s", name,
                         copy.mapping_bytes_, strerror(errno));
  }
  copy.mapping_ = p;
  const auto base = reinterpret_cast<uintptr_t>(p);
  auto* start = reinterpret_cast<uint8_t*>((base + kHugePage - 1) / kHugePage * kHugePage);
  // Advice only: without it the copy still works, on small pages.
  madvise(start, rounded, MADV_HUGEPAGE);
  for (size_t off = 0; off < bytes.size(); off += kHugePage) {
    const size_t n = bytes.size() - off < kHugePage ? bytes.size() - off : kHugePage;
    memcpy(start + off, bytes.data() + off, n);
    // The file's pages stay in the page cache; this only unmaps them here.
    if (release_source) madvise(const_cast<uint8_t*>(bytes.data()) + off, n, MADV_DONTNEED);
  }
  mprotect(start, rounded, PROT_READ);  // the weights are read-only, as in the file
  copy.data_ = start;
  copy.size_ = bytes.size();
  return copy;
}

}  // namespace llmcu::host
