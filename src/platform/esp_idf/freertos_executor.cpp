// FreeRtosExecutor: ForkJoin over FreeRTOS direct task notifications, the
// cheapest blocking wake-up FreeRTOS has. A cross-core notification costs an
// inter-processor interrupt; blocking (not spinning) keeps IDLE1 running, so
// the task watchdog stays quiet and core 1 can sleep between jobs.
#include "freertos_executor.h"

#include <new>

#include "esp_heap_caps.h"
#include "fork_join.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "sdkconfig.h"

namespace llmcu::platform {
namespace {

struct NotifySignals {
  TaskHandle_t worker = nullptr;
  TaskHandle_t caller = nullptr;  // set once in start(): the only task that forks

  void wake_worker(int) { xTaskNotifyGive(worker); }
  void wait_for_work(int) { ulTaskNotifyTake(pdTRUE, portMAX_DELAY); }
  void wake_caller() { xTaskNotifyGive(caller); }
  void wait_for_workers() { ulTaskNotifyTake(pdTRUE, portMAX_DELAY); }
};

// CONFIG_FREERTOS_NUMBER_OF_CORES replaces portNUM_PROCESSORS from ESP-IDF 5.3
// on; the older name is deprecated.
#if defined(CONFIG_FREERTOS_NUMBER_OF_CORES)
constexpr int kFreeRtosCores = CONFIG_FREERTOS_NUMBER_OF_CORES;
#else
constexpr int kFreeRtosCores = portNUM_PROCESSORS;
#endif

}  // namespace

struct FreeRtosExecutor::State {
  NotifySignals signals;
  ForkJoin<NotifySignals, 1> join{&signals, 1};
};

namespace {

void worker_main(void* arg) {
  auto* join = static_cast<ForkJoin<NotifySignals, 1>*>(arg);
  while (join->serve(0)) {
  }
  vTaskDelete(nullptr);
}

}  // namespace

Status FreeRtosExecutor::start(const Config& config) {
  if (state_ != nullptr) {
    return Status::error(StatusCode::kInvalidArgument, "FreeRtosExecutor::start called twice");
  }
  if (config.cores != 1 && config.cores != 2) {
    return Status::error(StatusCode::kInvalidArgument, "cores must be 1 or 2, not %d",
                         config.cores);
  }
  if (config.cores == 1) return Status::ok();
#if CONFIG_IDF_TARGET_LINUX
  // ESP-IDF's linux target runs FreeRTOS on one core: the worker shares it
  // with the caller, which exercises the fork/join as on the board but gains
  // no speed.
  const BaseType_t worker_core = kFreeRtosCores < 2 ? 0 : 1;
#else
  if (kFreeRtosCores < 2) {
    return Status::error(StatusCode::kUnsupported,
                         "2 cores configured but FreeRTOS runs on one (CONFIG_FREERTOS_UNICORE?)");
  }
  const BaseType_t worker_core = 1;
#endif
  // Internal RAM: the atomics and notifications of every fork live here, and
  // they must not go through the PSRAM cache.
  void* memory = heap_caps_malloc(sizeof(State), MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT);
  if (memory == nullptr) {
    return Status::error(StatusCode::kResourceExhausted,
                         "no internal RAM for the executor state (%u bytes)",
                         static_cast<unsigned>(sizeof(State)));
  }
  auto* state = new (memory) State;
  state->signals.caller = xTaskGetCurrentTaskHandle();
  const BaseType_t created = xTaskCreatePinnedToCore(
      worker_main, "llmcu_worker", config.stack_bytes, &state->join,
      static_cast<UBaseType_t>(config.priority), &state->signals.worker, worker_core);
  if (created != pdPASS) {
    state->~State();
    heap_caps_free(memory);
    return Status::error(StatusCode::kResourceExhausted,
                         "could not create the worker task on core %d (stack %lu bytes)",
                         static_cast<int>(worker_core),
                         static_cast<unsigned long>(config.stack_bytes));
  }
  state_ = state;
  worker_core_ = static_cast<int>(worker_core);
  return Status::ok();
}

int FreeRtosExecutor::concurrency() const {
  return state_ != nullptr ? 2 : 1;
}

void FreeRtosExecutor::parallel_for(int count, TaskFn fn, void* context) {
  if (state_ == nullptr) {
    for (int t = 0; t < count; ++t) fn(context, t);
    return;
  }
  state_->join.run(count, fn, context);
}

uint64_t FreeRtosExecutor::tasks_shared() const {
  return state_ != nullptr ? state_->join.tasks_shared() : 0;
}

uint64_t FreeRtosExecutor::tasks_on_worker() const {
  return state_ != nullptr ? state_->join.tasks_on_workers() : 0;
}

uint32_t FreeRtosExecutor::worker_stack_high_water_bytes() const {
  if (state_ == nullptr) return 0;
  // ESP-IDF reports the high-water mark in bytes, not stack words.
  return static_cast<uint32_t>(uxTaskGetStackHighWaterMark(state_->signals.worker));
}

}  // namespace llmcu::platform
