// The ESP32-S3 firmware's portable parts, run on the host: Kconfig settings,
// console line editing, arena placement, the fork/join protocol of the
// FreeRTOS executor (here over threads and semaphores) and the app loop
// against a fake device.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <memory>
#include <semaphore>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "app.h"
#include "line_editor.h"
#include "llmcu/container.h"
#include "settings.h"
#include "test_internals.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

using device::App;
using device::ArenaPlace;
using device::HeapInfo;
using device::LineEditor;
using device::RawSettings;
using device::Settings;

// ---- settings ------------------------------------------------------------

std::string settings_error(const RawSettings& raw) {
  Result<Settings> s = device::parse_settings(raw);
  return s.is_ok() ? "" : s.status().message();
}

TEST(AppSettings, DefaultsAreValid) {
  RawSettings raw;
  raw.prompt = "Once upon a time";
  Result<Settings> s = device::parse_settings(raw);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s->prompt, "Once upon a time");
  EXPECT_FLOAT_EQ(s->temperature, 1.0f);
  EXPECT_FLOAT_EQ(s->topp, 0.9f);
  EXPECT_EQ(s->cores, 2);
  EXPECT_STREQ(s->partition_label, "model");
  EXPECT_EQ(s->internal_reserve_bytes, 64u * 1024);
}

TEST(AppSettings, ParsesDecimalsStrictly) {
  float v = -1;
  EXPECT_TRUE(device::parse_decimal("0.9", &v));
  EXPECT_FLOAT_EQ(v, 0.9f);
  EXPECT_TRUE(device::parse_decimal("1", &v));
  EXPECT_FLOAT_EQ(v, 1.0f);
  EXPECT_TRUE(device::parse_decimal(".5", &v));
  EXPECT_FLOAT_EQ(v, 0.5f);
  EXPECT_TRUE(device::parse_decimal("-0.25", &v));
  EXPECT_FLOAT_EQ(v, -0.25f);
  for (const char* bad : {"", ".", "1e3", "0,9", " 1", "1 ", "nan", "inf", "0x1", "1.2.3"}) {
    EXPECT_FALSE(device::parse_decimal(bad, &v)) << bad;
  }
  EXPECT_FALSE(device::parse_decimal(nullptr, &v));
}

TEST(AppSettings, NamesTheOptionThatIsOutOfRange) {
  RawSettings raw;
  raw.temperature = "hot";
  EXPECT_NE(settings_error(raw).find("CONFIG_LLMCU_TEMPERATURE"), std::string::npos);
  raw = {};
  raw.topp = "1.5";
  EXPECT_NE(settings_error(raw).find("CONFIG_LLMCU_TOPP"), std::string::npos);
  raw = {};
  raw.cores = 3;
  EXPECT_NE(settings_error(raw).find("CONFIG_LLMCU_CORES is 3"), std::string::npos);
  raw = {};
  raw.generations = 0;
  EXPECT_NE(settings_error(raw).find("CONFIG_LLMCU_GENERATIONS"), std::string::npos);
  raw = {};
  raw.seed = -1;
  EXPECT_NE(settings_error(raw).find("CONFIG_LLMCU_SEED"), std::string::npos);
  raw = {};
  raw.steps = -5;
  EXPECT_NE(settings_error(raw).find("CONFIG_LLMCU_STEPS"), std::string::npos);
  raw = {};
  raw.partition_label = "a_label_longer_than_16";
  EXPECT_NE(settings_error(raw).find("1 to 16 characters"), std::string::npos);
  raw = {};
  raw.partition_label = "";
  EXPECT_NE(settings_error(raw).find("CONFIG_LLMCU_MODEL_PARTITION"), std::string::npos);
  raw = {};
  raw.prompt = "a prompt of more than ten bytes";
  raw.max_prompt_bytes = 10;
  EXPECT_NE(settings_error(raw).find("CONFIG_LLMCU_MAX_PROMPT_BYTES"), std::string::npos);
  raw = {};
  raw.internal_reserve_kb = 1000;
  EXPECT_NE(settings_error(raw).find("CONFIG_LLMCU_INTERNAL_RESERVE_KB"), std::string::npos);
}

// ---- console line editing ----------------------------------------------

std::vector<std::string> feed_all(LineEditor& e, const std::string& bytes, std::string* echo) {
  std::vector<std::string> lines;
  for (char ch : bytes) {
    LineEditor::Step s = e.feed(static_cast<uint8_t>(ch));
    echo->append(s.echo, s.echo_bytes);
    if (s.line_done) lines.emplace_back(e.line());
  }
  return lines;
}

TEST(LineEditor, EndsLinesOnCrLfOrCrLfOnce) {
  LineEditor e;
  std::string echo;
  EXPECT_EQ(feed_all(e, "one\rtwo\nthree\r\nfour\r\n\r\n", &echo),
            (std::vector<std::string>{"one", "two", "three", "four", ""}));
  EXPECT_EQ(echo, "one\r\ntwo\r\nthree\r\nfour\r\n\r\n");
}

TEST(LineEditor, BackspaceErasesWholeCharacters) {
  LineEditor e;
  std::string echo;
  // "h\xc3\xa9" is "hé"; one DEL removes both bytes of the é.
  EXPECT_EQ(feed_all(e, "ab\x08X\x7f\x7f\x7fh\xc3\xa9\x7fi\r", &echo),
            (std::vector<std::string>{"hi"}));
  EXPECT_NE(echo.find("\b \b"), std::string::npos);
}

TEST(LineEditor, IgnoresControlBytesAndCapsTheLength) {
  LineEditor e;
  std::string echo;
  EXPECT_EQ(feed_all(e, "a\x1b[Ab\x01\r", &echo), (std::vector<std::string>{"a[Ab"}));
  EXPECT_FALSE(e.truncated());
  const std::string longer(LineEditor::kCapacity + 10, 'x');
  std::vector<std::string> lines = feed_all(e, longer + "\n", &echo);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].size(), LineEditor::kCapacity);
  EXPECT_TRUE(e.truncated());
  lines = feed_all(e, "ok\n", &echo);
  EXPECT_EQ(lines, std::vector<std::string>{"ok"});
  EXPECT_FALSE(e.truncated());
}

// ---- arena placement ----------------------------------------------------

MemoryPlan plan_of(size_t kv_cache, size_t hot) {
  MemoryPlan p;
  p.kv_cache = kv_cache;
  p.activations = hot;
  p.arena_bytes = kv_cache + hot;
  return p;
}

TEST(ArenaPlacement, WholeArenaInInternalRamWhenItFitsWithTheReserve) {
  const HeapInfo heap{300 * 1024, 200 * 1024, 8 << 20, 7 << 20};
  Result<device::ArenaLayout> l =
      device::choose_arena_layout(plan_of(80 * 1024, 20 * 1024), heap, 64 * 1024);
  ASSERT_TRUE(l.is_ok());
  EXPECT_FALSE(l->kv_apart);
  EXPECT_EQ(l->hot, ArenaPlace::kInternal);
}

TEST(ArenaPlacement, KvCacheToPsramWhenOnlyTheHotBuffersFitInternalRam) {
  const HeapInfo heap{300 * 1024, 200 * 1024, 8 << 20, 7 << 20};
  // Larger than the largest internal block, or eating into the reserve.
  for (auto [kv, reserve] : {std::pair<size_t, size_t>{190 * 1024, 0}, {120 * 1024, 170 * 1024}}) {
    Result<device::ArenaLayout> l =
        device::choose_arena_layout(plan_of(kv, 20 * 1024), heap, reserve);
    ASSERT_TRUE(l.is_ok());
    EXPECT_TRUE(l->kv_apart) << kv;
    EXPECT_EQ(l->hot, ArenaPlace::kInternal);
    EXPECT_EQ(l->kv, ArenaPlace::kExternal);
  }
}

TEST(ArenaPlacement, AllInPsramWhenNotEvenTheHotBuffersFitInternalRam) {
  const HeapInfo heap{100 * 1024, 90 * 1024, 8 << 20, 7 << 20};
  Result<device::ArenaLayout> l =
      device::choose_arena_layout(plan_of(600 * 1024, 50 * 1024), heap, 64 * 1024);
  ASSERT_TRUE(l.is_ok());
  EXPECT_FALSE(l->kv_apart);
  EXPECT_EQ(l->hot, ArenaPlace::kExternal);
  // The KV cache alone does not fit the largest PSRAM block: no split either.
  l = device::choose_arena_layout(plan_of(600 * 1024, 50 * 1024),
                                  HeapInfo{300 * 1024, 200 * 1024, 1 << 20, 500 * 1024}, 64 * 1024);
  ASSERT_FALSE(l.is_ok());
  EXPECT_EQ(l.status().code(), StatusCode::kResourceExhausted);
}

TEST(ArenaPlacement, ErrorsSayWhatIsMissing) {
  const HeapInfo heap{300 * 1024, 200 * 1024, 8 << 20, 7 << 20};
  EXPECT_EQ(device::choose_arena_layout(plan_of(60, 40), HeapInfo{10, 10, 0, 0}, 64 * 1024)
                .status()
                .code(),
            StatusCode::kResourceExhausted);
  Result<device::ArenaLayout> none =
      device::choose_arena_layout(plan_of(size_t{8} << 20, 300 * 1024), heap, 64 * 1024);
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(std::string(none.status().message()).find("CONFIG_LLMCU_SEQ_LEN"), std::string::npos);
  EXPECT_NE(std::string(none.status().message()).find("(KV cache 8388608)"), std::string::npos);
  // The hint at the end survives the largest sizes a 32-bit board can report
  // (the ESP-IDF linux run once printed this message cut off).
  const MemoryPlan big = plan_of(2147483647u, 2147483647u);  // arena 4294967294
  const HeapInfo big_heap{4294967295u, 4294967295u, 4294967293u, 4294967293u};
  Result<device::ArenaLayout> cut = device::choose_arena_layout(big, big_heap, 4294967295u);
  ASSERT_FALSE(cut.is_ok());
  EXPECT_NE(std::string(cut.status().message()).find("--ram BYTES`)"), std::string::npos)
      << cut.status().message();
  MemoryPlan huge = plan_of(SIZE_MAX / 2, SIZE_MAX / 2);
  EXPECT_EQ(device::choose_arena_layout(huge, HeapInfo{}, 0).status().code(),
            StatusCode::kResourceExhausted);
}

TEST(WorkerStack, SuggestsPeakUsePlusTheMarginInWholeQuarterKilobytes) {
  // 4096-byte stack, 3000 never used: peak 1096, + 1024 = 2120, rounded to 2304.
  EXPECT_EQ(device::suggested_worker_stack_bytes({4096, 3000}), 2304u);
  // Never below the Kconfig minimum.
  EXPECT_EQ(device::suggested_worker_stack_bytes({4096, 4000}), device::kMinWorkerStackBytes);
  // Nearly full: more than configured.
  EXPECT_EQ(device::suggested_worker_stack_bytes({4096, 100}), 5120u);
  // A mark above the size (nonsense) counts as no use.
  EXPECT_EQ(device::suggested_worker_stack_bytes({2048, 5000}), device::kMinWorkerStackBytes);
}

// ---- fork/join over threads ----------------------------------------------

// The FreeRTOS executor's signalling, with semaphores in place of task
// notifications. Both give "at least one wake-up per signal", which is all
// ForkJoin relies on.
struct ThreadSignals {
  explicit ThreadSignals(int workers) {
    for (int w = 0; w < workers; ++w)
      work.push_back(std::make_unique<std::counting_semaphore<>>(0));
  }
  void wake_worker(int w) { work[w]->release(); }
  void wait_for_work(int w) { work[w]->acquire(); }
  void wake_caller() { caller.release(); }
  void wait_for_workers() { caller.acquire(); }
  std::vector<std::unique_ptr<std::counting_semaphore<>>> work;
  std::counting_semaphore<> caller{0};
};

using HostForkJoin = platform::ForkJoin<ThreadSignals, 4>;

class ThreadForkJoinExecutor final : public Executor {
 public:
  explicit ThreadForkJoinExecutor(int workers) : signals_(workers), join_(&signals_, workers) {
    for (int w = 0; w < workers; ++w) {
      threads_.emplace_back([this, w] {
        while (join_.serve(w)) {
        }
      });
    }
  }
  ~ThreadForkJoinExecutor() {
    join_.stop();
    for (auto& t : threads_) t.join();
  }
  int concurrency() const override { return join_.workers() + 1; }
  void parallel_for(int count, TaskFn fn, void* context) override { join_.run(count, fn, context); }
  ThreadSignals& signals() { return signals_; }
  const HostForkJoin& join() const { return join_; }

 private:
  ThreadSignals signals_;
  HostForkJoin join_;
  std::vector<std::thread> threads_;
};

std::atomic<uint64_t> worker_task_count{0};

struct Tally {
  std::vector<std::atomic<int>> hits;
  explicit Tally(int n) : hits(n) {}
};

void count_task(void* context, int task) {
  static_cast<Tally*>(context)->hits[task].fetch_add(1, std::memory_order_relaxed);
}

TEST(ForkJoin, RunsEveryTaskExactlyOnce) {
  for (int workers : {1, 3}) {
    ThreadForkJoinExecutor executor(workers);
    for (int round = 0; round < 2000; ++round) {
      const int count = round % 9;  // 0 .. 8, below and above the worker count
      Tally tally(count);
      executor.parallel_for(count, count_task, &tally);
      for (int t = 0; t < count; ++t) ASSERT_EQ(tally.hits[t].load(), 1) << round << " " << t;
    }
  }
}

// The caller and the workers claim tasks from one counter: the workers' share
// is what they ran, counted over every job that woke them.
void count_worker_task(void* context, int) {
  const auto* caller = static_cast<const std::thread::id*>(context);
  if (std::this_thread::get_id() != *caller) worker_task_count.fetch_add(1);
}

TEST(ForkJoin, CountsTheTasksTheWorkersRan) {
  ThreadForkJoinExecutor executor(2);
  EXPECT_EQ(executor.join().tasks_shared(), 0u);
  EXPECT_EQ(executor.join().tasks_on_workers(), 0u);
  const std::thread::id caller = std::this_thread::get_id();
  worker_task_count = 0;
  uint64_t shared = 0;
  for (int round = 0; round < 500; ++round) {
    const int count = round % 7;
    executor.parallel_for(count, count_worker_task, const_cast<std::thread::id*>(&caller));
    // Jobs of 0 or 1 task run inline and are never shared.
    if (count > 1) shared += static_cast<uint64_t>(count);
  }
  EXPECT_EQ(executor.join().tasks_shared(), shared);
  EXPECT_EQ(executor.join().tasks_on_workers(), worker_task_count.load());
}

TEST(ForkJoin, StrayWakeUpsNeitherRepeatNorShortenAJob) {
  ThreadForkJoinExecutor executor(2);
  for (int round = 0; round < 2000; ++round) {
    // Notifications from unrelated code, or late ones from a previous job.
    if (round % 3 == 0) executor.signals().wake_worker(round % 2);
    if (round % 5 == 0) executor.signals().wake_caller();
    Tally tally(6);
    executor.parallel_for(6, count_task, &tally);
    for (int t = 0; t < 6; ++t) ASSERT_EQ(tally.hits[t].load(), 1) << round;
  }
}

// ---- the app loop against a fake device ---------------------------------

std::vector<uint8_t> pack(const std::vector<uint8_t>& model,
                          const std::vector<uint8_t>& tokenizer) {
  Result<ContainerHeader> h = plan_container(model.size(), 28, tokenizer.size());
  h->model_crc32 = crc32(model);
  h->tokenizer_crc32 = crc32(tokenizer);
  std::vector<uint8_t> out(h->total_bytes, 0);
  encode_container_header(*h, out.data());
  memcpy(out.data() + h->model_offset, model.data(), model.size());
  memcpy(out.data() + h->tokenizer_offset, tokenizer.data(), tokenizer.size());
  return out;
}

class FakeHost final : public device::Host {
 public:
  void log(const char* line) override { logs.emplace_back(line); }
  void write_text(std::string_view t) override { text.append(t); }
  HeapInfo heap() override { return heap_info; }
  // Each block stays valid for the host's lifetime; the App may take two.
  uint8_t* allocate(size_t bytes, ArenaPlace place) override {
    allocations.emplace_back(bytes, place);
    if (fail_allocation || allocations.size() == fail_allocation_number) return nullptr;
    std::vector<uint8_t>& block = blocks.emplace_back(bytes + Arena::kAlignment, 0);
    const auto base = reinterpret_cast<uintptr_t>(block.data());
    return block.data() + (Arena::kAlignment - base % Arena::kAlignment) % Arena::kAlignment;
  }
  bool worker_stack(device::StackUse* use) override {
    ++worker_stack_queries;
    if (stack.size_bytes == 0) return false;
    *use = stack;
    return true;
  }
  bool read_line(std::string_view* line) override {
    if (input.empty()) return false;
    current = input.front();
    input.pop_front();
    *line = current;
    return true;
  }

  bool logged(const std::string& fragment) const {
    for (const auto& l : logs) {
      if (l.find(fragment) != std::string::npos) return true;
    }
    return false;
  }

  HeapInfo heap_info{300 * 1024, 250 * 1024, 8 << 20, 8 << 20};
  bool fail_allocation = false;
  size_t fail_allocation_number = 0;  // 1-based; 0: none
  device::StackUse stack;             // size 0: no worker
  int worker_stack_queries = 0;
  std::vector<std::string> logs;
  std::string text;
  std::deque<std::string> input;
  std::string current;
  std::vector<std::pair<size_t, ArenaPlace>> allocations;  // bytes, where
  std::deque<std::vector<uint8_t>> blocks;
};

class AppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    container_ =
        pack(read_file(model_path("stories260K.bin")), read_file(model_path("tok512.bin")));
    raw_.prompt = "Once upon a time";
    raw_.temperature = "0.8";
    raw_.seed = 42;
    raw_.steps = 60;
    raw_.generations = 2;
  }
  Settings settings() { return *device::parse_settings(raw_); }

  std::vector<uint8_t> container_;
  RawSettings raw_;
};

TEST_F(AppTest, LoadsLogsAndGeneratesLikeTheExistingPorts) {
  FakeHost host;
  App a;
  Status s = a.load(settings(), container_, "model", host, nullptr);
  ASSERT_TRUE(s.is_ok()) << s.message();
  ASSERT_TRUE(a.run_batch().is_ok());
  EXPECT_EQ(a.generations_done(), 2);
  EXPECT_TRUE(host.logged("checksums verified"));
  EXPECT_TRUE(host.logged("model: llama2.c"));
  EXPECT_TRUE(host.logged("dim 64, hidden_dim 172, n_layers 5"));
  EXPECT_TRUE(host.logged("memory plan: seq_len 512"));
  EXPECT_TRUE(host.logged("stay in flash"));
  EXPECT_TRUE(host.logged("heap before loading: internal 300 KiB free"));
  EXPECT_TRUE(host.logged("heap after loading"));
  // The full 512-position context needs ~0.7 MB: the 640 KiB KV cache goes
  // to PSRAM, everything else stays in internal RAM.
  ASSERT_EQ(host.allocations.size(), 2u);
  EXPECT_EQ(host.allocations[0], std::make_pair(a.plan().kv_cache, ArenaPlace::kExternal));
  EXPECT_EQ(host.allocations[1], std::make_pair(a.plan().hot_bytes(), ArenaPlace::kInternal));
  EXPECT_TRUE(a.arena_layout().kv_apart);
  EXPECT_TRUE(host.logged("arena: " + std::to_string(a.plan().hot_bytes()) +
                          " bytes in internal RAM (everything but the KV cache)"));
  EXPECT_TRUE(host.logged("KV cache: 655360 bytes in PSRAM"));
  EXPECT_TRUE(host.logged("Generating (1/2)"));
  EXPECT_TRUE(host.logged("Generating (2/2)"));
  EXPECT_TRUE(host.logged("achieved tok/s: "));
  EXPECT_TRUE(host.logged("seed 43"));
  EXPECT_EQ(host.text.rfind("Once upon a time", 0), 0u) << host.text;
}

TEST_F(AppTest, ProducesTheSameTextAsTheGeneratorAndOnAnyNumberOfCores) {
  FakeHost one;
  App a;
  ASSERT_TRUE(a.load(settings(), container_, "model", one, nullptr).is_ok());
  ASSERT_TRUE(a.run_batch().is_ok());

  // The same two stories straight from the core.
  const std::vector<uint8_t> model_bytes = read_file(model_path("stories260K.bin"));
  const std::vector<uint8_t> tokenizer = read_file(model_path("tok512.bin"));
  Model model = *load_model(model_bytes, "m");
  const SessionOptions session{0, 256};
  // Slack for alignment, as the arena need not start on a 64-byte boundary.
  const MemoryPlan plan = *plan_memory(model, session);
  std::vector<uint8_t> arena(plan.arena_bytes + Arena::kAlignment);
  Result<Generator> created = Generator::create(model, tokenizer, "t", plan, arena, nullptr);
  ASSERT_TRUE(created.is_ok()) << created.status().message();
  Generator& g = *created;
  std::string expected;
  for (uint64_t seed : {42u, 43u}) {
    GenerateOptions o;
    o.prompt = "Once upon a time";
    o.temperature = 0.8f;
    o.seed = seed;
    o.steps = 60;
    ASSERT_TRUE(g.generate(
                     o,
                     [](void* u, std::string_view p) { static_cast<std::string*>(u)->append(p); },
                     &expected)
                    .is_ok());
    expected += "\n";
  }
  EXPECT_EQ(one.text, expected);

  for (int workers : {1, 3}) {
    ThreadForkJoinExecutor executor(workers);
    FakeHost many;
    App b;
    ASSERT_TRUE(b.load(settings(), container_, "model", many, &executor).is_ok());
    ASSERT_TRUE(b.run_batch().is_ok());
    EXPECT_EQ(many.text, expected) << workers;
    EXPECT_TRUE(many.logged("cores: " + std::to_string(workers + 1)));
  }
}

TEST_F(AppTest, PutsAShortContextIntoInternalRam) {
  raw_.seq_len = 64;
  FakeHost host;
  App a;
  ASSERT_TRUE(a.load(settings(), container_, "model", host, nullptr).is_ok());
  EXPECT_FALSE(a.arena_layout().kv_apart);
  EXPECT_EQ(a.arena_layout().hot, ArenaPlace::kInternal);
  ASSERT_EQ(host.allocations.size(), 1u);
  EXPECT_TRUE(
      host.logged("arena: " + std::to_string(a.plan().arena_bytes) + " bytes in internal RAM"));
  EXPECT_LT(a.plan().arena_bytes, 200u * 1024);
}

TEST_F(AppTest, PutsEverythingInPsramWhenInternalRamIsShort) {
  FakeHost host;
  host.heap_info = HeapInfo{80 * 1024, 60 * 1024, 8 << 20, 8 << 20};
  App a;
  ASSERT_TRUE(a.load(settings(), container_, "model", host, nullptr).is_ok());
  EXPECT_FALSE(a.arena_layout().kv_apart);
  ASSERT_EQ(host.allocations.size(), 1u);
  EXPECT_EQ(host.allocations[0], std::make_pair(a.plan().arena_bytes, ArenaPlace::kExternal));
  EXPECT_TRUE(host.logged("bytes in PSRAM"));
  ASSERT_TRUE(a.run_batch().is_ok());
}

TEST_F(AppTest, SameTextWithTheKvCacheApartOrNot) {
  raw_.generations = 1;
  FakeHost split_host, psram_host;
  psram_host.heap_info = HeapInfo{80 * 1024, 60 * 1024, 8 << 20, 8 << 20};
  App split, whole;
  ASSERT_TRUE(split.load(settings(), container_, "model", split_host, nullptr).is_ok());
  ASSERT_TRUE(whole.load(settings(), container_, "model", psram_host, nullptr).is_ok());
  ASSERT_TRUE(split.arena_layout().kv_apart);
  ASSERT_FALSE(whole.arena_layout().kv_apart);
  ASSERT_TRUE(split.run_batch().is_ok());
  ASSERT_TRUE(whole.run_batch().is_ok());
  EXPECT_GT(split_host.text.size(), 40u);
  EXPECT_EQ(split_host.text, psram_host.text);
}

TEST_F(AppTest, LogsTheWorkerStackOnceAfterTheFirstGeneration) {
  raw_.generations = 3;
  FakeHost host;
  host.stack = {4096, 3000};
  ThreadForkJoinExecutor executor(1);
  App a;
  ASSERT_TRUE(a.load(settings(), container_, "model", host, &executor).is_ok());
  EXPECT_EQ(host.worker_stack_queries, 0);
  ASSERT_TRUE(a.run_batch().is_ok());
  EXPECT_EQ(host.worker_stack_queries, 1);
  EXPECT_TRUE(host.logged(
      "worker stack: 3000 of 4096 bytes never used after the first generation (peak 1096); "
      "CONFIG_LLMCU_WORKER_STACK_BYTES=2304 leaves 1208 bytes of margin"));
  EXPECT_FALSE(host.logged("raise CONFIG_LLMCU_WORKER_STACK_BYTES"));
  // Logged after the first story's statistics, before the second starts.
  size_t stack_line = 0, second = 0;
  for (size_t i = 0; i < host.logs.size(); ++i) {
    if (host.logs[i].rfind("worker stack:", 0) == 0) stack_line = i;
    if (host.logs[i] == "Generating (2/3)") second = i;
  }
  EXPECT_LT(stack_line, second);
  EXPECT_TRUE(host.logs[stack_line - 1].rfind("prompt tokens", 0) == 0)
      << host.logs[stack_line - 1];

  FakeHost tight;
  tight.stack = {2048, 300};
  App b;
  ASSERT_TRUE(b.load(settings(), container_, "model", tight, &executor).is_ok());
  ASSERT_TRUE(b.run_batch().is_ok());
  EXPECT_TRUE(
      tight.logged("less than 1024 bytes spare; raise CONFIG_LLMCU_WORKER_STACK_BYTES "
                   "to 2816"));

  FakeHost one_core;  // no worker: nothing to log
  App c;
  ASSERT_TRUE(c.load(settings(), container_, "model", one_core, nullptr).is_ok());
  ASSERT_TRUE(c.run_batch().is_ok());
  EXPECT_EQ(one_core.worker_stack_queries, 1);
  EXPECT_FALSE(one_core.logged("worker stack"));
}

TEST_F(AppTest, InteractiveModeTakesPromptsFromTheConsole) {
  raw_.max_prompt_bytes = 40;
  FakeHost host;
  host.input = {"The dog", "", std::string(100, 'x'), "A cat"};
  App a;
  ASSERT_TRUE(a.load(settings(), container_, "model", host, nullptr).is_ok());
  ASSERT_TRUE(a.run_interactive().is_ok());
  // The overlong prompt is reported and skipped; the others all ran.
  EXPECT_EQ(a.generations_done(), 3);
  EXPECT_TRUE(host.logged("Generating (prompt 1)"));
  EXPECT_TRUE(host.logged("skipped: prompt is 100 bytes"));
  EXPECT_TRUE(host.logged("Generating (prompt 4)"));
  EXPECT_TRUE(host.logged("console closed"));
  EXPECT_NE(host.text.find("The dog"), std::string::npos);
  EXPECT_NE(host.text.find("Once upon a time"), std::string::npos);  // the empty line
  EXPECT_NE(host.text.find("A cat"), std::string::npos);
}

TEST_F(AppTest, ReportsWhatIsWrongInsteadOfRunning) {
  FakeHost host;
  App a;
  EXPECT_FALSE(a.run_batch().is_ok());

  std::vector<uint8_t> damaged = container_;
  damaged[damaged.size() - 10] ^= 0xff;  // inside the tokenizer
  Status s = a.load(settings(), damaged, "model", host, nullptr);
  EXPECT_NE(std::string(s.message()).find("tokenizer checksum"), std::string::npos) << s.message();
  EXPECT_FALSE(a.run_batch().is_ok());

  std::vector<uint8_t> erased(64 * 1024, 0xff);
  s = a.load(settings(), erased, "model", host, nullptr);
  EXPECT_NE(std::string(s.message()).find("llmcu pack"), std::string::npos) << s.message();

  host.heap_info = HeapInfo{100 * 1024, 100 * 1024, 0, 0};  // no PSRAM
  s = a.load(settings(), container_, "model", host, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.message();

  host.heap_info = HeapInfo{300 * 1024, 250 * 1024, 8 << 20, 8 << 20};
  host.fail_allocation = true;
  s = a.load(settings(), container_, "model", host, nullptr);
  EXPECT_NE(std::string(s.message()).find("could not allocate the 655360-byte KV cache in PSRAM"),
            std::string::npos)
      << s.message();

  // The KV cache allocated, the hot buffers not.
  FakeHost second;
  second.fail_allocation_number = 2;
  s = a.load(settings(), container_, "model", second, nullptr);
  EXPECT_NE(std::string(s.message()).find("arena in internal RAM"), std::string::npos)
      << s.message();
  EXPECT_FALSE(a.run_batch().is_ok());
}

}  // namespace
}  // namespace llmcu::test
