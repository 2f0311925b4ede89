// llmcu quantize IN OUT: fp32 checkpoint -> int8 file, llama2.c version 2
// (--format llama2c-v2, the default) or llmcu (--format llmcu); or any model
// with fp32 (or f16) weights -> GGUF of --type f32|f16|q8_0|q4_0 (--format
// gguf; gguf_export.h has the type choices).
// The conversion itself is in the core (llmcu/quantize.h) or gguf_export;
// this writes it to a temporary file next to OUT, checks that it loads, and
// renames it into place.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "cli.h"
#include "gguf_export.h"
#include "llmcu/llmcu_format.h"
#include "llmcu/model.h"
#include "llmcu/quantize.h"
#include "mapped_file.h"
#include "model_store.h"
#include "options.h"
#include "output_file.h"

namespace llmcu::cli {
namespace {

struct QuantizeArgs {
  std::string in;
  std::string out;
  int32_t group_size = 0;  // 0: the default for the format
  std::string format = "llama2c-v2";
  std::string type = "q8_0";  // --format gguf
  std::string tokenizer;      // --format gguf from a llama2.c model: its vocabulary
};

// Writes OUT with `writer`, checks it wrote `expected` bytes and that the
// file loads, and reports what was done.
using ModelWriter = std::function<Result<QuantizeStats>(FILE*)>;
Outcome write_checked(const QuantizeArgs& args, const Model& model, int32_t group_size,
                      uint64_t expected, const ModelWriter& writer) {
  QuantizeStats stats;
  LLMCU_TRY(write_atomically(args.out, expected, [&](FILE* f, const std::string& tmp) -> Status {
    LLMCU_TRY_ASSIGN(stats, writer(f));
    if (stats.bytes_written != expected) {
      return Status::error(StatusCode::kIoError, "%s: wrote %llu bytes, expected %llu", tmp.c_str(),
                           static_cast<unsigned long long>(stats.bytes_written),
                           static_cast<unsigned long long>(expected));
    }
    return Status::ok();
  }));
  // What we wrote must load: read it back through the strict loader.
  LLMCU_TRY_ASSIGN(std::unique_ptr<LoadedModel> check, load_model_file(args.out));
  printf("%s: %s, %zu bytes -> %s: %s, int8 q8, group size %d, %llu bytes (%.1f%%)\n",
         args.in.c_str(), model_format_name(model.format), model.file_bytes, args.out.c_str(),
         model_format_name(check->model.format), group_size,
         static_cast<unsigned long long>(stats.bytes_written),
         100.0 * static_cast<double>(stats.bytes_written) / static_cast<double>(model.file_bytes));
  printf("%llu groups; largest weight error %.3g (%.3f of its group's scale)\n",
         static_cast<unsigned long long>(stats.groups), static_cast<double>(stats.max_abs_error),
         static_cast<double>(stats.max_error_in_scales));
  return Outcome();
}

// --format llmcu: any group size; rows that it does not divide are padded.
Outcome quantize_to_llmcu(const QuantizeArgs& args, const Model& model) {
  const ModelConfig& c = model.config;
  const int32_t group_size = args.group_size > 0 ? args.group_size : kDefaultGroupSize;
  if (group_size > kMaxGroupSize) {
    return Outcome::usage("error: --group-size %d: at most %d", group_size, kMaxGroupSize);
  }
  fprintf(stderr, "group size %d", group_size);
  for (const auto& [field, n] : {std::pair{"dim", c.dim}, std::pair{"hidden_dim", c.hidden_dim}}) {
    if (n % group_size != 0) {
      fprintf(stderr, "; rows of %d (%s) are padded to %d", n, field,
              (n + group_size - 1) / group_size * group_size);
    }
  }
  fprintf(stderr, "\n");
  return write_checked(
      args, model, group_size, llmcu_file_bytes(c, WeightType::kQ8, group_size),
      [&](FILE* f) { return write_llmcu(model, WeightType::kQ8, group_size, write_to_file, f); });
}

// --format llama2c-v2: the group size must divide every row.
Outcome quantize_to_llama2c_v2(const QuantizeArgs& args, const Model& model) {
  const ModelConfig& c = model.config;
  Result<int32_t> chosen = choose_group_size(c, args.group_size);
  if (!chosen.is_ok()) {
    Status status = chosen.status();
    return status.with_context(args.in.c_str());
  }
  const int32_t group_size = *chosen;
  if (args.group_size == 0) {
    if (group_size == kDefaultGroupSize) {
      fprintf(stderr, "group size %d\n", group_size);
    } else {
      fprintf(stderr,
              "group size %d: the largest power of two up to %d that divides both dim %d and "
              "hidden_dim %d (each matrix row must hold whole groups)\n",
              group_size, kDefaultGroupSize, c.dim, c.hidden_dim);
    }
  }
  return write_checked(args, model, group_size, llama2c_v2_bytes(c, group_size), [&](FILE* f) {
    return write_llama2c_v2(model, group_size, write_to_file, f);
  });
}

GgmlType gguf_type_named(const std::string& name) {
  if (name == "f32") return GgmlType::kF32;
  if (name == "f16") return GgmlType::kF16;
  if (name == "q4_0") return GgmlType::kQ4_0;
  return GgmlType::kQ8_0;
}

// --format gguf: any model with fp32 (GGUF: or f16) weights.
Outcome quantize_to_gguf(const QuantizeArgs& args, const Model& model) {
  const GgmlType type = gguf_type_named(args.type);
  // A llama2.c or llmcu model brings no vocabulary: its tokenizer file gives it.
  host::MappedFile tokenizer_file;
  std::vector<uint32_t> tables;
  Tokenizer vocabulary;
  const Tokenizer* vocab = nullptr;
  if (model.gguf == nullptr) {
    std::string path = args.tokenizer;
    if (path.empty()) {
      LLMCU_TRY_ASSIGN(path, tokenizer_next_to(args.in, model.config.vocab_size));
    }
    LLMCU_TRY_ASSIGN(tokenizer_file, host::MappedFile::open(path));
    tables.resize(Tokenizer::table_bytes(model.config.vocab_size) / sizeof(uint32_t));
    LLMCU_TRY_ASSIGN(vocabulary, Tokenizer::load(tokenizer_file.bytes(), model.config.vocab_size,
                                                 {reinterpret_cast<uint8_t*>(tables.data()),
                                                  tables.size() * sizeof(uint32_t)},
                                                 path.c_str()));
    vocab = &vocabulary;
  }
  GgufExportReport report;
  LLMCU_TRY(write_atomically(args.out, 0, [&](FILE* f, const std::string&) -> Status {
    LLMCU_TRY_ASSIGN(report, write_model_gguf(model, type, vocab, f));
    return Status::ok();
  }));
  // What we wrote must load: read it back through the strict loader.
  LLMCU_TRY_ASSIGN(std::unique_ptr<LoadedModel> check, load_model_file(args.out));
  printf("%s: %s, %zu bytes -> %s: GGUF %s, %llu bytes (%.1f%%)\n", args.in.c_str(),
         model_format_name(model.format), model.file_bytes, args.out.c_str(), ggml_type_name(type),
         static_cast<unsigned long long>(report.bytes),
         100.0 * static_cast<double>(report.bytes) / static_cast<double>(model.file_bytes));
  printf("%u tensors: %u F32, %u F16, %u Q8_0, %u Q4_0\n", report.tensors, report.by_type[0],
         report.by_type[1], report.by_type[2], report.by_type[3]);
  for (const std::string& fallback : report.fallbacks) {
    fprintf(stderr, "fallback: %s\n", fallback.c_str());
  }
  return Outcome();
}

Outcome quantize(const QuantizeArgs& args) {
  LLMCU_TRY_ASSIGN(std::unique_ptr<LoadedModel> in, load_model_file(args.in));
  const Model& model = in->model;
  if (args.format == "gguf") return quantize_to_gguf(args, model);
  if (model.weight_type != WeightType::kF32) {
    return Status::error(StatusCode::kInvalidArgument,
                         "%s is already int8 (%s): quantize its fp32 original", args.in.c_str(),
                         model_format_name(model.format));
  }
  return args.format == "llmcu" ? quantize_to_llmcu(args, model)
                                : quantize_to_llama2c_v2(args, model);
}

}  // namespace

Registration register_quantize(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "quantize",
      "convert an fp32 checkpoint to int8 (llama2.c version 2 or llmcu, Q8_0 groups) or to GGUF");
  cmd->add_option("in", args->in, "fp32 checkpoint (llama2.c version 0 or 1, llmcu, GGUF)")
      ->required();
  cmd->add_option("out", args->out, "int8 file to write")->required();
  add_int_option(cmd, "--group-size", &args->group_size, 1, kMaxGroupSize,
                 "values per scale. llama2c-v2: must divide dim and hidden_dim (default: the "
                 "largest power of two up to 64 that does); llmcu: any, rows are padded to "
                 "whole groups (default 64)");
  cmd->add_option("--format", args->format, "output format: llama2c-v2, llmcu or gguf")
      ->check(CLI::IsMember({"llama2c-v2", "llmcu", "gguf"}))
      ->default_val("llama2c-v2");
  cmd->add_option("--type", args->type,
                  "--format gguf: f32, f16, q8_0 or q4_0 (rows that are not whole 32-value "
                  "blocks fall back to f16; a q4_0 file's classifier is q8_0)")
      ->check(CLI::IsMember({"f32", "f16", "q8_0", "q4_0"}))
      ->default_val("q8_0");
  cmd->add_option("-z,--tokenizer", args->tokenizer,
                  "--format gguf from a llama2.c model: its tokenizer file, for the vocabulary "
                  "(default: next to the model)");
  return {cmd, [args] { return quantize(*args); }};
}

}  // namespace llmcu::cli
