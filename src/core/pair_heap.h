// A binary heap of symbols in caller memory, for byte-pair merging: each
// symbol whose pair with its successor can merge sits in it once, best pair
// on top. `Before(a, b)` orders two symbols' pairs (a strict weak order).
// Each symbol knows its slot, so a pair that changes is removed or re-placed
// in O(log n) instead of leaving stale entries behind.
#pragma once

#include <cstdint>

namespace llmcu {

template <typename Before>
class PairHeap {
 public:
  // heap and slot_of hold `capacity` ints each; symbols are 0..capacity-1.
  PairHeap(int32_t* heap, int32_t* slot_of, Before before)
      : heap_(heap), slot_of_(slot_of), before_(before) {}

  bool empty() const { return size_ == 0; }
  int32_t top() const { return heap_[0]; }
  uint64_t sift_steps() const { return sift_steps_; }

  // Marks `symbol` absent; every symbol starts this way.
  void clear_slot(int32_t symbol) { slot_of_[symbol] = -1; }
  // Appends without ordering; call heapify() after the last one.
  void append(int32_t symbol) { place(size_++, symbol); }
  void heapify() {
    for (int32_t slot = size_ / 2 - 1; slot >= 0; --slot) sift_down(slot);
  }
  void push(int32_t symbol) {
    place(size_++, symbol);
    sift_up(size_ - 1);
  }
  void remove(int32_t symbol) {
    const int32_t slot = slot_of_[symbol];
    if (slot < 0) return;
    slot_of_[symbol] = -1;
    const int32_t last = heap_[--size_];
    if (slot == size_) return;
    place(slot, last);
    sift_up(slot);
    sift_down(slot_of_[last]);
  }

 private:
  void place(int32_t slot, int32_t symbol) {
    heap_[slot] = symbol;
    slot_of_[symbol] = slot;
  }
  void sift_up(int32_t slot) {
    const int32_t symbol = heap_[slot];
    while (slot > 0) {
      const int32_t parent = (slot - 1) / 2;
      if (!before_(symbol, heap_[parent])) break;
      place(slot, heap_[parent]);
      slot = parent;
      ++sift_steps_;
    }
    place(slot, symbol);
  }
  void sift_down(int32_t slot) {
    const int32_t symbol = heap_[slot];
    while (true) {
      int32_t child = 2 * slot + 1;
      if (child >= size_) break;
      if (child + 1 < size_ && before_(heap_[child + 1], heap_[child])) ++child;
      if (!before_(heap_[child], symbol)) break;
      place(slot, heap_[child]);
      slot = child;
      ++sift_steps_;
    }
    place(slot, symbol);
  }

  int32_t* heap_;
  int32_t* slot_of_;
  Before before_;
  int32_t size_ = 0;
  uint64_t sift_steps_ = 0;
};

}  // namespace llmcu
