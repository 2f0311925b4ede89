// llmcu pack: writes the model container a device flashes into its `model`
// partition (include/llmcu/container.h). Both inputs are validated with the
// same loaders the device runs, so a container that packs is one that loads.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "commands.h"
#include "llmcu/container.h"
#include "llmcu/model.h"
#include "llmcu/tokenizer.h"
#include "mapped_file.h"

namespace llmcu::cli {
namespace {

int fail(const Status& status) {
  fprintf(stderr, "error: %s\n", status.message());
  return kExitBadInput;
}

// Offset of the lowest tensor in the checkpoint: the header ends there, and
// the container aligns that byte rather than the file's first byte.
size_t first_tensor_offset(const Model& m, const uint8_t* base) {
  const Weights& w = m.weights;
  const uint8_t* candidates[] = {
      w.token_embedding.base,
      reinterpret_cast<const uint8_t*>(w.rms_att),
      reinterpret_cast<const uint8_t*>(w.rms_ffn),
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

Status write_all(FILE* f, const void* data, size_t bytes, const std::string& path) {
  if (bytes != 0 && fwrite(data, 1, bytes, f) != bytes) {
    return Status::error(StatusCode::kIoError, "%s: write failed: %s", path.c_str(),
                         strerror(errno));
  }
  return Status::ok();
}

Status write_zeros(FILE* f, size_t bytes, const std::string& path) {
  static const uint8_t kZeros[256] = {};
  while (bytes > 0) {
    const size_t n = std::min(bytes, sizeof(kZeros));
    LLMCU_TRY(write_all(f, kZeros, n, path));
    bytes -= n;
  }
  return Status::ok();
}

// Writes to a temporary name and renames, so OUT is either the old file or
// a complete container, never a partial one.
Status write_container(const std::string& out, const ContainerHeader& h,
                       std::span<const uint8_t> model, std::span<const uint8_t> tokenizer) {
  const std::string tmp = out + ".tmp";
  FILE* f = fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return Status::error(StatusCode::kIoError, "%s: cannot create: %s", tmp.c_str(),
                         strerror(errno));
  }
  uint8_t header[kContainerHeaderBytes];
  encode_container_header(h, header);
  const size_t model_end = size_t{h.model_offset} + h.model_bytes;
  Status s = write_all(f, header, sizeof(header), tmp);
  if (s.is_ok()) s = write_zeros(f, h.model_offset - kContainerHeaderBytes, tmp);
  if (s.is_ok()) s = write_all(f, model.data(), model.size(), tmp);
  if (s.is_ok()) s = write_zeros(f, h.tokenizer_offset - model_end, tmp);
  if (s.is_ok()) s = write_all(f, tokenizer.data(), tokenizer.size(), tmp);
  if (fclose(f) != 0 && s.is_ok()) {
    s = Status::error(StatusCode::kIoError, "%s: close failed: %s", tmp.c_str(), strerror(errno));
  }
  if (s.is_ok() && rename(tmp.c_str(), out.c_str()) != 0) {
    s = Status::error(StatusCode::kIoError, "%s: cannot rename to %s: %s", tmp.c_str(), out.c_str(),
                      strerror(errno));
  }
  if (!s.is_ok()) remove(tmp.c_str());
  return s;
}

}  // namespace

int pack_command(const PackArgs& args) {
  Result<host::MappedFile> model_file = host::MappedFile::open(args.model);
  if (!model_file.is_ok()) return fail(model_file.status());
  Result<Model> model = load_model(model_file->bytes(), args.model.c_str());
  if (!model.is_ok()) return fail(model.status());

  Result<host::MappedFile> tokenizer_file = host::MappedFile::open(args.tokenizer);
  if (!tokenizer_file.is_ok()) return fail(tokenizer_file.status());
  // Load it for the model's vocabulary exactly as the device will.
  std::vector<uint32_t> tables(Tokenizer::table_bytes(model->config.vocab_size) / sizeof(uint32_t));
  Result<Tokenizer> tokenizer =
      Tokenizer::load(tokenizer_file->bytes(), model->config.vocab_size,
                      {reinterpret_cast<uint8_t*>(tables.data()), tables.size() * sizeof(uint32_t)},
                      args.tokenizer.c_str());
  if (!tokenizer.is_ok()) return fail(tokenizer.status());

  const std::span<const uint8_t> model_bytes = model_file->bytes();
  const std::span<const uint8_t> tokenizer_bytes = tokenizer_file->bytes();
  Result<ContainerHeader> header = plan_container(
      model_bytes.size(), first_tensor_offset(*model, model_bytes.data()), tokenizer_bytes.size());
  if (!header.is_ok()) return fail(header.status());
  header->model_crc32 = crc32(model_bytes);
  header->tokenizer_crc32 = crc32(tokenizer_bytes);

  Status written = write_container(args.out, *header, model_bytes, tokenizer_bytes);
  if (!written.is_ok()) return fail(written);
  printf("wrote %s: %lu bytes\n", args.out.c_str(),
         static_cast<unsigned long>(header->total_bytes));
  printf("  model      %10lu bytes at offset %lu (%s, crc32 %08lx)\n",
         static_cast<unsigned long>(header->model_bytes),
         static_cast<unsigned long>(header->model_offset), model_format_name(model->format),
         static_cast<unsigned long>(header->model_crc32));
  printf("  tokenizer  %10lu bytes at offset %lu (%d tokens, crc32 %08lx)\n",
         static_cast<unsigned long>(header->tokenizer_bytes),
         static_cast<unsigned long>(header->tokenizer_offset), model->config.vocab_size,
         static_cast<unsigned long>(header->tokenizer_crc32));
  return kExitOk;
}

}  // namespace llmcu::cli
