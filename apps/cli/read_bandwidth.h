// The machine's read bandwidth from memory, measured the way decoding reads
// its weights (the same threads, the same kind of pages): the ceiling of a
// decode whose weights do not fit in the caches.
#pragma once

#include <cstdint>
#include <vector>

#include "huge_page_copy.h"
#include "thread_pool.h"

namespace llmcu::cli {

class ReadBandwidthProbe {
 public:
  // A buffer of 512 MiB, far larger than any cache, on huge pages or not.
  // If huge pages cannot be had, measure() returns 0.
  explicit ReadBandwidthProbe(bool huge_pages);

  // Bytes a second: the best of `rounds` passes over the buffer with every
  // thread of `pool`, after one pass that brings its pages and TLB entries in.
  double measure(host::ThreadPool& pool, int rounds);

 private:
  std::vector<uint64_t> small_pages_;
  host::HugePageCopy huge_;
  const uint64_t* data_ = nullptr;
  uint64_t sink_ = 0;  // the passes' result, kept so they are not optimised away
};

}  // namespace llmcu::cli
