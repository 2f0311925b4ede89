#include "commands.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "llmcu/generator.h"
#include "llmcu/model.h"
#include "llmcu/tokenizer.h"
#include "mapped_file.h"
#include "model_store.h"
#include "thread_pool.h"

namespace llmcu::cli {
namespace {

using host::MappedFile;

int fail(const Status& status) {
  fprintf(stderr, "error: %s\n", status.message());
  return kExitBadInput;
}

// A loaded model with the mapping that backs it.
struct LoadedModel {
  MappedFile file;
  host::HugePageCopy copy;  // when decoding a large model: where the weights live
  Model model;
};

Result<std::unique_ptr<LoadedModel>> load_model_file(const std::string& path,
                                                     bool huge_pages = false) {
  Result<MappedFile> file = MappedFile::open(path);
  if (!file.is_ok()) return file.status();
  auto loaded = std::make_unique<LoadedModel>();
  loaded->file = std::move(*file);
  const std::span<const uint8_t> bytes =
      weights_for_decoding(loaded->file.bytes(), huge_pages, &loaded->copy);
  Result<Model> model = load_model(bytes, path.c_str());
  if (!model.is_ok()) return model.status();
  loaded->model = *model;
  return loaded;
}

void print_to_stdout(void*, std::string_view piece) {
  fwrite(piece.data(), 1, piece.size(), stdout);
  fflush(stdout);
}

double mib(size_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

void print_plan(const MemoryPlan& plan) {
  printf("memory plan (seq_len %d, prompts up to %zu bytes):\n", plan.seq_len,
         plan.max_prompt_bytes);
  printf("  weights (in place) %12zu bytes\n", plan.weight_bytes);
  printf("  kv cache           %12zu bytes\n", plan.kv_cache);
  printf("  activations        %12zu bytes\n", plan.activations);
  printf("  logits             %12zu bytes\n", plan.logits);
  printf("  sampler            %12zu bytes\n", plan.sampler);
  printf("  tokenizer tables   %12zu bytes\n", plan.tokenizer_tables);
  printf("  prompt work        %12zu bytes\n", plan.prompt_work);
  printf("  arena total        %12zu bytes (%.2f MiB)\n", plan.arena_bytes, mib(plan.arena_bytes));
  // What must stay in fast RAM if the KV cache is given slower memory of its own.
  printf("  arena without kv   %12zu bytes\n", plan.hot_bytes());
  printf("  total              %12zu bytes (%.2f MiB)\n", plan.total_bytes(),
         mib(plan.total_bytes()));
}

}  // namespace

ArenaMemory::ArenaMemory(size_t bytes)
    : storage(bytes > SIZE_MAX - Arena::kAlignment ? nullptr
                                                   : new (std::nothrow)
                                                         uint8_t[bytes + Arena::kAlignment]),
      size(bytes) {}

std::span<uint8_t> ArenaMemory::span() {
  const auto base = reinterpret_cast<uintptr_t>(storage.get());
  const size_t lead = (Arena::kAlignment - base % Arena::kAlignment) % Arena::kAlignment;
  return {storage.get() + lead, size};
}

int run_command(const RunArgs& args) {
  std::string model_path = args.model;
  if (model_path.empty()) {
    Result<std::string> path = ensure_default_file(kDefaultModel);
    if (!path.is_ok()) return fail(path.status());
    model_path = *path;
  }
  Result<std::unique_ptr<LoadedModel>> loaded = load_model_file(model_path, args.huge_pages);
  if (!loaded.is_ok()) return fail(loaded.status());
  const Model& model = (*loaded)->model;

  std::string tokenizer_path = args.tokenizer;
  if (tokenizer_path.empty()) {
    Result<std::string> path = args.model.empty()
                                   ? ensure_default_file(kDefaultTokenizer)
                                   : tokenizer_next_to(model_path, model.config.vocab_size);
    if (!path.is_ok()) return fail(path.status());
    tokenizer_path = *path;
  }
  Result<MappedFile> tokenizer_file = MappedFile::open(tokenizer_path);
  if (!tokenizer_file.is_ok()) return fail(tokenizer_file.status());

  SessionOptions session;
  session.seq_len = args.seq_len;
  session.prompt_bytes = args.prompt.size();
  Result<MemoryPlan> plan = plan_memory(model, session);
  if (!plan.is_ok()) return fail(plan.status());
  ArenaMemory arena(plan->arena_bytes);
  if (arena.storage == nullptr) {
    return fail(Status::error(StatusCode::kResourceExhausted,
                              "%s: cannot allocate the %zu bytes of memory its session plans "
                              "(seq_len %d); try a shorter --seq-len",
                              model_path.c_str(), plan->arena_bytes, plan->seq_len));
  }
  // Touch the arena now: its pages (mostly KV cache) would otherwise fault in
  // one at a time while tokens are decoded, a few percent of a small model's
  // tokens/s. Only when memory clearly allows it; a plan can be huge.
  if (plan->arena_bytes <= available_memory_bytes() / 2) memset(arena.span().data(), 0, arena.size);
  host::ThreadPool pool(choose_threads(args.threads, model.file_bytes));
  Result<Generator> generator = Generator::create(
      model, tokenizer_file->bytes(), tokenizer_path.c_str(), *plan, arena.span(), &pool);
  if (!generator.is_ok()) return fail(generator.status());

  for (int32_t g = 0; g < args.generations; ++g) {
    GenerateOptions options;
    options.prompt = args.prompt;
    options.steps = args.steps;
    options.temperature = args.temperature;
    options.topp = args.topp;
    options.seed = args.seed == 0 ? 0 : args.seed + static_cast<uint64_t>(g);
    Result<GenerationStats> stats = generator->generate(options, print_to_stdout, nullptr);
    if (!stats.is_ok()) return fail(stats.status());
    printf("\n");
    if (fflush(stdout) != 0 || ferror(stdout)) {
      return fail(Status::error(StatusCode::kIoError,
                                "cannot write the text to standard output: %s", strerror(errno)));
    }
    if (args.generations > 1) fprintf(stderr, "generation %d/%d\n", g + 1, args.generations);
    fprintf(stderr, "achieved tok/s: %f\n", stats->tokens_per_s);
    fprintf(stderr,
            "prompt tokens: %d, generated tokens: %d, positions: %d, time to first token: %.3f ms, "
            "seed: %" PRIu64 "\n",
            stats->prompt_tokens, stats->generated_tokens, stats->positions,
            static_cast<double>(stats->prefill_us) / 1000.0, stats->seed);
    fprintf(stderr, "memory: arena %zu bytes, weights %zu bytes (in place)\n", stats->arena_bytes,
            plan->weight_bytes);
  }
  return kExitOk;
}

int encode_command(const EncodeArgs& args) {
  std::string path = args.tokenizer;
  if (path.empty()) {
    Result<std::string> found = ensure_default_file(kDefaultTokenizer);
    if (!found.is_ok()) return fail(found.status());
    path = *found;
  }
  Result<MappedFile> file = MappedFile::open(path);
  if (!file.is_ok()) return fail(file.status());
  Result<int32_t> vocab = Tokenizer::count_tokens(file->bytes(), path.c_str());
  if (!vocab.is_ok()) return fail(vocab.status());
  std::vector<uint32_t> tables(Tokenizer::table_bytes(*vocab) / sizeof(uint32_t));
  Result<Tokenizer> tokenizer = Tokenizer::load(
      file->bytes(), *vocab,
      {reinterpret_cast<uint8_t*>(tables.data()), tables.size() * sizeof(uint32_t)}, path.c_str());
  if (!tokenizer.is_ok()) return fail(tokenizer.status());
  std::vector<int32_t> work(Tokenizer::encode_work_ints(args.text.size()));
  int32_t n = 0;
  Status status = tokenizer->encode(args.text, args.bos, args.eos, work, &n);
  if (!status.is_ok()) return fail(status);
  for (int32_t i = 0; i < n; ++i) printf(i == 0 ? "%d" : " %d", work[i]);
  printf("\n");
  return kExitOk;
}

int inspect_command(const std::string& model_path, int32_t seq_len) {
  Result<std::unique_ptr<LoadedModel>> loaded = load_model_file(model_path);
  if (!loaded.is_ok()) return fail(loaded.status());
  const Model& m = (*loaded)->model;
  const ModelConfig& c = m.config;
  printf("file:        %s (%zu bytes)\n", model_path.c_str(), m.file_bytes);
  printf("format:      %s\n", model_format_name(m.format));
  printf(
      "config:      dim %d, hidden_dim %d, n_layers %d, n_heads %d, n_kv_heads %d, "
      "vocab_size %d, seq_len %d\n",
      c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len);
  printf("attention:   head_size %d, kv_dim %d, %d query heads per kv head\n", c.head_size(),
         c.kv_dim(), c.kv_mul());
  printf("classifier:  %s\n", c.shared_classifier ? "shared with the token embedding" : "separate");
  printf("parameters:  %" PRIu64 "\n", m.parameter_count);
  if (m.weight_type == WeightType::kQ8) printf("group size:  %d\n", c.group_size);
  print_tensor_bytes(m, (*loaded)->file.bytes());
  Result<MemoryPlan> plan = plan_memory(m, {seq_len, 0});
  if (!plan.is_ok()) return fail(plan.status());
  print_plan(*plan);
  return kExitOk;
}

int plan_command(const PlanArgs& args) {
  Result<std::unique_ptr<LoadedModel>> loaded = load_model_file(args.model);
  if (!loaded.is_ok()) return fail(loaded.status());
  const Model& m = (*loaded)->model;
  Result<MemoryPlan> plan = plan_memory(m, {args.seq_len, 0});
  if (!plan.is_ok()) return fail(plan.status());
  print_plan(*plan);
  const size_t budget = args.ram_bytes > SIZE_MAX ? SIZE_MAX : static_cast<size_t>(args.ram_bytes);
  printf("RAM budget:         %12zu bytes: the arena %s\n", budget,
         plan->arena_bytes <= budget ? "fits" : "does NOT fit");
  const int32_t longest = max_seq_len_for(m.config, budget);
  if (longest == 0) {
    printf("longest seq_len that fits: none\n");
  } else {
    printf("longest seq_len that fits: %d (model's: %d)\n", longest, m.config.seq_len);
  }
  return kExitOk;
}

}  // namespace llmcu::cli
