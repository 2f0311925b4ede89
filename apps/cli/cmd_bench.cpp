// llmcu bench: prefill and decode speed, time to first token, memory, and how
// close decoding comes to the machine's memory bandwidth. llmcu gen-random:
// checkpoints of the published shapes with random weights.
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "cli.h"
#include "llmcu/generator.h"
#include "llmcu/model.h"
#include "llmcu/model_check.h"
#include "options.h"
#include "thread_pool.h"

namespace llmcu::cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Bytes of weights one decode step streams from memory: every layer matrix,
// the classifier and the norm vectors. The token embedding is read one row
// at a time unless it doubles as the classifier.
uint64_t weight_bytes_per_token(const Model& m) {
  const Weights& w = m.weights;
  const ModelConfig& c = m.config;
  uint64_t bytes = 0;
  for (const Matrix* mat : {&w.wq, &w.wk, &w.wv, &w.wo, &w.w1, &w.w2, &w.w3}) {
    bytes += uint64_t{mat->bytes_per_layer()} * static_cast<uint64_t>(c.n_layers);
  }
  bytes += w.classifier.bytes_per_layer();
  bytes += (2 * static_cast<uint64_t>(c.n_layers) + 1) * static_cast<uint64_t>(c.dim) * 4;
  return bytes;
}

struct SumJob {
  const uint64_t* data;
  size_t words;
  int chunks;
  uint64_t partial[64];
};

void sum_chunk(void* context, int chunk) {
  auto& job = *static_cast<SumJob*>(context);
  const size_t begin = job.words * static_cast<size_t>(chunk) / static_cast<size_t>(job.chunks);
  const size_t end = job.words * static_cast<size_t>(chunk + 1) / static_cast<size_t>(job.chunks);
  // Four independent xor chains: the loop is limited by memory, not by
  // a dependency on one register.
  uint64_t a = 0, b = 0, c = 0, d = 0;
  size_t i = begin;
  for (; i + 4 <= end; i += 4) {
    a ^= job.data[i];
    b ^= job.data[i + 1];
    c ^= job.data[i + 2];
    d ^= job.data[i + 3];
  }
  for (; i < end; ++i) a ^= job.data[i];
  job.partial[chunk] = a ^ b ^ c ^ d;
}

// Read bandwidth (bytes/s) of a buffer far larger than the caches, with the
// same threads and the same kind of pages as the model's weights: the
// ceiling for a memory-bound decode.
double measure_read_bandwidth(host::ThreadPool& pool, bool huge_pages) {
  constexpr size_t kBytes = size_t{512} << 20;
  std::vector<uint64_t> pattern(size_t{1} << 16);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = i * 0x9E3779B97F4A7C15ull;
  std::vector<uint64_t> small_pages;
  host::HugePageCopy huge;
  const uint64_t* data = nullptr;
  if (huge_pages) {
    // HugePageCopy copies a source; a buffer of the pattern repeated does.
    std::vector<uint8_t> source(kBytes);
    for (size_t off = 0; off < kBytes; off += pattern.size() * sizeof(uint64_t)) {
      memcpy(source.data() + off, pattern.data(), pattern.size() * sizeof(uint64_t));
    }
    Result<host::HugePageCopy> made = host::HugePageCopy::of(source, "bandwidth buffer");
    if (!made.is_ok()) return 0.0;
    huge = std::move(*made);
    data = reinterpret_cast<const uint64_t*>(huge.bytes().data());
  } else {
    small_pages.resize(kBytes / sizeof(uint64_t));
    for (size_t i = 0; i < small_pages.size(); ++i) small_pages[i] = pattern[i % pattern.size()];
    data = small_pages.data();
  }
  SumJob job{data, kBytes / sizeof(uint64_t), std::min(pool.concurrency(), 64), {}};
  double best = 0.0;
  uint64_t sink = 0;
  for (int round = 0; round < 4; ++round) {
    const Clock::time_point start = Clock::now();
    pool.parallel_for(job.chunks, sum_chunk, &job);
    const double s = seconds_since(start);
    for (int c = 0; c < job.chunks; ++c) sink ^= job.partial[c];
    if (round > 0) best = std::max(best, static_cast<double>(kBytes) / s);  // round 0 warms up
  }
  if (sink == 42) fprintf(stderr, " ");  // keeps the reads from being optimised away
  return best;
}

long peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss * 1024L;  // Linux reports KiB
}

// More than any context llmcu plans (the sum is checked against the model's).
constexpr int32_t kMaxBenchTokens = 1 << 24;

struct BenchArgs {
  std::string model;
  std::string tokenizer;  // optional: checked against the model if given
  int32_t threads = 0;
  int32_t prompt_tokens = 16;
  int32_t gen_tokens = 128;
  int32_t repeat = 5;
  bool json = false;
  bool no_bandwidth = false;
  bool no_huge_pages = false;
};

Outcome bench(const BenchArgs& args) {
  LoadOptions load;
  load.huge_pages = !args.no_huge_pages;
  LLMCU_TRY_ASSIGN(std::unique_ptr<LoadedModel> loaded, load_model_file(args.model, load));
  const Model* model = &loaded->model;
  const host::HugePageCopy& copy = loaded->copy;
  const ModelConfig& c = model->config;

  // Bench feeds token ids: a tokenizer is only checked against the model, if given.
  if (!args.tokenizer.empty()) {
    LLMCU_TRY_ASSIGN(host::MappedFile tokenizer_file, host::MappedFile::open(args.tokenizer));
    LLMCU_TRY_ASSIGN(const int32_t tokens,
                     Tokenizer::count_tokens(tokenizer_file.bytes(), args.tokenizer.c_str()));
    if (tokens != c.vocab_size) {
      return Status::error(StatusCode::kInvalidArgument,
                           "%s: %d tokens, but %s has a vocabulary of %d", args.tokenizer.c_str(),
                           tokens, args.model.c_str(), c.vocab_size);
    }
  }

  // Each is at most kMaxBenchTokens: the sum cannot overflow.
  const int64_t positions = int64_t{args.prompt_tokens} + args.gen_tokens;
  if (positions > c.seq_len) {
    return Outcome::usage("bench: %d prompt + %d generated tokens exceed the context of %d",
                          args.prompt_tokens, args.gen_tokens, c.seq_len);
  }
  SessionOptions session;
  session.seq_len = static_cast<int32_t>(positions);
  session.purpose = SessionPurpose::kForward;
  LLMCU_TRY_ASSIGN(const MemoryPlan plan, plan_memory(*model, session));
  LLMCU_TRY_ASSIGN(ArenaMemory arena, ArenaMemory::allocate(plan.arena_bytes, args.model));
  const int threads = choose_threads(args.threads, model->file_bytes);
  host::ThreadPool pool(threads);
  LLMCU_TRY_ASSIGN(Transformer transformer, Transformer::create(*model, plan, arena.span(), &pool));

  // A fixed prompt of valid ids (BOS, then a spread over the ordinary tokens
  // past <unk>, <s> and </s>), so runs are comparable across models and
  // repeats. A vocabulary of just those three repeats BOS.
  std::vector<int32_t> prompt(static_cast<size_t>(args.prompt_tokens), Tokenizer::kBos);
  const int64_t ordinary = c.vocab_size - 3;
  for (int32_t i = 1; i < args.prompt_tokens && ordinary > 0; ++i) {
    prompt[static_cast<size_t>(i)] = static_cast<int32_t>(3 + (int64_t{i} * 7919) % ordinary);
  }

  // Greedy, through the sampler so argmax is the build's kernel, as in `run`.
  Sampler greedy(c.vocab_size, nullptr);
  greedy.configure(0.0f, 0.0f, 1);

  std::vector<double> prefill_tps, decode_tps, ttft_ms;
  for (int32_t r = 0; r < args.repeat + 1; ++r) {  // the first run warms caches and pages
    const Clock::time_point start = Clock::now();
    float* logits = nullptr;
    for (int32_t pos = 0; pos < args.prompt_tokens; ++pos) {
      logits = transformer.forward(prompt[static_cast<size_t>(pos)], pos);
    }
    LLMCU_TRY(check_forward_finite(transformer, logits, args.prompt_tokens - 1)
                  .with_context(args.model.c_str()));
    int32_t token = greedy.sample(logits);
    const double prefill_s = seconds_since(start);
    const Clock::time_point decode_start = Clock::now();
    for (int32_t i = 0; i < args.gen_tokens; ++i) {
      logits = transformer.forward(token, args.prompt_tokens + i);
      token = greedy.sample(logits);
    }
    const double decode_s = seconds_since(decode_start);
    if (r == 0) continue;
    prefill_tps.push_back(args.prompt_tokens / prefill_s);
    decode_tps.push_back(args.gen_tokens / decode_s);
    ttft_ms.push_back(prefill_s * 1e3);
  }

  const double decode = median(decode_tps);
  const uint64_t bytes_per_token = weight_bytes_per_token(*model);
  const double implied_bw = static_cast<double>(bytes_per_token) * decode;
  // Before the bandwidth test, whose buffers would count otherwise.
  const long rss = peak_rss_bytes();
  const double machine_bw = args.no_bandwidth ? 0.0 : measure_read_bandwidth(pool, !copy.empty());

  if (args.json) {
    printf(
        "{\"model\": \"%s\", \"threads\": %d, \"huge_pages\": %s, \"prompt_tokens\": %d, "
        "\"gen_tokens\": %d, "
        "\"repeat\": %d, \"prefill_tok_s\": %.2f, \"decode_tok_s\": %.2f, \"ttft_ms\": %.3f, "
        "\"peak_rss_bytes\": %ld, \"weight_bytes_per_token\": %" PRIu64
        ", \"implied_bandwidth_gb_s\": %.3f, \"measured_read_bandwidth_gb_s\": %.3f, "
        "\"bandwidth_fraction\": %.4f}\n",
        args.model.c_str(), threads, copy.empty() ? "false" : "true", args.prompt_tokens,
        args.gen_tokens, args.repeat, median(prefill_tps), decode, median(ttft_ms), rss,
        bytes_per_token, implied_bw / 1e9, machine_bw / 1e9,
        machine_bw > 0 ? implied_bw / machine_bw : 0.0);
    return Outcome();
  }
  printf("model:            %s (dim %d, %d layers, vocab %d)\n", args.model.c_str(), c.dim,
         c.n_layers, c.vocab_size);
  printf("threads:          %d\n", threads);
  printf("weights:          %s\n", copy.empty() ? "file mapping" : "huge-page copy");
  printf("runs:             %d (+1 warm-up), %d prompt + %d generated tokens, medians\n",
         args.repeat, args.prompt_tokens, args.gen_tokens);
  printf("prefill:          %.2f tok/s\n", median(prefill_tps));
  printf("decode:           %.2f tok/s\n", decode);
  printf("time to first:    %.3f ms\n", median(ttft_ms));
  printf("peak resident:    %.1f MiB\n", static_cast<double>(rss) / (1024.0 * 1024.0));
  printf("weights/token:    %.1f MB\n", static_cast<double>(bytes_per_token) / 1e6);
  printf("implied bandwidth: %.2f GB/s", implied_bw / 1e9);
  if (machine_bw > 0) {
    printf(" = %.1f%% of measured read bandwidth %.2f GB/s (%d threads, %s pages)",
           100.0 * implied_bw / machine_bw, machine_bw / 1e9, threads,
           copy.empty() ? "4 KiB" : "huge");
  }
  printf("\n");
  return Outcome();
}

}  // namespace

Registration register_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "prefill/decode tok/s, time to first token, memory and bandwidth (greedy)");
  cmd->add_option("model", args->model, "checkpoint")->required();
  add_path_option(cmd, "-z,--tokenizer", &args->tokenizer,
                  "tokenizer file, checked against the model (bench feeds token ids)");
  add_int_option(cmd, "--threads", &args->threads, 0, kMaxThreads,
                 "worker threads (default: 1 for tiny models, else every CPU)");
  add_int_option(cmd, "--prompt-tokens", &args->prompt_tokens, 1, kMaxBenchTokens,
                 "prompt length");
  add_int_option(cmd, "--gen-tokens", &args->gen_tokens, 1, kMaxBenchTokens,
                 "generated tokens per run");
  add_int_option(cmd, "--repeat", &args->repeat, 1, 1000, "runs to take the median of");
  cmd->add_flag("--json", args->json, "one JSON object on standard output");
  cmd->add_flag("--no-huge-pages", args->no_huge_pages,
                "read the weights from the file mapping, not a huge-page copy");
  cmd->add_flag("--no-bandwidth", args->no_bandwidth,
                "skip measuring the machine's read bandwidth (0.5 GB buffer)");
  return {cmd, [args] { return bench(*args); }};
}

}  // namespace llmcu::cli
