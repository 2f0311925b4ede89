// llmcu inspect MODEL: format, config, tensors and memory plan.
// llmcu plan MODEL --ram BYTES: the plan against a RAM budget, and the longest
// context that fits in it.
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "cli.h"
#include "llmcu/llmcu_format.h"
#include "llmcu/memory_plan.h"
#include "options.h"

namespace llmcu::cli {
namespace {

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
  printf("checksum:    CRC-32 0x%08x over bytes 0-%zu (verified)\n", crc,
         file.size() - kLlmcuTrailerBytes - 1);
}

struct InspectArgs {
  std::string model;
  int32_t seq_len = 0;
};

Outcome inspect(const InspectArgs& args) {
  LLMCU_TRY_ASSIGN(std::unique_ptr<LoadedModel> loaded, load_model_file(args.model));
  const Model& m = loaded->model;
  const ModelConfig& c = m.config;
  printf("file:        %s (%zu bytes)\n", args.model.c_str(), m.file_bytes);
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
  print_tensor_bytes(m, loaded->file.bytes());
  LLMCU_TRY_ASSIGN(const MemoryPlan plan, plan_memory(m, {args.seq_len, 0}));
  print_plan(plan);
  return Outcome();
}

struct PlanArgs {
  std::string model;
  std::string ram;
  int32_t seq_len = 0;
};

Outcome plan(const PlanArgs& args) {
  uint64_t ram_bytes = 0;
  if (!parse_bytes(args.ram, &ram_bytes)) {
    return Outcome::usage("--ram: '%s' is not a byte count (e.g. 1M, 512K, 2097152)",
                          args.ram.c_str());
  }
  LLMCU_TRY_ASSIGN(std::unique_ptr<LoadedModel> loaded, load_model_file(args.model));
  const Model& m = loaded->model;
  LLMCU_TRY_ASSIGN(const MemoryPlan plan, plan_memory(m, {args.seq_len, 0}));
  print_plan(plan);
  const size_t budget = ram_bytes > SIZE_MAX ? SIZE_MAX : static_cast<size_t>(ram_bytes);
  printf("RAM budget:         %12zu bytes: the arena %s\n", budget,
         plan.arena_bytes <= budget ? "fits" : "does NOT fit");
  const int32_t longest = max_seq_len_for(m.config, budget);
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
  const size_t norms = (2 * static_cast<size_t>(c.n_layers) + 1) * c.dim * sizeof(float);
  printf("  %-16s %-6s %22s %12zu bytes\n", "rms norms", "f32", "", norms);
  for (const Row& r : rows) {
    const Matrix& x = *r.matrix;
    char shape[48];
    snprintf(shape, sizeof(shape), "%d x (%d, %d)", r.layers, x.rows, x.cols);
    char type[16];
    if (x.type == WeightType::kQ8) {
      snprintf(type, sizeof(type), "q8/%d", x.group_size);
    } else {
      snprintf(type, sizeof(type), "f32");
    }
    if (r.layers == 0) {
      printf("  %-16s shared with token_embedding\n", r.name);
      continue;
    }
    printf("  %-16s %-6s %22s %12zu bytes\n", r.name, type, shape,
           x.bytes_per_layer() * static_cast<size_t>(r.layers));
  }
}

Registration register_inspect(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand("inspect", "format, config and memory plan of a model");
  cmd->add_option("model", args->model, "checkpoint")->required();
  cmd->add_option("--seq-len", args->seq_len, "context to plan for")->check(CLI::NonNegativeNumber);
  return {cmd, [args] { return inspect(*args); }};
}

Registration register_plan(CLI::App& app) {
  auto args = std::make_shared<PlanArgs>();
  CLI::App* cmd = app.add_subcommand(
      "plan", "memory plan against a RAM budget, and the longest context that fits");
  cmd->add_option("model", args->model, "checkpoint")->required();
  cmd->add_option("--ram", args->ram, "RAM budget for the arena, e.g. 1M, 512K, 2097152")
      ->required();
  cmd->add_option("--seq-len", args->seq_len, "context to plan for")->check(CLI::NonNegativeNumber);
  return {cmd, [args] { return plan(*args); }};
}

}  // namespace llmcu::cli
