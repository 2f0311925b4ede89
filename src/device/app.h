// The app both firmwares run (the ESP32-S3's and the bare-metal Cortex-M
// image): load model and tokenizer in place (from a container, or as two
// blobs), plan and place the arena, then generate, logging each step like the
// existing ESP32 ports do. Everything here is portable; the device supplies a
// Host (log, console, heap) and an Executor, and the host tests supply fakes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "llmcu/executor.h"
#include "llmcu/generator.h"
#include "llmcu/memory_plan.h"
#include "llmcu/model.h"
#include "llmcu/status.h"
#include "settings.h"

namespace llmcu::device {

struct HeapInfo {
  size_t internal_free = 0;
  size_t internal_largest = 0;  // largest single allocation possible
  size_t external_free = 0;     // PSRAM; 0 on boards without it
  size_t external_largest = 0;
};

enum class ArenaPlace : uint8_t { kInternal, kExternal };
const char* arena_place_name(ArenaPlace place);

// Where the session's memory goes: one block, or the KV cache apart from the
// rest (MemoryPlan::hot_bytes()).
struct ArenaLayout {
  bool kv_apart = false;
  ArenaPlace hot = ArenaPlace::kExternal;  // the arena; without the KV cache if kv_apart
  ArenaPlace kv = ArenaPlace::kExternal;   // the KV cache, if kv_apart
};

// In order of preference, each internal RAM block leaving `internal_reserve`
// bytes free: the whole arena in internal RAM (no cache misses at all); the
// hot buffers in internal RAM and the KV cache in PSRAM (the cache is the
// bulk, streamed a row per position, while every matvec reads and writes the
// hot buffers); the whole arena in PSRAM. An error that says what is missing
// when none fits, and names `context_option` (the setting that shortens the
// context on this device).
Result<ArenaLayout> choose_arena_layout(const MemoryPlan& plan, const HeapInfo& heap,
                                        size_t internal_reserve,
                                        const char* context_option = "CONFIG_LLMCU_SEQ_LEN");

// What the worker task's stack looked like after the first generation.
struct StackUse {
  uint32_t size_bytes = 0;
  uint32_t never_used_bytes = 0;  // FreeRTOS high-water mark (bytes on ESP-IDF)
};

// The stack size to configure for a measured use: peak use plus
// `kWorkerStackMarginBytes`, rounded up to 256 bytes and at least
// kMinWorkerStackBytes (the Kconfig range's lower end).
inline constexpr uint32_t kWorkerStackMarginBytes = 1024;
inline constexpr uint32_t kMinWorkerStackBytes = 2048;
uint32_t suggested_worker_stack_bytes(const StackUse& use);

class Host {
 public:
  // One complete log line, without a newline.
  virtual void log(const char* line) = 0;
  // Generated text, streamed piece by piece.
  virtual void write_text(std::string_view text) = 0;
  // After a generation's last piece: llama2.c's final newline.
  virtual void end_text() { write_text("\n"); }
  virtual HeapInfo heap() = 0;
  // `bytes` aligned to Arena::kAlignment in the given memory, or nullptr.
  virtual uint8_t* allocate(size_t bytes, ArenaPlace place) = 0;
  // Blocks for the next console line; false when the console has ended.
  virtual bool read_line(std::string_view* line) = 0;
  // The worker task's stack, or false when there is no worker (one core).
  // Asked once, after the first generation: by then the worker has run every
  // kernel it will ever run, so the mark is close to its peak.
  virtual bool worker_stack(StackUse* use) {
    (void)use;
    return false;
  }

 protected:
  ~Host() = default;
};

// A model and its tokenizer as two blobs, each read in place.
struct ModelParts {
  std::span<const uint8_t> model;
  const char* model_name = "model";
  std::span<const uint8_t> tokenizer;
  const char* tokenizer_name = "tokenizer";
};

class App {
 public:
  App() = default;
  App(const App&) = delete;  // the generator points into this object
  App& operator=(const App&) = delete;

  // `bytes` holds a container (`llmcu pack`; a mapped partition may be
  // longer); it must stay mapped while the App is used. `executor` may be
  // null (one core).
  Status load(const Settings& settings, std::span<const uint8_t> bytes, const char* name,
              Host& host, Executor* executor);
  // The same for a model and tokenizer that are not in a container.
  Status load(const Settings& settings, const ModelParts& parts, Host& host, Executor* executor);

  // One generation of `prompt` with the configured sampling, streamed to the
  // host; `label` names it in the log ("1/3", "prompt 2").
  Result<GenerationStats> generate(std::string_view prompt, uint64_t seed, const char* label);

  // settings.generations stories from the configured prompt, seeds s, s+1, ...
  Status run_batch();
  // One generation per console line (an empty line repeats the configured
  // prompt) until the console ends. A prompt that cannot be used is logged
  // and skipped, not fatal.
  Status run_interactive();

  const Model& model() const { return model_; }
  const MemoryPlan& plan() const { return plan_; }
  const ArenaLayout& arena_layout() const { return layout_; }
  const Generator& generator() const { return generator_; }
  int32_t generations_done() const { return generations_done_; }

 private:
  void log_heap(const char* when);
  Status create_generator(const ModelParts& parts, Executor* executor);
  void log_longest_context(const HeapInfo& heap);
  SessionOptions session_options() const;
  void log_worker_stack();
  void logf(const char* format, ...) __attribute__((format(printf, 2, 3)));

  Settings settings_;
  Host* host_ = nullptr;
  Model model_;
  MemoryPlan plan_;
  Generator generator_;
  ArenaLayout layout_;
  int32_t generations_done_ = 0;
  bool loaded_ = false;
};

}  // namespace llmcu::device
