// llmcu on the ESP32-S3: maps the model container from flash, starts the
// worker on core 1 and runs the portable app loop (src/device). Only ESP-IDF
// calls live here; everything else is tested on the host. The same file runs
// on ESP-IDF's linux target, with linux_board.h standing in for the board.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "app.h"
#include "esp_heap_caps.h"
#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "freertos_executor.h"
#include "line_editor.h"
#include "llmcu/arena.h"
#include "model_partition.h"
#include "sdkconfig.h"
#include "settings.h"
#if CONFIG_IDF_TARGET_LINUX
#include "linux_board.h"
#endif

namespace {

const char* const kTag = "llmcu";

constexpr uint32_t kInternalCaps = MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT;
constexpr uint32_t kPsramCaps = MALLOC_CAP_SPIRAM | MALLOC_CAP_8BIT;

class EspHost final : public llmcu::device::Host {
 public:
  void log(const char* line) override { ESP_LOGI(kTag, "%s", line); }

  void write_text(std::string_view text) override {
    fwrite(text.data(), 1, text.size(), stdout);
    fflush(stdout);  // stream token by token
  }

  llmcu::device::HeapInfo heap() override {
#if CONFIG_IDF_TARGET_LINUX
    return ram_.heap();
#else
    llmcu::device::HeapInfo h;
    h.internal_free = heap_caps_get_free_size(kInternalCaps);
    h.internal_largest = heap_caps_get_largest_free_block(kInternalCaps);
    h.external_free = heap_caps_get_free_size(kPsramCaps);
    h.external_largest = heap_caps_get_largest_free_block(kPsramCaps);
    return h;
#endif
  }

  // The app asks once, after the first generation: by then the worker has
  // run every kernel. uxTaskGetStackHighWaterMark counts bytes on ESP-IDF.
  bool worker_stack(llmcu::device::StackUse* use) override {
#if CONFIG_IDF_TARGET_LINUX
    // The POSIX port runs each task on a pthread stack of its own, so the
    // FreeRTOS stack's high-water mark says nothing there.
    (void)use;
    return false;
#else
    if (worker_ == nullptr || worker_->concurrency() < 2) return false;
    use->size_bytes = worker_stack_bytes_;
    use->never_used_bytes = worker_->worker_stack_high_water_bytes();
    return true;
#endif
  }

  void set_worker(const llmcu::platform::FreeRtosExecutor* worker, uint32_t stack_bytes) {
    worker_ = worker;
    worker_stack_bytes_ = stack_bytes;
  }

  uint8_t* allocate(size_t bytes, llmcu::device::ArenaPlace place) override {
#if CONFIG_IDF_TARGET_LINUX
    return ram_.allocate(bytes, place);
#else
    const uint32_t caps =
        place == llmcu::device::ArenaPlace::kInternal ? kInternalCaps : kPsramCaps;
    return static_cast<uint8_t*>(heap_caps_aligned_alloc(llmcu::Arena::kAlignment, bytes, caps));
#endif
  }

  // The console's default VFS read is non-blocking and returns EOF when no
  // byte is waiting: poll every 20 ms. This needs no UART or USB-Serial-JTAG
  // driver, so it works on either console without touching how logs go out.
  bool read_line(std::string_view* line) override {
    for (;;) {
      const int c = fgetc(stdin);
#if CONFIG_IDF_TARGET_LINUX
      // A PC's stdin ends (a pipe or file runs out); the board's console never does.
      if (c == EOF && feof(stdin)) return false;
#endif
      if (c == EOF) {
        clearerr(stdin);
        vTaskDelay(pdMS_TO_TICKS(20));
        continue;
      }
      const llmcu::device::LineEditor::Step step = editor_.feed(static_cast<uint8_t>(c));
      if (step.echo_bytes > 0) {
        fwrite(step.echo, 1, step.echo_bytes, stdout);
        fflush(stdout);
      }
      if (step.line_done) {
        if (editor_.truncated()) ESP_LOGW(kTag, "line longer than %u bytes: cut", 1024u);
        *line = editor_.line();
        return true;
      }
    }
  }

#if CONFIG_IDF_TARGET_LINUX
  linux_board::EmulatedRam& ram() {
    return ram_;
  }
#endif

 private:
#if CONFIG_IDF_TARGET_LINUX
  linux_board::EmulatedRam ram_;
#endif
  llmcu::device::LineEditor editor_;
  const llmcu::platform::FreeRtosExecutor* worker_ = nullptr;
  uint32_t worker_stack_bytes_ = 0;
};

llmcu::device::RawSettings raw_settings() {
  llmcu::device::RawSettings raw;
  raw.prompt = CONFIG_LLMCU_PROMPT;
  raw.temperature = CONFIG_LLMCU_TEMPERATURE;
  raw.topp = CONFIG_LLMCU_TOPP;
  raw.steps = CONFIG_LLMCU_STEPS;
  raw.generations = CONFIG_LLMCU_GENERATIONS;
  raw.seed = CONFIG_LLMCU_SEED;
  raw.cores = CONFIG_LLMCU_CORES;
  raw.partition_label = CONFIG_LLMCU_MODEL_PARTITION;
  raw.seq_len = CONFIG_LLMCU_SEQ_LEN;
  raw.max_prompt_bytes = CONFIG_LLMCU_MAX_PROMPT_BYTES;
  raw.internal_reserve_kb = CONFIG_LLMCU_INTERNAL_RESERVE_KB;
#ifdef CONFIG_LLMCU_VERIFY_CHECKSUMS
  raw.verify_checksums = true;
#else
  raw.verify_checksums = false;
#endif
#ifdef CONFIG_LLMCU_INTERACTIVE
  raw.interactive = true;
#else
  raw.interactive = false;
#endif
  return raw;
}

// Static: large objects stay off app_main's stack and live for the whole run
// (the generator points into the app, the app into the mapping).
EspHost g_host;
llmcu::device::App g_app;
llmcu::platform::FreeRtosExecutor g_executor;

// Logs the first error and returns false; true once everything ran.
bool run() {
  llmcu::Result<llmcu::device::Settings> settings = llmcu::device::parse_settings(raw_settings());
  if (!settings.is_ok()) {
    ESP_LOGE(kTag, "%s", settings.status().message());
    return false;
  }
#if CONFIG_IDF_TARGET_LINUX
  llmcu::Status board = linux_board::use_flash_image();
  if (board.is_ok()) board = g_host.ram().init();
  if (!board.is_ok()) {
    ESP_LOGE(kTag, "%s", board.message());
    return false;
  }
  ESP_LOGI(kTag, "linux target: flash image %s; emulated RAM: internal %lu KiB, PSRAM %lu KiB",
           getenv("LLMCU_FLASH_IMAGE") != nullptr ? getenv("LLMCU_FLASH_IMAGE")
                                                  : "(none: an erased flash)",
           static_cast<unsigned long>(g_host.ram().internal_bytes() / 1024),
           static_cast<unsigned long>(g_host.ram().psram_bytes() / 1024));
#endif

  llmcu::Result<llmcu::platform::MappedPartition> partition =
      llmcu::platform::map_model_partition(settings->partition_label);
  if (!partition.is_ok()) {
    ESP_LOGE(kTag, "%s", partition.status().message());
    return false;
  }
  ESP_LOGI(kTag, "partition '%s' found at 0x%lx, %lu bytes; container mapped: %lu bytes",
           partition->label, static_cast<unsigned long>(partition->address),
           static_cast<unsigned long>(partition->partition_size),
           static_cast<unsigned long>(partition->container.size()));

  llmcu::platform::FreeRtosExecutor::Config executor_config;
  executor_config.cores = settings->cores;
  executor_config.stack_bytes = CONFIG_LLMCU_WORKER_STACK_BYTES;
  // Same priority as app_main: neither preempts the other, and both sit
  // above IDLE so the work is never starved.
  executor_config.priority = static_cast<unsigned>(uxTaskPriorityGet(nullptr));
#if CONFIG_IDF_TARGET_LINUX
  // One core: a worker of app_main's priority would only run once app_main
  // waits for it, and by then app_main has run every task itself. One level
  // higher, it preempts app_main at each fork and runs the job, so the run
  // exercises the worker's side.
  executor_config.priority += 1;
#endif
  llmcu::Status started = g_executor.start(executor_config);
  if (!started.is_ok()) {
    ESP_LOGE(kTag, "%s", started.message());
    return false;
  }
  g_host.set_worker(&g_executor, executor_config.stack_bytes);
  if (g_executor.worker_core() >= 0) {
    ESP_LOGI(kTag, "worker task on core %d, stack %lu bytes", g_executor.worker_core(),
             static_cast<unsigned long>(executor_config.stack_bytes));
  }

  llmcu::Status loaded =
      g_app.load(*settings, partition->container, partition->name, g_host, &g_executor);
  if (!loaded.is_ok()) {
    ESP_LOGE(kTag, "%s", loaded.message());
    return false;
  }
  llmcu::Status batch = g_app.run_batch();
  if (!batch.is_ok()) {
    ESP_LOGE(kTag, "%s", batch.message());
    return false;
  }
  if (g_executor.worker_core() >= 0) {
    const uint64_t shared = g_executor.tasks_shared();
    const uint64_t on_worker = g_executor.tasks_on_worker();
    ESP_LOGI(kTag, "worker task ran %llu of the %llu tasks shared with it (%llu%%)",
             static_cast<unsigned long long>(on_worker), static_cast<unsigned long long>(shared),
             static_cast<unsigned long long>(shared > 0 ? on_worker * 100 / shared : 0));
  }
  if (settings->interactive) {
    // Unbuffered: the line editor sees each byte as it arrives.
    setvbuf(stdin, nullptr, _IONBF, 0);
    llmcu::Status interactive = g_app.run_interactive();
    if (!interactive.is_ok()) {
      ESP_LOGE(kTag, "%s", interactive.message());
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" void app_main(void) {
  const bool ok = run();
  ESP_LOGI(kTag, "done");
#if CONFIG_IDF_TARGET_LINUX
  // On a PC the process would idle forever after app_main returns.
  fflush(stdout);
  exit(ok ? EXIT_SUCCESS : EXIT_FAILURE);
#else
  (void)ok;
#endif
}
