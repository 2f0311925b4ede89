#include "llmcu/arena.h"

namespace llmcu {

void* Arena::allocate_bytes(size_t bytes) {
  const size_t padded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (padded < bytes || used_ + padded < used_) {
    exhausted_ = true;
    return nullptr;
  }
  if (counting_) {
    used_ += padded;
    return nullptr;
  }
  // Align the absolute address: the caller's block may start anywhere.
  const auto base = reinterpret_cast<uintptr_t>(memory_.data());
  const size_t lead = (kAlignment - (base + used_) % kAlignment) % kAlignment;
  if (exhausted_ || lead + padded > memory_.size() - used_ || used_ > memory_.size()) {
    exhausted_ = true;
    return nullptr;
  }
  void* p = memory_.data() + used_ + lead;
  used_ += lead + padded;
  return p;
}

}  // namespace llmcu
