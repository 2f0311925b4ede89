// Fork/join over a fixed set of workers. The core splits work into `count`
// independent tasks and never creates threads itself; a platform backend
// (host thread pool, FreeRTOS task on the second core) or the inline
// executor below runs them.
#pragma once

namespace llmcu {

using TaskFn = void (*)(void* context, int task);

class Executor {
 public:
  // How many tasks can run at once; the core makes this many chunks.
  virtual int concurrency() const = 0;
  // Runs fn(context, t) once for each t in [0, count) and returns when all
  // have finished. Tasks may run in any order and on any worker.
  virtual void parallel_for(int count, TaskFn fn, void* context) = 0;

 protected:
  ~Executor() = default;
};

// Runs every task on the calling thread: single-core targets and tests.
class InlineExecutor final : public Executor {
 public:
  int concurrency() const override { return 1; }
  void parallel_for(int count, TaskFn fn, void* context) override {
    for (int t = 0; t < count; ++t) fn(context, t);
  }
};

}  // namespace llmcu
