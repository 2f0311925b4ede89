// llmcu bench: prefill and decode speed, time to first token, memory, and how
// close decoding comes to the machine's memory bandwidth. llmcu gen-random:
// checkpoints of the published shapes with random weights.
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "cli.h"
#include "cpu_caches.h"
#include "llmcu/build_info.h"
#include "llmcu/generator.h"
#include "llmcu/model.h"
#include "llmcu/model_check.h"
#include "options.h"
#include "read_bandwidth.h"
#include "thread_pool.h"

namespace llmcu::cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
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

// Bytes of the KV cache one decode step reads, on average over a decode of
// n_gen tokens from position 0: step p reads the keys and values of positions
// 0 to p in every layer. With the weights, what a step must read; the cache
// outgrows the caches, or is pushed out of them by the weights streaming by.
uint64_t kv_cache_bytes_per_token(const ModelConfig& c, int32_t n_gen) {
  const uint64_t per_position =
      2 * static_cast<uint64_t>(c.n_layers) * static_cast<uint64_t>(c.kv_dim()) * sizeof(float);
  return per_position * (static_cast<uint64_t>(n_gen) + 1) / 2;
}

std::vector<double> gb_s(std::vector<double> bytes_per_s) {
  for (double& v : bytes_per_s) v /= 1e9;
  return bytes_per_s;
}

double median(std::vector<double> values) {
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

long peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss * 1024L;  // Linux reports KiB
}

// More than any context llmcu plans (each count is checked against the model's).
constexpr int32_t kMaxBenchTokens = 1 << 24;

// llama-bench's default tests: pp512 (a 512-token prompt) and tg128 (128
// tokens generated from an empty context), run separately.
constexpr int32_t kDefaultPromptTokens = 512;
constexpr int32_t kDefaultGenTokens = 128;

enum class Format : uint8_t { kText, kJson, kMarkdown };

struct BenchArgs {
  std::string model;
  std::string tokenizer;  // optional: checked against the model if given
  int32_t threads = 0;
  int32_t batch = kDefaultBatch;
  int32_t prompt_tokens = kDefaultPromptTokens;
  int32_t gen_tokens = kDefaultGenTokens;
  bool prompt_given = false;  // else capped at the model's context
  bool gen_given = false;
  int32_t repeat = 5;
  bool json = false;
  std::string output = "text";
  bool no_bandwidth = false;
  bool no_huge_pages = false;
  std::string cache_bytes;  // empty: as the machine reports it
};

// Tokens per second of each repetition of one test.
struct Series {
  std::string name;  // "pp512", "tg128"
  int32_t prompt_tokens = 0;
  int32_t gen_tokens = 0;
  std::vector<double> samples;

  double mean() const {
    double sum = 0.0;
    for (double v : samples) sum += v;
    return samples.empty() ? 0.0 : sum / static_cast<double>(samples.size());
  }
  // The sample standard deviation; NaN for a single repetition (not measured).
  double sd() const {
    if (samples.size() < 2) return std::nan("");
    const double m = mean();
    double sq = 0.0;
    for (double v : samples) sq += (v - m) * (v - m);
    return std::sqrt(sq / static_cast<double>(samples.size() - 1));
  }
};

// `text` as a JSON string literal.
std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// A number for JSON: null when it was not measured (NaN) or makes no sense.
std::string json_number(double v, const char* format = "%.3f") {
  if (!std::isfinite(v)) return "null";
  char text[64];
  snprintf(text, sizeof(text), format, v);
  return text;
}

std::string json_samples(const std::vector<double>& samples) {
  std::string out = "[";
  for (size_t i = 0; i < samples.size(); ++i) {
    out += (i == 0 ? "" : ", ") + json_number(samples[i], "%.2f");
  }
  return out + "]";
}

// "mean ± sd", or the mean alone after one repetition.
std::string mean_sd(const Series& s) {
  char text[64];
  if (std::isfinite(s.sd())) {
    snprintf(text, sizeof(text), "%.2f ± %.2f", s.mean(), s.sd());
  } else {
    snprintf(text, sizeof(text), "%.2f", s.mean());
  }
  return text;
}

const char* base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return path.c_str() + (slash == std::string::npos ? 0 : slash + 1);
}

// Where decoding's weight reads come from, as far as the figures can say.
struct BandwidthVerdict {
  double implied = 0.0;         // bytes/s: bytes read per token x decode tok/s
  double measured = NAN;        // bytes/s of a buffer far larger than the caches; NaN: not measured
  double fraction = NAN;        // of the measured bandwidth; text shows it only when not from cache
  bool per_repetition = false;  // measured after each decode, each decode held to its own
  uint64_t cache = 0;           // bytes of the largest cache; 0: unknown
  bool from_cache = false;      // the weights fit in it, or the reads beat DRAM
};

Outcome bench(const BenchArgs& args) {
  const Format format = args.json               ? Format::kJson
                        : args.output == "json" ? Format::kJson
                        : args.output == "md"   ? Format::kMarkdown
                                                : Format::kText;
  uint64_t cache_bytes = 0;
  if (!args.cache_bytes.empty() &&
      (!parse_bytes(args.cache_bytes, &cache_bytes) || cache_bytes == 0)) {
    return Outcome::usage("--cache-bytes: '%s' is not a byte count above 0 (e.g. 32M, 512K)",
                          args.cache_bytes.c_str());
  }
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

  // Each test starts from position 0, so each fits the context on its own.
  const int32_t n_prompt =
      args.prompt_given ? args.prompt_tokens : std::min(args.prompt_tokens, c.seq_len);
  const int32_t n_gen = args.gen_given ? args.gen_tokens : std::min(args.gen_tokens, c.seq_len);
  if (n_prompt > c.seq_len || n_gen > c.seq_len) {
    return Outcome::usage("bench: --%s %d exceeds the context of %d positions",
                          n_prompt > c.seq_len ? "prompt-tokens" : "gen-tokens",
                          n_prompt > c.seq_len ? n_prompt : n_gen, c.seq_len);
  }
  SessionOptions session;
  session.seq_len = std::max(n_prompt, n_gen);
  session.purpose = SessionPurpose::kForward;
  session.batch = args.batch;
  LLMCU_TRY_ASSIGN(const MemoryPlan plan, plan_memory(*model, session));
  LLMCU_TRY_ASSIGN(ArenaMemory arena, ArenaMemory::allocate(plan.arena_bytes, args.model));
  const int threads = choose_threads(args.threads, model->file_bytes);
  host::ThreadPool pool(threads);
  LLMCU_TRY_ASSIGN(Transformer transformer, Transformer::create(*model, plan, arena.span(), &pool));

  // A fixed prompt of valid ids (BOS, then a spread over the ordinary tokens
  // past <unk>, <s> and </s>), so runs are comparable across models and
  // repeats. A vocabulary of just those three repeats BOS.
  std::vector<int32_t> prompt(static_cast<size_t>(n_prompt), Tokenizer::kBos);
  const int64_t ordinary = c.vocab_size - 3;
  for (int32_t i = 1; i < n_prompt && ordinary > 0; ++i) {
    prompt[static_cast<size_t>(i)] = static_cast<int32_t>(3 + (int64_t{i} * 7919) % ordinary);
  }

  // Greedy, through the sampler so argmax is the build's kernel, as in `run`.
  Sampler greedy(c.vocab_size, nullptr);
  greedy.configure(0.0f, 0.0f, 1);

  Series pp{"pp" + std::to_string(n_prompt), n_prompt, 0, {}};
  Series tg{"tg" + std::to_string(n_gen), 0, n_gen, {}};
  std::vector<double> ttft_ms;
  const uint64_t weight_bytes = weight_bytes_per_token(*model);
  const uint64_t kv_bytes = kv_cache_bytes_per_token(c, n_gen);
  const uint64_t bytes_per_token = weight_bytes + kv_bytes;
  BandwidthVerdict bw;
  bw.cache = cache_bytes != 0 ? cache_bytes : host::largest_cache_bytes();
  // Weights that outgrow the cache come from DRAM, whose bandwidth on a shared
  // machine moves from minute to minute: it is measured after each decode, and
  // each decode is held to its own measurement.
  bw.per_repetition = !args.no_bandwidth && (bw.cache == 0 || weight_bytes > bw.cache);
  std::unique_ptr<ReadBandwidthProbe> probe;
  std::vector<double> measured, fractions;
  long rss = 0;
  for (int32_t r = 0; r < args.repeat + 1; ++r) {  // the first run warms caches and pages
    const Clock::time_point start = Clock::now();
    float* logits = nullptr;
    for (int32_t pos = 0; pos < n_prompt; pos += plan.batch) {
      const int32_t n = std::min(plan.batch, n_prompt - pos);
      logits = transformer.forward_batch(&prompt[static_cast<size_t>(pos)], n, pos);
      LLMCU_TRY(check_batch_finite(transformer, logits, pos, n).with_context(args.model.c_str()));
    }
    (void)greedy.sample(logits);
    const double prefill_s = seconds_since(start);

    const Clock::time_point decode_start = Clock::now();
    int32_t token = Tokenizer::kBos;
    for (int32_t pos = 0; pos < n_gen; ++pos) {
      logits = transformer.forward(token, pos);
      token = greedy.sample(logits);
    }
    const double decode_s = seconds_since(decode_start);
    LLMCU_TRY(
        check_forward_finite(transformer, logits, n_gen - 1).with_context(args.model.c_str()));
    if (r == 0) {
      // Before the bandwidth buffer, which would count otherwise.
      rss = peak_rss_bytes();
      if (!args.no_bandwidth) probe = std::make_unique<ReadBandwidthProbe>(!copy.empty());
      continue;
    }
    pp.samples.push_back(n_prompt / prefill_s);
    tg.samples.push_back(n_gen / decode_s);
    ttft_ms.push_back(prefill_s * 1e3);
    if (bw.per_repetition) {
      const double m = probe->measure(pool, 3);
      if (m > 0.0) {
        measured.push_back(m);
        fractions.push_back(static_cast<double>(bytes_per_token) * tg.samples.back() / m);
      }
    }
  }
  if (probe != nullptr && !bw.per_repetition) {
    const double m = probe->measure(pool, 3);
    if (m > 0.0) measured.push_back(m);
  }
  bw.implied = static_cast<double>(bytes_per_token) * tg.mean();
  bw.measured = median(measured);
  bw.fraction = fractions.empty() ? bw.implied / bw.measured : median(fractions);
  bw.from_cache = (bw.cache != 0 && weight_bytes <= bw.cache) || bw.fraction > 1.0;
  double ttft = 0.0;
  for (double v : ttft_ms) ttft += v / static_cast<double>(ttft_ms.size());

  if (format == Format::kJson) {
    std::string tests;
    for (const Series* s : {&pp, &tg}) {
      tests += std::string(tests.empty() ? "" : ", ") + "{\"name\": \"" + s->name +
               "\", \"n_prompt\": " + std::to_string(s->prompt_tokens) +
               ", \"n_gen\": " + std::to_string(s->gen_tokens) +
               ", \"avg_ts\": " + json_number(s->mean(), "%.2f") +
               ", \"stddev_ts\": " + json_number(s->sd(), "%.2f") +
               ", \"samples_ts\": " + json_samples(s->samples) + "}";
    }
    printf(
        "{\"model\": %s, \"kernels\": \"%s\", \"threads\": %d, \"batch\": %d, "
        "\"huge_pages\": %s, "
        "\"prompt_tokens\": %d, \"gen_tokens\": %d, \"repeat\": %d, \"tests\": [%s], "
        "\"prefill_tok_s\": %s, \"prefill_tok_s_sd\": %s, \"decode_tok_s\": %s, "
        "\"decode_tok_s_sd\": %s, \"ttft_ms\": %s, \"peak_rss_bytes\": %ld, "
        "\"weight_bytes_per_token\": %" PRIu64 ", \"kv_cache_bytes_per_token\": %" PRIu64
        ", \"bytes_per_token\": %" PRIu64
        ", \"implied_bandwidth_gb_s\": %s, "
        "\"cache_bytes\": %s, \"weights_served_from_cache\": %s, "
        "\"measured_read_bandwidth_gb_s\": %s, \"measured_read_bandwidth_samples_gb_s\": %s, "
        "\"bandwidth_fraction\": %s}\n",
        json_string(args.model).c_str(), kernel_family_name(), threads, plan.batch,
        copy.empty() ? "false" : "true", n_prompt, n_gen, args.repeat, tests.c_str(),
        json_number(pp.mean(), "%.2f").c_str(), json_number(pp.sd(), "%.2f").c_str(),
        json_number(tg.mean(), "%.2f").c_str(), json_number(tg.sd(), "%.2f").c_str(),
        json_number(ttft).c_str(), rss, weight_bytes, kv_bytes, bytes_per_token,
        json_number(bw.implied / 1e9).c_str(),
        bw.cache != 0 ? std::to_string(bw.cache).c_str() : "null", bw.from_cache ? "true" : "false",
        json_number(bw.measured / 1e9).c_str(), json_samples(gb_s(measured)).c_str(),
        json_number(bw.fraction, "%.4f").c_str());
    return Outcome();
  }
  if (format == Format::kMarkdown) {
    // llama-bench's table, so the rows can sit beside llama.cpp's.
    printf("| model | size | params | kernels | threads | test | t/s |\n");
    printf("| --- | ---: | ---: | --- | ---: | ---: | ---: |\n");
    for (const Series* s : {&pp, &tg}) {
      printf("| %s | %.2f MiB | %.2f M | %s | %d | %s | %s |\n", base_name(args.model),
             static_cast<double>(model->file_bytes) / (1024.0 * 1024.0),
             static_cast<double>(model->parameter_count) / 1e6, kernel_family_name(), threads,
             s->name.c_str(), mean_sd(*s).c_str());
    }
    return Outcome();
  }
  auto line = [](const char* label, const std::string& value) {
    printf("%-19s%s\n", label, value.c_str());
  };
  char text[256];
  snprintf(text, sizeof(text), "%s (dim %d, %d layers, vocab %d)", args.model.c_str(), c.dim,
           c.n_layers, c.vocab_size);
  line("model:", text);
  snprintf(text, sizeof(text), "%d, %s kernels", threads, kernel_family_name());
  line("threads:", text);
  line("weights:", copy.empty() ? "file mapping" : "huge-page copy");
  snprintf(text, sizeof(text), "%d (+1 warm-up); t/s as mean ± sd", args.repeat);
  line("repetitions:", text);
  snprintf(text, sizeof(text), " tok/s (prefill, batches of %d)", plan.batch);
  line((pp.name + ":").c_str(), mean_sd(pp) + text);
  line((tg.name + ":").c_str(), mean_sd(tg) + " tok/s (decode from an empty context)");
  snprintf(text, sizeof(text), "%.3f ms (%d-token prompt)", ttft, n_prompt);
  line("time to first:", text);
  snprintf(text, sizeof(text), "%.1f MiB", static_cast<double>(rss) / (1024.0 * 1024.0));
  line("peak resident:", text);
  snprintf(text, sizeof(text), "%.2f MB (weights %.2f MB, KV cache %.2f MB on average)",
           static_cast<double>(bytes_per_token) / 1e6, static_cast<double>(weight_bytes) / 1e6,
           static_cast<double>(kv_bytes) / 1e6);
  line("reads/token:", text);
  const int n = snprintf(text, sizeof(text), "%.2f GB/s", bw.implied / 1e9);
  const size_t used = n > 0 ? static_cast<size_t>(n) : 0;
  if (bw.from_cache && bw.cache != 0 && weight_bytes <= bw.cache) {
    snprintf(text + used, sizeof(text) - used,
             ", served from cache: the weights fit in the %.1f MiB last-level cache (not DRAM)",
             static_cast<double>(bw.cache) / (1024.0 * 1024.0));
  } else if (bw.from_cache) {
    snprintf(text + used, sizeof(text) - used,
             ", above the measured DRAM read bandwidth %.2f GB/s: partly served from cache",
             bw.measured / 1e9);
  } else if (std::isfinite(bw.measured)) {
    snprintf(text + used, sizeof(text) - used,
             " = %.1f%% of the measured read bandwidth %.2f GB/s (%d thread%s, %s pages%s)",
             100.0 * bw.fraction, bw.measured / 1e9, threads, threads == 1 ? "" : "s",
             copy.empty() ? "4 KiB" : "huge",
             bw.per_repetition ? "; medians, each decode against a measurement after it" : "");
  }
  line("implied bandwidth:", text);
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
  CLI::Option* prompt = add_int_option(
      cmd, "--prompt-tokens", &args->prompt_tokens, 1, kMaxBenchTokens,
      "prompt length of the prefill test ppN (default 512, at most the model's context)");
  CLI::Option* gen = add_int_option(
      cmd, "--gen-tokens", &args->gen_tokens, 1, kMaxBenchTokens,
      "tokens generated by the decode test tgN (default 128, at most the model's context)");
  add_batch_option(cmd, &args->batch);
  add_int_option(cmd, "-r,--repeat", &args->repeat, 1, 1000,
                 "repetitions; t/s is their mean ± standard deviation");
  cmd->add_option("-o,--output", args->output, "text, json, or md (a markdown table)")
      ->check(CLI::IsMember({"text", "json", "md"}))
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "the same as -o json: one JSON object");
  cmd->add_flag("--no-huge-pages", args->no_huge_pages,
                "read the weights from the file mapping, not a huge-page copy");
  cmd->add_option("--cache-bytes", args->cache_bytes,
                  "size of the largest cache where the machine reports it wrongly, e.g. 32M "
                  "(weights larger come from DRAM: bandwidth is measured after each decode)");
  cmd->add_flag("--no-bandwidth", args->no_bandwidth,
                "skip measuring the machine's read bandwidth (0.5 GB buffer)");
  return {cmd, [args, prompt, gen] {
            args->prompt_given = prompt->count() > 0;
            args->gen_given = gen->count() > 0;
            return bench(*args);
          }};
}

}  // namespace llmcu::cli
