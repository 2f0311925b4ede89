// llmcu on the ESP32-S3: maps the model container from flash, starts the
// worker on core 1 and runs the portable app loop (src/app). Only ESP-IDF
// calls live here; everything else is tested on the host.
#include <cstdio>
#include <string_view>

#include "app.h"
#include "app_settings.h"
#include "esp_heap_caps.h"
#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "freertos_executor.h"
#include "line_editor.h"
#include "llmcu/arena.h"
#include "model_partition.h"
#include "sdkconfig.h"

namespace {

const char* const kTag = "llmcu";

constexpr uint32_t kInternalCaps = MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT;
constexpr uint32_t kPsramCaps = MALLOC_CAP_SPIRAM | MALLOC_CAP_8BIT;

class EspHost final : public llmcu::app::Host {
 public:
  void log(const char* line) override { ESP_LOGI(kTag, "%s", line); }

  void write_text(std::string_view text) override {
    fwrite(text.data(), 1, text.size(), stdout);
    fflush(stdout);  // stream token by token
  }

  llmcu::app::HeapInfo heap() override {
    llmcu::app::HeapInfo h;
    h.internal_free = heap_caps_get_free_size(kInternalCaps);
    h.internal_largest = heap_caps_get_largest_free_block(kInternalCaps);
    h.external_free = heap_caps_get_free_size(kPsramCaps);
    h.external_largest = heap_caps_get_largest_free_block(kPsramCaps);
    return h;
  }

  // The app asks once, after the first generation: by then the worker has
  // run every kernel. uxTaskGetStackHighWaterMark counts bytes on ESP-IDF.
  bool worker_stack(llmcu::app::StackUse* use) override {
    if (worker_ == nullptr || worker_->concurrency() < 2) return false;
    use->size_bytes = worker_stack_bytes_;
    use->never_used_bytes = worker_->worker_stack_high_water_bytes();
    return true;
  }

  void set_worker(const llmcu::platform::FreeRtosExecutor* worker, uint32_t stack_bytes) {
    worker_ = worker;
    worker_stack_bytes_ = stack_bytes;
  }

  uint8_t* allocate(size_t bytes, llmcu::app::ArenaPlace place) override {
    const uint32_t caps = place == llmcu::app::ArenaPlace::kInternal ? kInternalCaps : kPsramCaps;
    return static_cast<uint8_t*>(heap_caps_aligned_alloc(llmcu::Arena::kAlignment, bytes, caps));
  }

  // The console's default VFS read is non-blocking and returns EOF when no
  // byte is waiting: poll every 20 ms. This needs no UART or USB-Serial-JTAG
  // driver, so it works on either console without touching how logs go out.
  bool read_line(std::string_view* line) override {
    for (;;) {
      const int c = fgetc(stdin);
      if (c == EOF) {
        clearerr(stdin);
        vTaskDelay(pdMS_TO_TICKS(20));
        continue;
      }
      const llmcu::app::LineEditor::Step step = editor_.feed(static_cast<uint8_t>(c));
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

 private:
  llmcu::app::LineEditor editor_;
  const llmcu::platform::FreeRtosExecutor* worker_ = nullptr;
  uint32_t worker_stack_bytes_ = 0;
};

llmcu::app::RawSettings raw_settings() {
  llmcu::app::RawSettings raw;
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
llmcu::app::App g_app;
llmcu::platform::FreeRtosExecutor g_executor;

void run() {
  llmcu::Result<llmcu::app::Settings> settings = llmcu::app::parse_settings(raw_settings());
  if (!settings.is_ok()) {
    ESP_LOGE(kTag, "%s", settings.status().message());
    return;
  }

  llmcu::Result<llmcu::platform::MappedPartition> partition =
      llmcu::platform::map_model_partition(settings->partition_label);
  if (!partition.is_ok()) {
    ESP_LOGE(kTag, "%s", partition.status().message());
    return;
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
  llmcu::Status started = g_executor.start(executor_config);
  if (!started.is_ok()) {
    ESP_LOGE(kTag, "%s", started.message());
    return;
  }
  g_host.set_worker(&g_executor, executor_config.stack_bytes);

  llmcu::Status loaded =
      g_app.load(*settings, partition->container, partition->label, g_host, &g_executor);
  if (!loaded.is_ok()) {
    ESP_LOGE(kTag, "%s", loaded.message());
    return;
  }
  llmcu::Status batch = g_app.run_batch();
  if (!batch.is_ok()) {
    ESP_LOGE(kTag, "%s", batch.message());
    return;
  }
  if (settings->interactive) {
    // Unbuffered: the line editor sees each byte as it arrives.
    setvbuf(stdin, nullptr, _IONBF, 0);
    llmcu::Status interactive = g_app.run_interactive();
    if (!interactive.is_ok()) ESP_LOGE(kTag, "%s", interactive.message());
  }
}

}  // namespace

extern "C" void app_main(void) {
  run();
  ESP_LOGI(kTag, "done");
}
