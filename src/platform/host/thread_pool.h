// The host's Executor: a fixed pool of worker threads created once, so that
// a fork/join inside a forward pass costs microseconds, not a thread start.
//
// Idle workers spin for a short while (the next matvec of the same token is
// usually a few microseconds away), then block on a futex (C++20
// atomic::wait) so an idle process burns no CPU. The calling thread runs
// tasks too, and tasks are claimed dynamically: if a worker is slow to wake
// (descheduled on a busy machine) the caller simply does more of the work.
// Which thread runs a task never changes its result; the core makes each
// task write its own outputs in a fixed order.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "llmcu/executor.h"

namespace llmcu::host {

class ThreadPool final : public Executor {
 public:
  // How long an idle worker polls for the next job before it blocks.
  static constexpr uint32_t kDefaultSpinUs = 100;

  // `threads` counts the calling thread: 1 makes no workers and runs every
  // task inline. Values below 1 mean 1.
  explicit ThreadPool(int threads, uint32_t spin_us = kDefaultSpinUs);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int concurrency() const override { return threads_; }
  // Must be called from one thread at a time (the one that owns the pool).
  void parallel_for(int count, TaskFn fn, void* context) override;

  // Logical CPUs this process may run on (at least 1).
  static int available_cpus();

 private:
  static constexpr int kMaxRound = 0xffff;

  void run_round(int count);
  void worker_main();
  // Claims and runs tasks of job `epoch` until none are left.
  void run_tasks(uint32_t epoch);
  // Returns the first epoch different from `seen` (or on shutdown).
  uint32_t wait_for_job(uint32_t seen);

  int threads_ = 1;
  uint32_t spin_us_ = kDefaultSpinUs;
  std::vector<std::thread> workers_;

  // The current job. Written by the submitter only while no task of the
  // previous job can still be claimed (all were done), then published by
  // the release store of claim_ and wake_.
  TaskFn fn_ = nullptr;
  void* context_ = nullptr;
  int base_ = 0;        // task number of index 0 (jobs run in rounds of kMaxRound)
  uint32_t epoch_ = 0;  // submitter's copy of the last published epoch

  // epoch << 32 | count << 16 | next index. Everything a claim depends on is
  // in this one word: a worker claims with a CAS, so a late worker can never
  // take a task of a job it did not read, nor one past that job's count.
  alignas(64) std::atomic<uint64_t> claim_{0};
  alignas(64) std::atomic<int> done_{0};
  alignas(64) std::atomic<uint32_t> wake_{0};  // epoch, for futex waits
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace llmcu::host
