#include "thread_pool.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <chrono>

namespace llmcu::host {
namespace {

// Tells the core we are busy-waiting: lets the sibling hyperthread run and
// saves power, without giving up the time slice.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

inline uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

constexpr int kEpochShift = 32;
constexpr int kCountShift = 16;
constexpr uint64_t kFieldMask = 0xffff;

}  // namespace

int ThreadPool::available_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

ThreadPool::ThreadPool(int threads, uint32_t spin_us)
    : threads_(threads < 1 ? 1 : threads), spin_us_(spin_us) {
  workers_.reserve(static_cast<size_t>(threads_ - 1));
  // Workers are born with asynchronous signals blocked, so that the calling
  // thread, which may be waiting for input, is the one a Ctrl-C reaches.
  // The faults a worker's own instructions raise stay deliverable: a blocked
  // SIGBUS from a truncated mapped file would end the process unexplained.
  sigset_t asynchronous, saved;
  sigfillset(&asynchronous);
  for (int sig : {SIGBUS, SIGSEGV, SIGFPE, SIGILL, SIGTRAP, SIGSYS}) sigdelset(&asynchronous, sig);
  pthread_sigmask(SIG_BLOCK, &asynchronous, &saved);
  for (int i = 1; i < threads_; ++i) workers_.emplace_back([this] { worker_main(); });
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_seq_cst);
  // A new epoch wakes spinners and sleepers alike; they then see stop_.
  wake_.fetch_add(1, std::memory_order_seq_cst);
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::parallel_for(int count, TaskFn fn, void* context) {
  if (count <= 0) return;
  if (workers_.empty() || count == 1) {
    for (int t = 0; t < count; ++t) fn(context, t);
    return;
  }
  fn_ = fn;
  context_ = context;
  for (int base = 0; base < count; base += kMaxRound) {
    base_ = base;
    run_round(count - base < kMaxRound ? count - base : kMaxRound);
  }
}

void ThreadPool::run_round(int count) {
  // Every task of the previous round is done (we waited for that), so no
  // worker can be reading fn_, context_ or base_ for a task it may run.
  done_.store(0, std::memory_order_relaxed);
  const uint32_t epoch = ++epoch_;
  claim_.store(uint64_t{epoch} << kEpochShift | static_cast<uint64_t>(count) << kCountShift,
               std::memory_order_release);
  // seq_cst store then seq_cst load of sleepers_, against the worker's
  // increment of sleepers_ then load of wake_: one of the two sides sees the
  // other, so a worker never sleeps through a job (and we skip the futex
  // syscall while everyone is spinning).
  wake_.store(epoch, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) wake_.notify_all();

  run_tasks(epoch);

  // A worker may still be finishing a task it claimed. Spin (it is short),
  // but yield after a while in case that worker was preempted and needs
  // this core to finish.
  uint32_t spins = 0;
  while (done_.load(std::memory_order_acquire) != count) {
    if (++spins < 4096) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
}

void ThreadPool::run_tasks(uint32_t epoch) {
  uint64_t word = claim_.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<uint32_t>(word >> kEpochShift) != epoch) return;  // a later job
    const auto index = static_cast<int>(word & kFieldMask);
    if (index >= static_cast<int>((word >> kCountShift) & kFieldMask)) return;
    if (!claim_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      continue;  // word now holds the current value
    }
    // The job cannot change until this task is counted in done_.
    fn_(context_, base_ + index);
    done_.fetch_add(1, std::memory_order_release);
    word = claim_.load(std::memory_order_acquire);
  }
}

uint32_t ThreadPool::wait_for_job(uint32_t seen) {
  uint32_t now = wake_.load(std::memory_order_acquire);
  if (now != seen) return now;
  const uint64_t deadline = now_ns() + uint64_t{spin_us_} * 1000;
  for (uint32_t i = 1;; ++i) {
    cpu_relax();
    now = wake_.load(std::memory_order_acquire);
    if (now != seen) return now;
    // Reading the clock costs more than a poll; do it now and then.
    if ((i & 63) == 0 && now_ns() >= deadline) break;
  }
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  while ((now = wake_.load(std::memory_order_seq_cst)) == seen) wake_.wait(seen);
  sleepers_.fetch_sub(1, std::memory_order_relaxed);
  return now;
}

void ThreadPool::worker_main() {
  uint32_t seen = 0;
  for (;;) {
    seen = wait_for_job(seen);
    if (stop_.load(std::memory_order_acquire)) return;
    run_tasks(seen);
  }
}

}  // namespace llmcu::host
