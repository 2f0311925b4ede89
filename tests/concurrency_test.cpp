// Several generation sessions share one loaded model from several host
// threads at once. The model is a read-only mapping of the file (a write
// would fault), each session has its own arena, and every story must be the
// same as when the sessions run one at a time. Run under ThreadSanitizer in CI
// (scripts/sanitize.sh).
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "llmcu/generator.h"
#include "mapped_file.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

struct Job {
  std::string prompt;
  float temperature;
  float topp;
  uint64_t seed;
};

std::vector<Job> jobs() {
  const char* prompts[] = {"Once upon a time", "Lily and Tom", "The dog", "", "A big red ball"};
  std::vector<Job> out;
  for (int i = 0; i < 12; ++i) {
    out.push_back({prompts[i % 5], i % 4 == 0 ? 0.0f : 0.8f, i % 3 == 0 ? 1.0f : 0.9f,
                   static_cast<uint64_t>(100 + i)});
  }
  return out;
}

void append(void* user, std::string_view piece) {
  static_cast<std::string*>(user)->append(piece);
}

// One session: its own arena and generator over the shared model and tokenizer.
class Session {
 public:
  Session(const Model& model, std::span<const uint8_t> tokenizer) {
    Result<MemoryPlan> plan = plan_memory(model, {});
    EXPECT_TRUE(plan.is_ok());
    arena_.assign(plan->arena_bytes + Arena::kAlignment, 0);
    Result<Generator> g = Generator::create(model, tokenizer, "tok512.bin", *plan, arena_, nullptr);
    EXPECT_TRUE(g.is_ok()) << g.status().message();
    generator_ = *g;
  }

  std::string run(const Job& job) {
    GenerateOptions o;
    o.prompt = job.prompt;
    o.temperature = job.temperature;
    o.topp = job.topp;
    o.seed = job.seed;
    o.steps = 96;
    std::string text;
    Result<GenerationStats> stats = generator_.generate(o, append, &text);
    if (!stats.is_ok()) return std::string("error: ") + stats.status().message();
    return text;
  }

 private:
  std::vector<uint8_t> arena_;
  Generator generator_;
};

class Concurrency : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<host::MappedFile> m = host::MappedFile::open(model_path("stories260K.bin"));
    Result<host::MappedFile> t = host::MappedFile::open(model_path("tok512.bin"));
    ASSERT_TRUE(m.is_ok() && t.is_ok());
    model_file_ = std::move(*m);
    tokenizer_file_ = std::move(*t);
    Result<Model> model = load_model(model_file_.bytes(), "stories260K.bin");
    ASSERT_TRUE(model.is_ok());
    model_ = *model;
    // The reference: every job, one at a time, in one session.
    Session session(model_, tokenizer_file_.bytes());
    for (const Job& job : jobs()) expected_.push_back(session.run(job));
    for (const std::string& text : expected_) ASSERT_EQ(text.rfind("error", 0), std::string::npos);
  }

  // Runs every job `rounds` times over `threads` threads that each own a
  // session; returns the texts by job.
  std::vector<std::vector<std::string>> run_threads(int threads, int rounds) {
    const std::vector<Job> all = jobs();
    std::vector<std::vector<std::string>> got(all.size());
    for (auto& g : got) g.resize(static_cast<size_t>(rounds));
    std::atomic<int> next{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        Session session(model_, tokenizer_file_.bytes());
        while (!go.load()) std::this_thread::yield();  // start together
        // Jobs are claimed dynamically, so each session runs a different mix.
        for (int i = next.fetch_add(1); i < static_cast<int>(all.size()) * rounds;
             i = next.fetch_add(1)) {
          const size_t job = static_cast<size_t>(i) % all.size();
          got[job][static_cast<size_t>(i) / all.size()] = session.run(all[job]);
        }
      });
    }
    go.store(true);
    for (std::thread& t : pool) t.join();
    return got;
  }

  host::MappedFile model_file_, tokenizer_file_;
  Model model_;
  std::vector<std::string> expected_;
};

TEST_F(Concurrency, SessionsSharingOneModelMatchSequentialRuns) {
  for (int threads : {2, 4}) {
    const std::vector<std::vector<std::string>> got = run_threads(threads, 2);
    for (size_t j = 0; j < expected_.size(); ++j) {
      for (const std::string& text : got[j]) {
        EXPECT_EQ(text, expected_[j]) << "job " << j << " with " << threads << " threads";
      }
    }
  }
}

TEST_F(Concurrency, SessionsCreatedAndDestroyedWhileOthersGenerate) {
  // Each thread makes a fresh session for every job: creation (which loads
  // the tokenizer tables into that session's arena) overlaps other sessions'
  // forward passes over the same weights.
  const std::vector<Job> all = jobs();
  std::vector<std::string> got(all.size());
  std::vector<std::thread> pool;
  for (int t = 0; t < 3; ++t) {
    pool.emplace_back([&, t] {
      for (size_t j = static_cast<size_t>(t); j < all.size(); j += 3) {
        Session session(model_, tokenizer_file_.bytes());
        got[j] = session.run(all[j]);
      }
    });
  }
  for (std::thread& t : pool) t.join();
  for (size_t j = 0; j < all.size(); ++j) EXPECT_EQ(got[j], expected_[j]) << "job " << j;
}

}  // namespace
}  // namespace llmcu::test
