// The core's Executor on ESP-IDF FreeRTOS: the calling task (app_main, on
// core 0) and one persistent worker task pinned to core 1 share each
// parallel_for through ForkJoin, woken by direct task notifications. With one
// core configured there is no worker and everything runs inline. On ESP-IDF's
// linux target (one FreeRTOS core) the worker shares core 0.
//
// No FreeRTOS header here: the app includes this without the kernel's macros.
#pragma once

#include <cstdint>

#include "llmcu/executor.h"
#include "llmcu/status.h"

namespace llmcu::platform {

class FreeRtosExecutor final : public Executor {
 public:
  struct Config {
    int cores = 2;                // 1: inline only; 2: a worker on core 1
    uint32_t stack_bytes = 4096;  // ESP-IDF task stacks are sized in bytes
    unsigned priority = 1;        // the worker's FreeRTOS priority
  };

  FreeRtosExecutor() = default;
  FreeRtosExecutor(const FreeRtosExecutor&) = delete;
  FreeRtosExecutor& operator=(const FreeRtosExecutor&) = delete;
  // The worker is meant to live as long as the app; stopping it is not supported.
  ~FreeRtosExecutor() = default;

  // Creates the worker task (cores == 2). Call once, from the task that will
  // call parallel_for.
  Status start(const Config& config);

  int concurrency() const override;
  void parallel_for(int count, TaskFn fn, void* context) override;

  // The least free stack the worker has had, in bytes (0 without a worker):
  // log it after a generation to size Config::stack_bytes.
  uint32_t worker_stack_high_water_bytes() const;

  // Tasks handed to the worker's fork/joins so far, and how many the worker
  // ran (0 and 0 without a worker).
  uint64_t tasks_shared() const;
  uint64_t tasks_on_worker() const;

  // The core the worker task is pinned to, or -1 without a worker. Core 1 on
  // the ESP32-S3; 0 on ESP-IDF's linux target, whose FreeRTOS has one core.
  int worker_core() const { return worker_core_; }

 private:
  struct State;
  State* state_ = nullptr;
  int worker_core_ = -1;
};

}  // namespace llmcu::platform
