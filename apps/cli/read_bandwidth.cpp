#include "read_bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace llmcu::cli {
namespace {

constexpr size_t kBytes = size_t{512} << 20;

struct SumJob {
  const uint64_t* data;
  size_t words;
  int chunks;
  uint64_t partial[64];
};

void sum_chunk(void* context, int chunk) {
  auto& job = *static_cast<SumJob*>(context);
  const size_t begin = job.words * static_cast<size_t>(chunk) / static_cast<size_t>(job.chunks);
  const size_t end = job.words * static_cast<size_t>(chunk + 1) / static_cast<size_t>(job.chunks);
  // Four independent xor chains: the loop is limited by memory, not by
  // a dependency on one register.
  uint64_t a = 0, b = 0, c = 0, d = 0;
  size_t i = begin;
  for (; i + 4 <= end; i += 4) {
    a ^= job.data[i];
    b ^= job.data[i + 1];
    c ^= job.data[i + 2];
    d ^= job.data[i + 3];
  }
  for (; i < end; ++i) a ^= job.data[i];
  job.partial[chunk] = a ^ b ^ c ^ d;
}

}  // namespace

ReadBandwidthProbe::ReadBandwidthProbe(bool huge_pages) {
  std::vector<uint64_t> pattern(size_t{1} << 16);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = i * 0x9E3779B97F4A7C15ull;
  if (huge_pages) {
    // HugePageCopy copies a source; a buffer of the pattern repeated does.
    std::vector<uint8_t> source(kBytes);
    for (size_t off = 0; off < kBytes; off += pattern.size() * sizeof(uint64_t)) {
      memcpy(source.data() + off, pattern.data(), pattern.size() * sizeof(uint64_t));
    }
    Result<host::HugePageCopy> made = host::HugePageCopy::of(source, "bandwidth buffer");
    if (!made.is_ok()) return;
    huge_ = std::move(*made);
    data_ = reinterpret_cast<const uint64_t*>(huge_.bytes().data());
  } else {
    small_pages_.resize(kBytes / sizeof(uint64_t));
    for (size_t i = 0; i < small_pages_.size(); ++i) small_pages_[i] = pattern[i % pattern.size()];
    data_ = small_pages_.data();
  }
}

double ReadBandwidthProbe::measure(host::ThreadPool& pool, int rounds) {
  if (data_ == nullptr) return 0.0;
  SumJob job{data_, kBytes / sizeof(uint64_t), std::min(pool.concurrency(), 64), {}};
  double best = 0.0;
  for (int round = 0; round <= rounds; ++round) {
    const auto start = std::chrono::steady_clock::now();
    pool.parallel_for(job.chunks, sum_chunk, &job);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (int c = 0; c < job.chunks; ++c) sink_ ^= job.partial[c];
    if (round > 0) best = std::max(best, static_cast<double>(kBytes) / s);  // round 0 warms up
  }
  if (sink_ == 42) fprintf(stderr, " ");
  return best;
}

}  // namespace llmcu::cli
