// llmcu pack: writes the model container a device flashes into its `model`
// partition (include/llmcu/container.h). Both inputs are validated with the
// same loaders the device runs, so a container that packs is one that loads.
// A GGUF model carries its vocabulary: it is packed alone.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "cli.h"
#include "llmcu/container.h"
#include "llmcu/gguf.h"
#include "llmcu/model.h"
#include "llmcu/text_tokenizer.h"
#include "llmcu/tokenizer.h"
#include "mapped_file.h"
#include "output_file.h"

namespace llmcu::cli {
namespace {

// Offset of the lowest tensor in the checkpoint: the header ends there, and
// the container aligns that byte rather than the file's first byte.
size_t first_tensor_offset(const Model& m, const uint8_t* base) {
  if (m.gguf != nullptr) return static_cast<size_t>(m.gguf->data_offset());
  const Weights& w = m.weights;
  const uint8_t* candidates[] = {
      w.token_embedding.base,
      reinterpret_cast<const uint8_t*>(w.rms_att.base),
      reinterpret_cast<const uint8_t*>(w.rms_ffn.base),
      reinterpret_cast<const uint8_t*>(w.rms_final),
      w.wq.base,
      w.wk.base,
      w.wv.base,
      w.wo.base,
      w.w1.base,
      w.w2.base,
      w.w3.base,
      w.classifier.base,
  };
  const uint8_t* lowest = nullptr;
  for (const uint8_t* p : candidates) {
    if (p != nullptr && (lowest == nullptr || p < lowest)) lowest = p;
  }
  return lowest == nullptr ? 0 : static_cast<size_t>(lowest - base);
}

Status write_all(FILE* f, const void* data, size_t bytes) {
  if (bytes != 0 && fwrite(data, 1, bytes, f) != bytes) {
    return Status::error(StatusCode::kIoError, "write failed: %s", strerror(errno));
  }
  return Status::ok();
}

Status write_zeros(FILE* f, size_t bytes) {
  static const uint8_t kZeros[256] = {};
  while (bytes > 0) {
    const size_t n = std::min(bytes, sizeof(kZeros));
    LLMCU_TRY(write_all(f, kZeros, n));
    bytes -= n;
  }
  return Status::ok();
}

Status write_container(FILE* f, const ContainerHeader& h, std::span<const uint8_t> model,
                       std::span<const uint8_t> tokenizer) {
  uint8_t header[kContainerHeaderBytes];
  encode_container_header(h, header);
  const size_t model_end = size_t{h.model_offset} + h.model_bytes;
  LLMCU_TRY(write_all(f, header, sizeof(header)));
  LLMCU_TRY(write_zeros(f, h.model_offset - kContainerHeaderBytes));
  LLMCU_TRY(write_all(f, model.data(), model.size()));
  LLMCU_TRY(write_zeros(f, h.tokenizer_offset - model_end));
  return write_all(f, tokenizer.data(), tokenizer.size());
}

struct PackArgs {
  std::string model;
  std::vector<std::string> rest;  // [TOKENIZER] OUT
};

// Loads the vocabulary exactly as the device will: a llama2.c tokenizer
// file for the model's vocabulary size, or the GGUF file's own.
Status check_tokenizer(const Model& model, std::span<const uint8_t> tokenizer, const char* name) {
  if (model.gguf != nullptr) {
    std::vector<uint64_t> tables(tokenizer_table_bytes(model.tokenizer) / 8 + 1);
    return TextTokenizer::load_gguf(*model.gguf, model.tokenizer,
                                    {reinterpret_cast<uint8_t*>(tables.data()), tables.size() * 8})
        .status();
  }
  std::vector<uint32_t> tables(Tokenizer::table_bytes(model.config.vocab_size) / sizeof(uint32_t));
  return Tokenizer::load(
             tokenizer, model.config.vocab_size,
             {reinterpret_cast<uint8_t*>(tables.data()), tables.size() * sizeof(uint32_t)}, name)
      .status();
}

Outcome pack(const PackArgs& args) {
  const bool with_tokenizer = args.rest.size() == 2;
  const std::string& out = args.rest.back();
  LLMCU_TRY_ASSIGN(std::unique_ptr<LoadedModel> loaded, load_model_file(args.model));
  if (loaded->packed) {
    return Status::error(StatusCode::kInvalidArgument,
                         "%s: is a container already; pack a bare checkpoint", args.model.c_str());
  }
  const Model& model = loaded->model;
  if (model.gguf != nullptr && with_tokenizer) {
    return Outcome::usage("%s is a GGUF model and brings its own vocabulary: llmcu pack MODEL OUT",
                          args.model.c_str());
  }
  if (model.gguf == nullptr && !with_tokenizer) {
    return Outcome::usage("%s needs its tokenizer: llmcu pack MODEL TOKENIZER OUT",
                          args.model.c_str());
  }
  host::MappedFile tokenizer_file;
  if (with_tokenizer) {
    LLMCU_TRY_ASSIGN(tokenizer_file, host::MappedFile::open(args.rest[0]));
  }
  const std::span<const uint8_t> tokenizer_bytes = tokenizer_file.bytes();
  LLMCU_TRY(check_tokenizer(model, tokenizer_bytes, with_tokenizer ? args.rest[0].c_str() : ""));

  const std::span<const uint8_t> model_bytes = loaded->file.bytes();
  LLMCU_TRY_ASSIGN(
      ContainerHeader header,
      plan_container(model_bytes.size(), first_tensor_offset(model, model_bytes.data()),
                     tokenizer_bytes.size()));
  header.model_crc32 = crc32(model_bytes);
  header.tokenizer_crc32 = crc32(tokenizer_bytes);
  // Whole or not at all: OUT is either the old file or a complete container.
  LLMCU_TRY(write_atomically(out, header.total_bytes, [&](FILE* f, const std::string&) {
    return write_container(f, header, model_bytes, tokenizer_bytes);
  }));
  printf("wrote %s: %lu bytes\n", out.c_str(), static_cast<unsigned long>(header.total_bytes));
  printf("  model      %10lu bytes at offset %lu (%s, crc32 %08lx)\n",
         static_cast<unsigned long>(header.model_bytes),
         static_cast<unsigned long>(header.model_offset), model_format_name(model.format),
         static_cast<unsigned long>(header.model_crc32));
  if (with_tokenizer) {
    printf("  tokenizer  %10lu bytes at offset %lu (%d tokens, crc32 %08lx)\n",
           static_cast<unsigned long>(header.tokenizer_bytes),
           static_cast<unsigned long>(header.tokenizer_offset), model.config.vocab_size,
           static_cast<unsigned long>(header.tokenizer_crc32));
  } else {
    printf("  tokenizer  none: the model's own vocabulary (%d tokens)\n", model.config.vocab_size);
  }
  return Outcome();
}

}  // namespace

Registration register_pack(CLI::App& app) {
  auto args = std::make_shared<PackArgs>();
  CLI::App* cmd = app.add_subcommand(
      "pack", "write the model container a device flashes (model + tokenizer, checksummed)");
  cmd->add_option("model", args->model, "checkpoint")->required();
  cmd->add_option("tokenizer_out", args->rest,
                  "TOKENIZER OUT, or OUT alone for a GGUF model (it brings its vocabulary)")
      ->expected(1, 2)
      ->required();
  return {cmd, [args] { return pack(*args); }};
}

}  // namespace llmcu::cli
