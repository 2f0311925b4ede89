// llmcu inspect FILE: a model's format, config, tensors and memory plan; a
// pack container's header and both its parts; a tokenizer's vocabulary.
// llmcu plan MODEL --ram BYTES: the plan against a RAM budget, and the longest
// context that fits in it.
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli.h"
#include "llmcu/llmcu_format.h"
#include "llmcu/memory_plan.h"
#include "llmcu/model_check.h"
#include "llmcu/tokenizer.h"
#include "mapped_file.h"
#include "options.h"

namespace llmcu::cli {
namespace {

double mib(uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

// Sizes are printed from 64-bit values: a sum of size_t parts on a 32-bit
// host, or of an arena near the limit and the weights, must not wrap.
unsigned long long u64(size_t bytes) {
  return static_cast<unsigned long long>(bytes);
}

void print_plan(const MemoryPlan& plan) {
  if (plan.batch > 1) {
    printf("memory plan (seq_len %d, batches of %d, prompts up to %llu bytes):\n", plan.seq_len,
           plan.batch, u64(plan.max_prompt_bytes));
  } else {
    printf("memory plan (seq_len %d, prompts up to %llu bytes):\n", plan.seq_len,
           u64(plan.max_prompt_bytes));
  }
  printf("  weights (in place) %12llu bytes\n", u64(plan.weight_bytes));
  if (plan.model_memory > 0) {
    printf("  model index        %12llu bytes (GGUF index and tables, outside the arena)\n",
           u64(plan.model_memory));
  }
  printf("  kv cache           %12llu bytes\n", u64(plan.kv_cache));
  printf("  activations        %12llu bytes\n", u64(plan.activations));
  printf("  logits             %12llu bytes\n", u64(plan.logits));
  printf("  sampler            %12llu bytes\n", u64(plan.sampler));
  printf("  tokenizer tables   %12llu bytes\n", u64(plan.tokenizer_tables));
  printf("  prompt work        %12llu bytes\n", u64(plan.prompt_work));
  printf("  arena total        %12llu bytes (%.2f MiB)\n", u64(plan.arena_bytes),
         mib(plan.arena_bytes));
  // What must stay in fast RAM if the KV cache is given slower memory of its own.
  printf("  arena without kv   %12llu bytes\n", u64(plan.arena_bytes) - u64(plan.kv_cache));
  const unsigned long long ram = u64(plan.arena_bytes) + u64(plan.model_memory);
  if (plan.model_memory > 0) {
    printf("  RAM (arena + index)%12llu bytes (%.2f MiB)\n", ram, mib(ram));
  }
  const unsigned long long total = ram + u64(plan.weight_bytes);
  printf("  total              %12llu bytes (%.2f MiB)\n", total, mib(total));
}

// The llmcu tensor table as stored: type, shape, padded rows, offset, bytes.
void print_llmcu_table(const Model& m, std::span<const uint8_t> file) {
  Result<LlmcuHeader> h = decode_llmcu_header(file);
  if (!h.is_ok()) return;
  printf("tensors (in place, %u in the table, each at a 64-byte aligned offset):\n",
         h->tensor_count);
  printf("  %-16s %-6s %22s %12s %10s  %s\n", "tensor", "type", "layers x (rows, cols)", "bytes",
         "offset", "rows stored as");
  for (uint32_t i = 0; i < h->tensor_count; ++i) {
    Result<LlmcuEntry> e = decode_llmcu_entry(file, i);
    if (!e.is_ok()) return;
    const char* kind = llmcu_kind_name(e->kind);
    const char* type = llmcu_type_name(e->type);
    char type_text[24];
    if (e->type == static_cast<uint16_t>(LlmcuType::kQ8)) {
      snprintf(type_text, sizeof(type_text), "q8/%u", e->group_size);
    } else {
      snprintf(type_text, sizeof(type_text), "%s", type != nullptr ? type : "?");
    }
    char shape[48];
    snprintf(shape, sizeof(shape), "%u x (%u, %u)", e->layers, e->rows, e->cols);
    char stored[64] = "";
    if (e->type == static_cast<uint16_t>(LlmcuType::kQ8)) {
      snprintf(stored, sizeof(stored), "%u int8 + %u scales%s", e->row_stride,
               e->row_stride / e->group_size, e->row_stride != e->cols ? " (padded)" : "");
    }
    printf("  %-16s %-6s %22s %12llu %10llu%s%s\n", kind != nullptr ? kind : "?", type_text, shape,
           static_cast<unsigned long long>(e->bytes), static_cast<unsigned long long>(e->offset),
           stored[0] != '\0' ? "  " : "", stored);
  }
  if (m.config.shared_classifier) printf("  %-16s shared with token_embedding\n", "classifier");
  uint32_t crc = 0;
  memcpy(&crc, file.data() + file.size() - kLlmcuTrailerBytes, sizeof(crc));
  printf("checksum:    CRC-32 0x%08x over bytes 0-%llu (verified)\n", crc,
         u64(file.size() - kLlmcuTrailerBytes - 1));
}

struct InspectArgs {
  std::string model;
  int32_t seq_len = 0;
};

void print_model(const LoadedModel& loaded) {
  const Model& m = loaded.model;
  const ModelConfig& c = m.config;
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
  if (m.gguf != nullptr) print_gguf_summary(m);
  // Inspect shows a model that other commands refuse for its numbers, and says why.
  const Status finite = check_weights_finite(m);
  printf("numbers:     %s\n", finite.is_ok() ? "all finite" : finite.message());
  const std::span<const uint8_t> model_bytes =
      loaded.packed
          ? loaded.file.bytes().subspan(loaded.container.model_offset, loaded.container.model_bytes)
          : loaded.file.bytes();
  print_tensor_bytes(m, model_bytes);
}

// What a llama2.c tokenizer file holds, for the model it goes with.
Status print_tokenizer(std::span<const uint8_t> bytes, const char* name, int32_t vocab) {
  std::vector<uint32_t> tables(Tokenizer::table_bytes(vocab) / sizeof(uint32_t) + 1);
  LLMCU_TRY_ASSIGN(const Tokenizer t, Tokenizer::load(bytes, vocab,
                                                      {reinterpret_cast<uint8_t*>(tables.data()),
                                                       tables.size() * sizeof(uint32_t)},
                                                      name));
  uint32_t max_token_length = 0;
  memcpy(&max_token_length, bytes.data(), sizeof(max_token_length));
  int32_t longest = 0;
  for (int32_t id = 1; id < vocab; ++id) {
    if (t.piece(id).size() > t.piece(longest).size()) longest = id;
  }
  int bytes_covered = 0;
  for (int b = 0; b < 256; ++b) {
    char piece[8];
    snprintf(piece, sizeof(piece), "<0x%02X>", b);
    if (t.lookup(piece) >= 0) ++bytes_covered;
  }
  std::string shown;
  for (const char ch : t.piece(longest)) {
    const auto u = static_cast<unsigned char>(ch);
    if (u >= 0x20 && u < 0x7f && ch != '"' && ch != '\\') {
      shown += ch;
    } else {
      char escape[8];
      snprintf(escape, sizeof(escape), "\\x%02x", u);
      shown += escape;
    }
  }
  printf("vocabulary:  %d tokens (ids 0-2: <unk>, <s>, </s>)\n", vocab);
  printf("longest:     token %d, %zu bytes: \"%s\" (header max_token_length %u)\n", longest,
         t.piece(longest).size(), shown.c_str(), max_token_length);
  printf("byte fallback: %d of 256 bytes have a <0xXX> token%s\n", bytes_covered,
         bytes_covered == 256 ? " (any text encodes)" : "");
  return Status::ok();
}

Outcome inspect_container(const LoadedModel& loaded, const InspectArgs& args) {
  const ContainerHeader& h = loaded.container;
  printf("file:        %s (%llu bytes)\n", args.model.c_str(), u64(loaded.file.bytes().size()));
  printf("container:   llmcu pack version %u, %u bytes, checksums verified\n", h.version,
         h.total_bytes);
  printf("  model      %10u bytes at offset %u (crc32 %08x)\n", h.model_bytes, h.model_offset,
         h.model_crc32);
  printf("  tokenizer  %10u bytes at offset %u (crc32 %08x)\n", h.tokenizer_bytes,
         h.tokenizer_offset, h.tokenizer_crc32);
  printf("model part:\n");
  print_model(loaded);
  LLMCU_TRY_ASSIGN(const MemoryPlan plan, plan_memory(loaded.model, {args.seq_len, 0}));
  print_plan(plan);
  if (loaded.model.gguf != nullptr) {
    printf("tokenizer part: none (the GGUF model's own vocabulary)\n");
    return Outcome();
  }
  printf("tokenizer part:\n");
  LLMCU_TRY(
      print_tokenizer(loaded.packed_tokenizer, args.model.c_str(), loaded.model.config.vocab_size));
  return Outcome();
}

// Not a model: a tokenizer file, if it reads as one; else the model's error.
Outcome inspect_tokenizer(const InspectArgs& args, const Status& model_error) {
  Result<host::MappedFile> file = host::MappedFile::open(args.model);
  if (!file.is_ok()) return model_error;
  Result<int32_t> vocab = Tokenizer::count_tokens(file->bytes(), args.model.c_str());
  if (!vocab.is_ok() || *vocab < 3) return model_error;
  printf("file:        %s (%llu bytes)\n", args.model.c_str(), u64(file->bytes().size()));
  printf("format:      llama2.c tokenizer (a vocabulary, not a model)\n");
  LLMCU_TRY(print_tokenizer(file->bytes(), args.model.c_str(), *vocab));
  return Outcome();
}

Outcome inspect(const InspectArgs& args) {
  LoadOptions load;
  load.check_finite = false;
  Result<std::unique_ptr<LoadedModel>> loaded = load_model_file(args.model, load);
  if (!loaded.is_ok()) return inspect_tokenizer(args, loaded.status());
  if ((*loaded)->packed) return inspect_container(**loaded, args);
  const Model& m = (*loaded)->model;
  printf("file:        %s (%llu bytes)\n", args.model.c_str(), u64(m.file_bytes));
  print_model(**loaded);
  LLMCU_TRY_ASSIGN(const MemoryPlan plan, plan_memory(m, {args.seq_len, 0}));
  print_plan(plan);
  return Outcome();
}

struct PlanArgs {
  std::string model;
  std::string ram;
  int32_t seq_len = 0;
  int32_t batch = 1;
};

Outcome plan(const PlanArgs& args) {
  uint64_t ram_bytes = 0;
  if (!parse_bytes(args.ram, &ram_bytes)) {
    return Outcome::usage("--ram: '%s' is not a byte count (e.g. 1M, 512K, 2097152)",
                          args.ram.c_str());
  }
  LoadOptions load;
  load.check_finite = false;
  LLMCU_TRY_ASSIGN(std::unique_ptr<LoadedModel> loaded, load_model_file(args.model, load));
  const Model& m = loaded->model;
  SessionOptions session;
  session.seq_len = args.seq_len;
  session.batch = args.batch;
  LLMCU_TRY_ASSIGN(const MemoryPlan plan, plan_memory(m, session));
  print_plan(plan);
  const size_t budget = ram_bytes > SIZE_MAX ? SIZE_MAX : static_cast<size_t>(ram_bytes);
  printf("RAM budget:         %12llu bytes: the arena %s\n", u64(budget),
         plan.arena_bytes <= budget ? "fits" : "does NOT fit");
  if (plan.model_memory > 0) {
    printf("                    with the model index (%llu bytes): %s\n", u64(plan.model_memory),
           plan.ram_bytes() <= budget ? "fits" : "does NOT fit");
  }
  const int32_t longest = max_seq_len_for(m, budget, session);
  if (longest == 0) {
    printf("longest seq_len that fits: none\n");
  } else {
    printf("longest seq_len that fits: %d (model's: %d)\n", longest, m.config.seq_len);
  }
  return Outcome();
}

}  // namespace

void print_tensor_bytes(const Model& m, std::span<const uint8_t> file) {
  if (m.format == ModelFormat::kLlmcu) {
    print_llmcu_table(m, file);
    return;
  }
  const Weights& w = m.weights;
  const ModelConfig& c = m.config;
  struct Row {
    const char* name;
    const Matrix* matrix;
    int32_t layers;
  };
  const Row rows[] = {{"token_embedding", &w.token_embedding, 1},
                      {"wq", &w.wq, c.n_layers},
                      {"wk", &w.wk, c.n_layers},
                      {"wv", &w.wv, c.n_layers},
                      {"wo", &w.wo, c.n_layers},
                      {"w1", &w.w1, c.n_layers},
                      {"w2", &w.w2, c.n_layers},
                      {"w3", &w.w3, c.n_layers},
                      {"classifier", &w.classifier, c.shared_classifier ? 0 : 1}};
  printf("tensors (in place):\n");
  const unsigned long long norms =
      (2 * static_cast<unsigned long long>(c.n_layers) + 1) * c.dim * sizeof(float);
  printf("  %-16s %-6s %22s %12llu bytes\n", "rms norms", "f32", "", norms);
  if (w.bq.present()) {
    const unsigned long long biases =
        static_cast<unsigned long long>(c.n_layers) * (c.dim + 2 * c.kv_dim()) * 4;
    printf("  %-16s %-6s %22s %12llu bytes\n", "q/k/v biases", "f32", "", biases);
  }
  for (const Row& r : rows) {
    const Matrix& x = *r.matrix;
    char shape[48];
    snprintf(shape, sizeof(shape), "%d x (%d, %d)", r.layers, x.rows, x.cols);
    char type[16];
    if (x.type == WeightType::kQ8) {
      snprintf(type, sizeof(type), "q8/%d", x.group_size);
    } else {
      snprintf(type, sizeof(type), "%s", weight_type_name(x.type));
    }
    if (r.layers == 0) {
      printf("  %-16s shared with token_embedding\n", r.name);
      continue;
    }
    printf("  %-16s %-6s %22s %12llu bytes\n", r.name, type, shape,
           u64(x.bytes_per_layer()) * static_cast<unsigned long long>(r.layers));
  }
}

Registration register_inspect(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "format, config and memory plan of a model; a container's parts; a tokenizer");
  cmd->add_option("model", args->model, "checkpoint, pack container or tokenizer")->required();
  add_int_option(cmd, "--seq-len", &args->seq_len, 0, INT32_MAX, "context to plan for");
  return {cmd, [args] { return inspect(*args); }};
}

Registration register_plan(CLI::App& app) {
  auto args = std::make_shared<PlanArgs>();
  CLI::App* cmd = app.add_subcommand(
      "plan", "memory plan against a RAM budget, and the longest context that fits");
  cmd->add_option("model", args->model, "checkpoint")->required();
  cmd->add_option("--ram", args->ram, "RAM budget for the arena, e.g. 1M, 512K, 2097152")
      ->required();
  add_int_option(cmd, "--seq-len", &args->seq_len, 0, INT32_MAX, "context to plan for");
  add_int_option(cmd, "-b,--batch", &args->batch, 1, kMaxBatch,
                 "prompt tokens fed together (default 1, as the firmware runs; run's is " +
                     std::to_string(kDefaultBatch) + ")");
  return {cmd, [args] { return plan(*args); }};
}

}  // namespace llmcu::cli
