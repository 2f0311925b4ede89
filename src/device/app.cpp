#include "app.h"

#include <cstdarg>
#include <cstdio>

#include "llmcu/container.h"
#include "llmcu/platform.h"

namespace llmcu::device {
namespace {

void write_piece(void* user, std::string_view piece) {
  static_cast<Host*>(user)->write_text(piece);
}

unsigned long kib(size_t bytes) {
  return static_cast<unsigned long>((bytes + 1023) / 1024);
}

// One block big enough, and `internal_reserve` left free in total afterwards.
// Subtraction only after the guard: no wrap for huge plans.
bool fits_internal(size_t bytes, const HeapInfo& heap, size_t internal_reserve) {
  return heap.internal_free >= internal_reserve && bytes <= heap.internal_free - internal_reserve &&
         bytes <= heap.internal_largest;
}

// A mark above the size (a host reporting nonsense) counts as no use at all.
uint32_t peak_stack_bytes(const StackUse& use) {
  return use.never_used_bytes < use.size_bytes ? use.size_bytes - use.never_used_bytes : 0;
}

}  // namespace

const char* arena_place_name(ArenaPlace place) {
  return place == ArenaPlace::kInternal ? "internal RAM" : "PSRAM";
}

Result<ArenaLayout> choose_arena_layout(const MemoryPlan& plan, const HeapInfo& heap,
                                        size_t internal_reserve, const char* context_option) {
  ArenaLayout layout;
  if (fits_internal(plan.arena_bytes, heap, internal_reserve)) {
    layout.hot = ArenaPlace::kInternal;
    return layout;
  }
  if (fits_internal(plan.hot_bytes(), heap, internal_reserve) &&
      plan.kv_cache <= heap.external_largest) {
    layout.kv_apart = true;
    layout.hot = ArenaPlace::kInternal;
    layout.kv = ArenaPlace::kExternal;
    return layout;
  }
  if (plan.arena_bytes <= heap.external_largest) return layout;  // all of it in PSRAM
  // Kept under Status::kMaxMessage with 10-digit sizes: a cut message would lose the hint.
  return Status::error(StatusCode::kResourceExhausted,
                       "arena: %lu bytes needed (KV cache %lu); largest free blocks: PSRAM %lu, "
                       "internal RAM %lu (%lu kept free); plan a shorter context "
                       "(%s; `llmcu plan MODEL --ram BYTES`)",
                       static_cast<unsigned long>(plan.arena_bytes),
                       static_cast<unsigned long>(plan.kv_cache),
                       static_cast<unsigned long>(heap.external_largest),
                       static_cast<unsigned long>(heap.internal_largest),
                       static_cast<unsigned long>(internal_reserve), context_option);
}

uint32_t suggested_worker_stack_bytes(const StackUse& use) {
  const uint64_t wanted =
      (uint64_t{peak_stack_bytes(use)} + kWorkerStackMarginBytes + 255) / 256 * 256;
  if (wanted < kMinWorkerStackBytes) return kMinWorkerStackBytes;
  return wanted > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(wanted);
}

void App::logf(const char* format, ...) {
  char line[256];
  va_list args;
  va_start(args, format);
  vsnprintf(line, sizeof(line), format, args);
  va_end(args);
  host_->log(line);
}

void App::log_heap(const char* when) {
  const HeapInfo h = host_->heap();
  logf(
      "heap %s: internal %lu KiB free (largest block %lu KiB), PSRAM %lu KiB free (largest "
      "block %lu KiB)",
      when, kib(h.internal_free), kib(h.internal_largest), kib(h.external_free),
      kib(h.external_largest));
}

Status App::load(const Settings& settings, std::span<const uint8_t> bytes, const char* name,
                 Host& host, Executor* executor) {
  settings_ = settings;
  host_ = &host;
  loaded_ = false;
  const uint64_t check_start = platform::now_us();
  LLMCU_TRY_ASSIGN(const Container container,
                   open_container(bytes, name, settings.verify_checksums));
  const ContainerHeader& h = container.header;
  logf("container: %lu bytes; model %lu bytes at +%lu, tokenizer %lu bytes at +%lu; checksums %s",
       static_cast<unsigned long>(h.total_bytes), static_cast<unsigned long>(h.model_bytes),
       static_cast<unsigned long>(h.model_offset), static_cast<unsigned long>(h.tokenizer_bytes),
       static_cast<unsigned long>(h.tokenizer_offset),
       settings.verify_checksums ? "verified" : "not checked (CONFIG_LLMCU_VERIFY_CHECKSUMS=n)");
  if (settings.verify_checksums) {
    logf("checksums took %lu ms",
         static_cast<unsigned long>((platform::now_us() - check_start) / 1000));
  }
  return load(settings, ModelParts{container.model, name, container.tokenizer, name}, host,
              executor);
}

Status App::load(const Settings& settings, const ModelParts& parts, Host& host,
                 Executor* executor) {
  settings_ = settings;
  host_ = &host;
  loaded_ = false;
  LLMCU_TRY_ASSIGN(model_, load_model(parts.model, parts.model_name));
  const ModelConfig& c = model_.config;
  logf(
      "model: %s, dim %d, hidden_dim %d, n_layers %d, n_heads %d, n_kv_heads %d, vocab_size %d, "
      "seq_len %d, %llu parameters, read in place",
      model_format_name(model_.format), static_cast<int>(c.dim), static_cast<int>(c.hidden_dim),
      static_cast<int>(c.n_layers), static_cast<int>(c.n_heads), static_cast<int>(c.n_kv_heads),
      static_cast<int>(c.vocab_size), static_cast<int>(c.seq_len),
      static_cast<unsigned long long>(model_.parameter_count));

  LLMCU_TRY_ASSIGN(plan_, plan_memory(model_, session_options()));
  logf(
      "memory plan: seq_len %d, arena %lu bytes (kv cache %lu, activations %lu, logits %lu, "
      "sampler %lu, tokenizer tables %lu, prompt work %lu); weights %lu bytes %s",
      static_cast<int>(plan_.seq_len), static_cast<unsigned long>(plan_.arena_bytes),
      static_cast<unsigned long>(plan_.kv_cache), static_cast<unsigned long>(plan_.activations),
      static_cast<unsigned long>(plan_.logits), static_cast<unsigned long>(plan_.sampler),
      static_cast<unsigned long>(plan_.tokenizer_tables),
      static_cast<unsigned long>(plan_.prompt_work), static_cast<unsigned long>(plan_.weight_bytes),
      settings.weights_place);

  log_heap("before loading");
  LLMCU_TRY(create_generator(parts, executor));
  log_heap("after loading");
  logf("cores: %d", executor != nullptr ? executor->concurrency() : 1);
  loaded_ = true;
  return Status::ok();
}

SessionOptions App::session_options() const {
  SessionOptions session;
  session.seq_len = settings_.seq_len;
  session.max_prompt_bytes = settings_.max_prompt_bytes;
  session.prompt_bytes = settings_.prompt.size();
  return session;
}

void App::log_longest_context(const HeapInfo& heap) {
  // The most a single block could hold: internal RAM past the reserve, or PSRAM.
  size_t budget = heap.external_largest;
  if (heap.internal_free >= settings_.internal_reserve_bytes) {
    const size_t internal = heap.internal_free - settings_.internal_reserve_bytes;
    const size_t block = internal < heap.internal_largest ? internal : heap.internal_largest;
    if (block > budget) budget = block;
  }
  const int32_t longest = max_seq_len_for(model_.config, budget, session_options());
  if (longest > 0) {
    logf("a context of %d positions fits in one block: %s %d", static_cast<int>(longest),
         settings_.context_option, static_cast<int>(longest));
  }
}

Status App::create_generator(const ModelParts& parts, Executor* executor) {
  const HeapInfo heap = host_->heap();
  Result<ArenaLayout> layout =
      choose_arena_layout(plan_, heap, settings_.internal_reserve_bytes, settings_.context_option);
  if (!layout.is_ok()) {
    log_longest_context(heap);
    return layout.status();
  }
  layout_ = *layout;

  std::span<uint8_t> kv_cache;
  if (layout_.kv_apart) {
    // The big block first: if PSRAM cannot give it, internal RAM is untouched.
    uint8_t* kv = host_->allocate(plan_.kv_cache, layout_.kv);
    if (kv == nullptr) {
      return Status::error(
          StatusCode::kResourceExhausted, "could not allocate the %lu-byte KV cache in %s",
          static_cast<unsigned long>(plan_.kv_cache), arena_place_name(layout_.kv));
    }
    kv_cache = std::span<uint8_t>(kv, plan_.kv_cache);
  }
  const size_t arena_bytes = layout_.kv_apart ? plan_.hot_bytes() : plan_.arena_bytes;
  uint8_t* arena = host_->allocate(arena_bytes, layout_.hot);
  if (arena == nullptr) {
    return Status::error(StatusCode::kResourceExhausted,
                         "could not allocate the %lu-byte arena in %s",
                         static_cast<unsigned long>(arena_bytes), arena_place_name(layout_.hot));
  }
  if (layout_.kv_apart) {
    logf("arena: %lu bytes in %s (everything but the KV cache)",
         static_cast<unsigned long>(arena_bytes), arena_place_name(layout_.hot));
    logf("KV cache: %lu bytes in %s", static_cast<unsigned long>(plan_.kv_cache),
         arena_place_name(layout_.kv));
  } else {
    logf("arena: %lu bytes in %s", static_cast<unsigned long>(arena_bytes),
         arena_place_name(layout_.hot));
  }

  LLMCU_TRY_ASSIGN(generator_,
                   Generator::create(model_, parts.tokenizer, parts.tokenizer_name, plan_,
                                     std::span<uint8_t>(arena, arena_bytes), executor, kv_cache));
  return Status::ok();
}

void App::log_worker_stack() {
  StackUse use;
  if (!host_->worker_stack(&use)) return;
  const uint32_t suggested = suggested_worker_stack_bytes(use);
  const uint32_t peak = peak_stack_bytes(use);
  logf(
      "worker stack: %lu of %lu bytes never used after the first generation (peak %lu); "
      "CONFIG_LLMCU_WORKER_STACK_BYTES=%lu leaves %lu bytes of margin",
      static_cast<unsigned long>(use.never_used_bytes), static_cast<unsigned long>(use.size_bytes),
      static_cast<unsigned long>(peak), static_cast<unsigned long>(suggested),
      static_cast<unsigned long>(suggested - peak));
  if (use.never_used_bytes < kWorkerStackMarginBytes) {
    logf("worker stack: less than %lu bytes spare; raise CONFIG_LLMCU_WORKER_STACK_BYTES to %lu",
         static_cast<unsigned long>(kWorkerStackMarginBytes),
         static_cast<unsigned long>(suggested));
  }
}

Result<GenerationStats> App::generate(std::string_view prompt, uint64_t seed, const char* label) {
  if (!loaded_) {
    return Status::error(StatusCode::kInvalidArgument, "generate() before a successful load()");
  }
  logf("Generating (%s)", label);
  GenerateOptions options;
  options.prompt = prompt;
  options.steps = settings_.steps;
  options.temperature = settings_.temperature;
  options.topp = settings_.topp;
  options.seed = seed;
  Result<GenerationStats> stats = generator_.generate(options, write_piece, host_);
  if (!stats.is_ok()) return stats;
  host_->end_text();
  ++generations_done_;
  logf("achieved tok/s: %.2f", stats->tokens_per_s);
  logf("prompt tokens %d, generated tokens %d, positions %d, first token after %.1f ms, seed %llu",
       static_cast<int>(stats->prompt_tokens), static_cast<int>(stats->generated_tokens),
       static_cast<int>(stats->positions), static_cast<double>(stats->prefill_us) / 1000.0,
       static_cast<unsigned long long>(stats->seed));
  if (generations_done_ == 1) log_worker_stack();
  return stats;
}

Status App::run_batch() {
  if (!loaded_) {
    return Status::error(StatusCode::kInvalidArgument, "run_batch() before a successful load()");
  }
  for (int32_t i = 0; i < settings_.generations; ++i) {
    char label[32];
    snprintf(label, sizeof(label), "%d/%d", static_cast<int>(i + 1),
             static_cast<int>(settings_.generations));
    // Seed 0 leaves the choice to the generator: a fresh hardware-RNG seed each time.
    const uint64_t seed = settings_.seed == 0 ? 0 : settings_.seed + static_cast<uint64_t>(i);
    LLMCU_TRY(generate(settings_.prompt, seed, label).status());
  }
  return Status::ok();
}

Status App::run_interactive() {
  if (!loaded_) {
    return Status::error(StatusCode::kInvalidArgument,
                         "run_interactive() before a successful load()");
  }
  logf("interactive: type a prompt and press Enter (an empty line repeats the configured prompt)");
  std::string_view line;
  for (int32_t n = 1; host_->read_line(&line); ++n) {
    const std::string_view prompt = line.empty() ? settings_.prompt : line;
    char label[32];
    snprintf(label, sizeof(label), "prompt %d", static_cast<int>(n));
    Result<GenerationStats> stats = generate(prompt, settings_.seed, label);
    if (!stats.is_ok()) logf("skipped: %s", stats.status().message());
  }
  logf("console closed");
  return Status::ok();
}

}  // namespace llmcu::device
