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

#include "commands.h"
#include "llmcu/generator.h"
#include "llmcu/model.h"
#include "mapped_file.h"
#include "model_store.h"
#include "thread_pool.h"

namespace llmcu::cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int fail(const Status& status) {
  fprintf(stderr, "error: %s\n", status.message());
  return kExitBadInput;
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

struct LoadedModel {
  host::MappedFile file;
  Model model;
};

}  // namespace

int choose_threads(int32_t requested, uint64_t weight_bytes) {
  if (requested > 0) return requested;
  // Measured on a 2-core Zen 4 VM (bench/compare.sh, 15 alternating runs):
  // below a few MB of weights a token takes ~25 us and its 21 fork/joins cost
  // about what the second core saves. stories260K (~1 MB) decodes at the same
  // median on one thread and on two, but two swing from 25,000 to 48,000
  // tok/s with the neighbours' load, one only from 32,000 to 39,000: one it
  // is. Above that, decoding is memory-bound and every core helps.
  constexpr uint64_t kSmallModelBytes = 8ull << 20;
  if (weight_bytes < kSmallModelBytes) return 1;
  return host::ThreadPool::available_cpus();
}

uint64_t available_memory_bytes() {
  FILE* f = fopen("/proc/meminfo", "r");
  if (f == nullptr) return 0;
  char line[256];
  unsigned long long kib = 0;
  while (fgets(line, sizeof(line), f) != nullptr) {
    if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1) break;
  }
  fclose(f);
  return static_cast<uint64_t>(kib) * 1024;
}

std::span<const uint8_t> weights_for_decoding(std::span<const uint8_t> file, bool allowed,
                                              host::HugePageCopy* copy) {
  // Below this the weights stay in the caches from token to token, and the
  // copy would only cost time and memory.
  constexpr size_t kMinBytes = size_t{16} << 20;
  if (!allowed || file.size() < kMinBytes || !host::HugePageCopy::available()) return file;
  // Only a file that loads is worth copying: a corrupt or sparse one is
  // refused from the mapping without reading it all. And the copy must leave
  // room for everything else (it is only a speed-up).
  if (!load_model(file, "model").is_ok() || file.size() > available_memory_bytes() / 2) {
    return file;
  }
  Result<host::HugePageCopy> made = host::HugePageCopy::of(file, "model", /*release_source=*/true);
  if (!made.is_ok()) return file;  // no memory for a copy: the mapping works too
  *copy = std::move(*made);
  return copy->bytes();
}

int bench_command(const BenchArgs& args) {
  if (args.prompt_tokens < 1 || args.gen_tokens < 1 || args.repeat < 1) {
    fprintf(stderr, "bench: --prompt-tokens, --gen-tokens and --repeat must be at least 1\n");
    return kExitUsage;
  }
  Result<host::MappedFile> file = host::MappedFile::open(args.model);
  if (!file.is_ok()) return fail(file.status());
  host::HugePageCopy copy;
  Result<Model> model =
      load_model(weights_for_decoding(file->bytes(), args.huge_pages, &copy), args.model.c_str());
  if (!model.is_ok()) return fail(model.status());
  const ModelConfig& c = model->config;

  // Bench feeds token ids: a tokenizer is only checked against the model, if given.
  if (!args.tokenizer.empty()) {
    Result<host::MappedFile> tokenizer_file = host::MappedFile::open(args.tokenizer);
    if (!tokenizer_file.is_ok()) return fail(tokenizer_file.status());
    Result<int32_t> tokens =
        Tokenizer::count_tokens(tokenizer_file->bytes(), args.tokenizer.c_str());
    if (!tokens.is_ok()) return fail(tokens.status());
    if (*tokens != c.vocab_size) {
      return fail(Status::error(StatusCode::kInvalidArgument,
                                "%s: %d tokens, but %s has a vocabulary of %d",
                                args.tokenizer.c_str(), *tokens, args.model.c_str(), c.vocab_size));
    }
  }

  const int32_t positions = args.prompt_tokens + args.gen_tokens;
  if (positions > c.seq_len) {
    fprintf(stderr, "bench: %d prompt + %d generated tokens exceed the context of %d\n",
            args.prompt_tokens, args.gen_tokens, c.seq_len);
    return kExitUsage;
  }
  SessionOptions session;
  session.seq_len = positions;
  session.purpose = SessionPurpose::kForward;
  Result<MemoryPlan> plan = plan_memory(*model, session);
  if (!plan.is_ok()) return fail(plan.status());
  ArenaMemory arena(plan->arena_bytes);
  if (arena.storage == nullptr) {
    return fail(Status::error(StatusCode::kResourceExhausted,
                              "%s: cannot allocate the %zu bytes its session needs",
                              args.model.c_str(), plan->arena_bytes));
  }

  const int threads = choose_threads(args.threads, model->file_bytes);
  host::ThreadPool pool(threads);
  Result<Transformer> created = Transformer::create(*model, *plan, arena.span(), &pool);
  if (!created.is_ok()) return fail(created.status());
  Transformer& transformer = *created;

  // A fixed prompt of valid ids (BOS, then a spread over the vocabulary), so
  // runs are comparable across models and repeats.
  std::vector<int32_t> prompt(static_cast<size_t>(args.prompt_tokens));
  prompt[0] = Tokenizer::kBos;
  for (int32_t i = 1; i < args.prompt_tokens; ++i) {
    prompt[static_cast<size_t>(i)] = 3 + (i * 7919) % (c.vocab_size - 3);
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
  const double machine_bw =
      args.measure_bandwidth ? measure_read_bandwidth(pool, !copy.empty()) : 0.0;

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
    return kExitOk;
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
  return kExitOk;
}

namespace {

struct Shape {
  const char* name;
  ModelConfig config;
};

// ../shared/models/README.md: the published llama2.c TinyStories shapes.
constexpr Shape kShapes[] = {
    {"15M", {288, 768, 6, 6, 6, 32000, 256, true}},
    {"42M", {512, 1376, 8, 8, 8, 32000, 1024, true}},
    {"110M", {768, 2048, 12, 12, 12, 32000, 1024, true}},
};

bool parse_shape(const std::string& text, ModelConfig* out) {
  for (const Shape& s : kShapes) {
    if (text == s.name) {
      *out = s.config;
      return true;
    }
  }
  int32_t v[7];
  char tail = 0;
  if (sscanf(text.c_str(), "%d,%d,%d,%d,%d,%d,%d%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
             &v[6], &tail) != 7) {
    return false;
  }
  *out = ModelConfig{v[0], v[1], v[2], v[3], v[4], v[5], v[6], true};
  return true;
}

// xorshift64*: reproducible weights for a seed, with no library dependence.
struct Random {
  uint64_t state;
  float uniform(float scale) {  // in [-scale, scale)
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    const auto bits = static_cast<uint32_t>((state * 0x2545F4914F6CDD1Dull) >> 40);
    return (static_cast<float>(bits) / 16777216.0f * 2.0f - 1.0f) * scale;
  }
};

class TensorWriter {
 public:
  explicit TensorWriter(FILE* f) : f_(f), buffer_(1 << 16) {}
  bool random(uint64_t count, Random& rng, float scale) {
    return fill(count, [&] { return rng.uniform(scale); });
  }
  bool constant(uint64_t count, float value) {
    return fill(count, [&] { return value; });
  }

 private:
  template <typename Next>
  bool fill(uint64_t count, Next next) {
    while (count > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(count, buffer_.size()));
      for (size_t i = 0; i < n; ++i) buffer_[i] = next();
      if (fwrite(buffer_.data(), sizeof(float), n, f_) != n) return false;
      count -= n;
    }
    return true;
  }
  FILE* f_;
  std::vector<float> buffer_;
};

}  // namespace

int gen_random_command(const GenRandomArgs& args) {
  ModelConfig c;
  if (!parse_shape(args.shape, &c)) {
    fprintf(stderr,
            "--shape: '%s' is neither 15M, 42M, 110M nor "
            "dim,hidden,layers,heads,kv_heads,vocab,seq_len\n",
            args.shape.c_str());
    return kExitUsage;
  }
  if (Status s = validate_config(c); !s.is_ok()) {
    fprintf(stderr, "--shape: %s\n", s.message());
    return kExitUsage;
  }
  // Written under a temporary name and renamed when complete: a failed
  // write (disk full, file size limit) leaves no partial checkpoint behind.
  const std::string tmp = args.out + ".tmp";
  FILE* f = fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    fprintf(stderr, "error: %s: cannot create: %s\n", args.out.c_str(), strerror(errno));
    return kExitBadInput;
  }
  // llama2.c's legacy (version 0) layout: 7 int32 header fields (a positive
  // vocab size means the classifier is the embedding table), then fp32
  // tensors, with the unused RoPE tables before the end.
  const int32_t header[7] = {c.dim,        c.hidden_dim, c.n_layers, c.n_heads,
                             c.n_kv_heads, c.vocab_size, c.seq_len};
  const uint64_t dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers;
  const uint64_t kv_dim = c.kv_dim(), vocab = c.vocab_size;
  const uint64_t rope = static_cast<uint64_t>(c.seq_len) * c.head_size() / 2;
  // Small uniform weights keep activations in range through many layers;
  // the norms are 1 so the random text still exercises every code path.
  const float scale = 0.02f;
  Random rng{args.seed * 0x9E3779B97F4A7C15ull + 0xD1B54A32D192ED03ull};
  TensorWriter w(f);
  bool ok =
      fwrite(header, sizeof(header), 1, f) == 1 && w.random(vocab * dim, rng, scale) &&
      w.constant(layers * dim, 1.0f) && w.random(layers * dim * dim, rng, scale) &&
      w.random(layers * kv_dim * dim, rng, scale) && w.random(layers * kv_dim * dim, rng, scale) &&
      w.random(layers * dim * dim, rng, scale) && w.constant(layers * dim, 1.0f) &&
      w.random(layers * hidden * dim, rng, scale) && w.random(layers * dim * hidden, rng, scale) &&
      w.random(layers * hidden * dim, rng, scale) && w.constant(dim, 1.0f) &&
      w.constant(2 * rope, 0.0f);
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp.c_str(), args.out.c_str()) != 0) {
    fprintf(stderr, "error: %s: write failed: %s\n", args.out.c_str(), strerror(errno));
    remove(tmp.c_str());
    return kExitBadInput;
  }
  // Read it back through the loader: what we wrote must be a valid checkpoint.
  Result<host::MappedFile> file = host::MappedFile::open(args.out);
  if (!file.is_ok()) return fail(file.status());
  Result<Model> model = load_model(file->bytes(), args.out.c_str());
  if (!model.is_ok()) return fail(model.status());
  printf(
      "%s: dim %d, hidden %d, %d layers, %d heads, %d kv heads, vocab %d, seq_len %d, "
      "%" PRIu64 " parameters, %zu bytes\n",
      args.out.c_str(), c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size,
      c.seq_len, model->parameter_count, model->file_bytes);
  return kExitOk;
}

}  // namespace llmcu::cli
