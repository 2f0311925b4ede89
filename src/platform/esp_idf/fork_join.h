// Fork/join between a calling task and a fixed set of persistent workers,
// independent of the OS: the backend supplies only how to wake a worker and
// how to wake the caller (FreeRTOS direct task notifications on the ESP32-S3,
// semaphores in the host tests). The caller works too, and every task index
// is claimed from one atomic counter, so a slow worker never holds up tasks
// the others can take.
//
// Wake-ups are treated as hints: a worker checks the job epoch and the caller
// checks the count of workers still busy, so a stray or late notification
// (one left over from the previous job, or sent by unrelated code) never
// makes anyone run a job twice or return early.
#pragma once

#include <atomic>
#include <cstdint>

#include "llmcu/executor.h"

namespace llmcu::platform {

// Signals must provide:
//   void wake_worker(int worker);   // wake one worker blocked in wait_for_work
//   void wait_for_work(int worker); // block until woken (may return spuriously)
//   void wake_caller();             // wake the caller blocked in wait_for_workers
//   void wait_for_workers();        // block until woken (may return spuriously)
template <typename Signals, int kMaxWorkers>
class ForkJoin {
 public:
  ForkJoin(Signals* signals, int workers) : signals_(signals), workers_(workers) {}

  int workers() const { return workers_; }

  // Tasks of the jobs handed to the workers so far, and how many of them the
  // workers ran (the caller ran the rest): how evenly the work is shared.
  // Read from the caller between jobs.
  uint64_t tasks_shared() const { return tasks_shared_; }
  uint64_t tasks_on_workers() const { return tasks_on_workers_.load(std::memory_order_relaxed); }

  // Caller side: runs fn(context, t) for every t in [0, count) on the caller
  // and the workers; returns when all have finished.
  void run(int count, TaskFn fn, void* context) {
    if (count <= 0) return;
    if (count == 1 || workers_ == 0) {
      for (int t = 0; t < count; ++t) fn(context, t);
      return;
    }
    fn_ = fn;
    context_ = context;
    count_ = count;
    tasks_shared_ += static_cast<uint64_t>(count);
    next_.store(0, std::memory_order_relaxed);
    // Every worker takes part in every job (one with nothing left to claim
    // just reports back), so each sees every epoch: no worker can mistake a
    // later job for one it already served.
    pending_.store(workers_, std::memory_order_relaxed);
    // Publishes the job fields above to every worker that sees the new epoch.
    epoch_.fetch_add(1, std::memory_order_release);
    for (int w = 0; w < workers_; ++w) signals_->wake_worker(w);
    drain();
    while (pending_.load(std::memory_order_acquire) != 0) signals_->wait_for_workers();
  }

  // Worker side: blocks until a job (or stop) arrives for `worker`, helps
  // with it and reports back. Returns false when the worker must exit.
  bool serve(int worker) {
    for (;;) {
      signals_->wait_for_work(worker);
      const uint32_t epoch = epoch_.load(std::memory_order_acquire);
      if (epoch == seen_[worker]) continue;  // stray wake-up: no new job
      seen_[worker] = epoch;
      const bool stop = stopping_;
      if (!stop) {
        const int ran = drain();
        if (ran > 0)
          tasks_on_workers_.fetch_add(static_cast<uint64_t>(ran), std::memory_order_relaxed);
      }
      // acq_rel: the caller's acquire load of 0 then sees every output written.
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) signals_->wake_caller();
      return !stop;
    }
  }

  // Caller side: makes every worker's serve() return false, and waits until
  // all have acknowledged. The workers may then exit.
  void stop() {
    stopping_ = true;
    pending_.store(workers_, std::memory_order_relaxed);
    epoch_.fetch_add(1, std::memory_order_release);
    for (int w = 0; w < workers_; ++w) signals_->wake_worker(w);
    while (pending_.load(std::memory_order_acquire) != 0) signals_->wait_for_workers();
  }

 private:
  // Runs tasks until none is left to claim; returns how many it ran.
  int drain() {
    for (int ran = 0;; ++ran) {
      const int t = next_.fetch_add(1, std::memory_order_relaxed);
      if (t >= count_) return ran;
      fn_(context_, t);
    }
  }

  Signals* signals_;
  const int workers_;
  // The job: written by the caller only while no worker is inside one.
  TaskFn fn_ = nullptr;
  void* context_ = nullptr;
  int count_ = 0;
  bool stopping_ = false;
  std::atomic<int> next_{0};
  std::atomic<int> pending_{0};
  std::atomic<uint32_t> epoch_{0};
  uint64_t tasks_shared_ = 0;  // caller only
  // Added to before a worker reports back, so the caller's acquire of
  // pending_ == 0 makes every job's count visible.
  std::atomic<uint64_t> tasks_on_workers_{0};
  uint32_t seen_[kMaxWorkers] = {};  // each slot touched by its worker only
};

}  // namespace llmcu::platform
