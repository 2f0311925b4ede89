// The host thread pool, and the core's promise on top of it: the same logits
// bit for bit whatever the number of threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "llmcu/generator.h"
#include "test_support.h"
#include "thread_pool.h"

namespace llmcu::test {
namespace {

using host::ThreadPool;

struct Counts {
  std::vector<std::atomic<int>> runs;
  explicit Counts(int n) : runs(static_cast<size_t>(n)) {}
};

void count_task(void* context, int task) {
  static_cast<Counts*>(context)->runs[static_cast<size_t>(task)].fetch_add(1);
}

TEST(ThreadPool, RunsEveryTaskExactlyOnce) {
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.concurrency(), threads);
    for (int count : {0, 1, 2, 3, 7, 64, 1000, 70000}) {
      Counts counts(count);
      pool.parallel_for(count, count_task, &counts);
      for (int t = 0; t < count; ++t) {
        ASSERT_EQ(counts.runs[static_cast<size_t>(t)].load(), 1)
            << "threads " << threads << ", count " << count << ", task " << t;
      }
    }
  }
}

TEST(ThreadPool, BelowOneThreadMeansOne) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.concurrency(), 1);
  Counts counts(3);
  pool.parallel_for(3, count_task, &counts);
  EXPECT_EQ(counts.runs[2].load(), 1);
}

struct Sums {
  std::vector<long> per_task;
};

void add_task(void* context, int task) {
  static_cast<Sums*>(context)->per_task[static_cast<size_t>(task)] += task + 1;
}

TEST(ThreadPool, ManyBackToBackJobsLoseNothing) {
  // Jobs follow each other far faster than a worker's spin ends: exercises
  // late workers meeting a newer job.
  ThreadPool pool(3);
  Sums sums{std::vector<long>(5, 0)};
  constexpr int kJobs = 100000;
  for (int j = 0; j < kJobs; ++j) pool.parallel_for(1 + j % 5, add_task, &sums);
  for (int t = 0; t < 5; ++t) {
    // Task t runs in the jobs with count > t.
    long jobs_with_t = 0;
    for (int j = 0; j < kJobs; ++j) jobs_with_t += (1 + j % 5) > t;
    EXPECT_EQ(sums.per_task[static_cast<size_t>(t)], jobs_with_t * (t + 1));
  }
}

TEST(ThreadPool, SleepingWorkersWakeUp) {
  // A 1 us spin sends the workers to the futex almost at once.
  ThreadPool pool(3, /*spin_us=*/1);
  for (int round = 0; round < 20; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    Counts counts(6);
    pool.parallel_for(6, count_task, &counts);
    for (int t = 0; t < 6; ++t) ASSERT_EQ(counts.runs[static_cast<size_t>(t)].load(), 1);
  }
}

struct Spread {
  std::atomic<int> tasks_started{0};
  std::vector<std::thread::id> ids;
};

void record_thread(void* context, int task) {
  auto* s = static_cast<Spread*>(context);
  s->ids[static_cast<size_t>(task)] = std::this_thread::get_id();
  s->tasks_started.fetch_add(1);
  // Held until a second task has started, so the caller cannot take every
  // task alone however late a worker wakes on a loaded machine; a pool whose
  // workers never help still fails, after 10 s.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (s->tasks_started.load() < 2 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST(ThreadPool, WorkersShareTheWork) {
  ThreadPool pool(2);
  Spread s;
  s.ids.resize(4);
  pool.parallel_for(4, record_thread, &s);
  std::sort(s.ids.begin(), s.ids.end());
  EXPECT_GT(std::unique(s.ids.begin(), s.ids.end()) - s.ids.begin(), 1);
}

void noop(void*, int) {}

TEST(ThreadPool, ForkJoinTakesMicroseconds) {
  ThreadPool pool(2);
  for (int i = 0; i < 1000; ++i) pool.parallel_for(2, noop, nullptr);  // warm up
  constexpr int kJobs = 20000;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kJobs; ++i) pool.parallel_for(2, noop, nullptr);
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
      kJobs;
  RecordProperty("fork_join_us", std::to_string(us));
  // Generous: this machine is shared with other builds. Typically < 1 us.
  EXPECT_LT(us, 50.0);
}

// A whole model, forced through the same tokens with different executors.
std::vector<float> logits_trace(Executor* executor, const std::string& model_name, int positions) {
  const std::vector<uint8_t> model_bytes = read_file(model_path(model_name));
  const std::vector<uint8_t> tokenizer_bytes = read_file(model_path("tok512.bin"));
  Result<Model> model = load_model(model_bytes, model_name.c_str());
  EXPECT_TRUE(model.is_ok());
  Result<MemoryPlan> plan = plan_memory(*model, {});
  std::vector<uint8_t> arena(plan->arena_bytes + Arena::kAlignment);
  Result<Generator> g =
      Generator::create(*model, tokenizer_bytes, "tok512.bin", *plan, arena, executor);
  EXPECT_TRUE(g.is_ok());
  const int32_t vocab = model->config.vocab_size;
  std::vector<float> trace;
  int32_t token = 1;
  for (int32_t pos = 0; pos < positions; ++pos) {
    const float* logits = g->transformer().forward(token, pos);
    trace.insert(trace.end(), logits, logits + vocab);
    token = (pos * 37 + 11) % vocab;
  }
  return trace;
}

TEST(ThreadPool, LogitsAreBitIdenticalForAnyThreadCount) {
  const std::vector<float> inline_trace = logits_trace(nullptr, "stories260K.bin", 80);
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    const std::vector<float> trace = logits_trace(&pool, "stories260K.bin", 80);
    ASSERT_EQ(trace.size(), inline_trace.size());
    EXPECT_EQ(memcmp(trace.data(), inline_trace.data(), trace.size() * sizeof(float)), 0)
        << threads << " threads";
  }
}

}  // namespace
}  // namespace llmcu::test
