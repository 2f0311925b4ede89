// One block of caller-owned memory handed out front to back. A default-
// constructed arena only counts, which is how the memory plan measures the
// exact layout that a real arena will later carve.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace llmcu {

class Arena {
 public:
  // Cache-line and widest-SIMD alignment for every buffer.
  static constexpr size_t kAlignment = 64;

  Arena() = default;  // counting only: allocate() returns nullptr
  explicit Arena(std::span<uint8_t> memory) : memory_(memory), counting_(false) {}

  template <typename T>
  T* allocate(size_t count) {
    return static_cast<T*>(allocate_bytes(count * sizeof(T)));
  }
  void* allocate_bytes(size_t bytes);

  size_t used() const { return used_; }  // including alignment padding
  bool exhausted() const { return exhausted_; }

 private:
  std::span<uint8_t> memory_;
  size_t used_ = 0;
  bool counting_ = true;
  bool exhausted_ = false;
};

}  // namespace llmcu
