// llmcu quantize IN OUT: fp32 checkpoint -> int8 file, llama2.c version 2
// (--format llama2c-v2, the default) or llmcu (--format llmcu).
// The conversion itself is in the core (llmcu/quantize.h); this writes it to
// a temporary file next to OUT, checks that it loads, and renames it into place.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "commands.h"
#include "llmcu/llmcu_format.h"
#include "llmcu/model.h"
#include "llmcu/quantize.h"
#include "mapped_file.h"

namespace llmcu::cli {
namespace {

int fail(const Status& status) {
  fprintf(stderr, "error: %s\n", status.message());
  return kExitBadInput;
}

Status write_to_file(void* user, const uint8_t* data, size_t size) {
  FILE* f = static_cast<FILE*>(user);
  if (fwrite(data, 1, size, f) != size) {
    return Status::error(StatusCode::kIoError, "write failed: %s", strerror(errno));
  }
  return Status::ok();
}

// Writes through `write` into a temporary file beside `path`, then renames
// it over `path`; on any failure the temporary file is removed.
template <typename WriteFn>
Status write_atomically(const std::string& path, WriteFn write) {
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) {
    return Status::error(StatusCode::kIoError, "%s: cannot create a temporary file: %s",
                         tmp.c_str(), strerror(errno));
  }
  FILE* f = fdopen(fd, "wb");
  if (f == nullptr) {
    close(fd);
    unlink(tmp.c_str());
    return Status::error(StatusCode::kIoError, "%s: %s", tmp.c_str(), strerror(errno));
  }
  Status status = write(f, tmp);
  if (!status.is_ok()) status.with_context(path.c_str());
  if (status.is_ok() && (fflush(f) != 0 || fsync(fileno(f)) != 0)) {
    status = Status::error(StatusCode::kIoError, "%s: %s", tmp.c_str(), strerror(errno));
  }
  if (fclose(f) != 0 && status.is_ok()) {
    status = Status::error(StatusCode::kIoError, "%s: %s", tmp.c_str(), strerror(errno));
  }
  if (status.is_ok()) {
    // mkstemp makes the file 0600; a model file is as readable as any other.
    const mode_t mask = umask(0);
    umask(mask);
    chmod(tmp.c_str(), 0666 & ~mask);
    if (rename(tmp.c_str(), path.c_str()) != 0) {
      status = Status::error(StatusCode::kIoError, "cannot rename %s to %s: %s", tmp.c_str(),
                             path.c_str(), strerror(errno));
    }
  }
  if (!status.is_ok()) unlink(tmp.c_str());
  return status;
}

}  // namespace

namespace {

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

namespace {

// --format llmcu: any group size; rows that it does not divide are padded.
int quantize_to_llmcu(const QuantizeArgs& args, const Model& model) {
  const ModelConfig& c = model.config;
  const int32_t group_size = args.group_size > 0 ? args.group_size : kDefaultGroupSize;
  if (group_size > kMaxGroupSize) {
    fprintf(stderr, "error: --group-size %d: at most %d\n", group_size, kMaxGroupSize);
    return kExitUsage;
  }
  fprintf(stderr, "group size %d", group_size);
  for (const auto& [field, n] : {std::pair{"dim", c.dim}, std::pair{"hidden_dim", c.hidden_dim}}) {
    if (n % group_size != 0) {
      fprintf(stderr, "; rows of %d (%s) are padded to %d", n, field,
              (n + group_size - 1) / group_size * group_size);
    }
  }
  fprintf(stderr, "\n");
  const uint64_t expected = llmcu_file_bytes(c, WeightType::kQ8, group_size);
  QuantizeStats stats;
  Status status = write_atomically(args.out, [&](FILE* f, const std::string& tmp) -> Status {
    Result<QuantizeStats> written =
        write_llmcu(model, WeightType::kQ8, group_size, write_to_file, f);
    if (!written.is_ok()) return written.status();
    stats = *written;
    if (stats.bytes_written != expected) {
      return Status::error(StatusCode::kIoError, "%s: wrote %llu bytes, expected %llu", tmp.c_str(),
                           static_cast<unsigned long long>(stats.bytes_written),
                           static_cast<unsigned long long>(expected));
    }
    return Status::ok();
  });
  if (!status.is_ok()) return fail(status);

  Result<host::MappedFile> out = host::MappedFile::open(args.out);
  if (!out.is_ok()) return fail(out.status());
  Result<Model> check = load_model(out->bytes(), args.out.c_str());
  if (!check.is_ok()) return fail(check.status());
  printf("%s: %s, %zu bytes -> %s: %s, int8 q8, group size %d, %llu bytes (%.1f%%)\n",
         args.in.c_str(), model_format_name(model.format), model.file_bytes, args.out.c_str(),
         model_format_name(check->format), group_size,
         static_cast<unsigned long long>(stats.bytes_written),
         100.0 * static_cast<double>(stats.bytes_written) / static_cast<double>(model.file_bytes));
  printf("%llu groups; largest weight error %.3g (%.3f of its group's scale)\n",
         static_cast<unsigned long long>(stats.groups), static_cast<double>(stats.max_abs_error),
         static_cast<double>(stats.max_error_in_scales));
  return kExitOk;
}

}  // namespace

int quantize_command(const QuantizeArgs& args) {
  if (args.format != "llama2c-v2" && args.format != "llmcu") {
    fprintf(stderr, "error: --format %s: expected llama2c-v2 or llmcu\n", args.format.c_str());
    return kExitUsage;
  }
  Result<host::MappedFile> in = host::MappedFile::open(args.in);
  if (!in.is_ok()) return fail(in.status());
  Result<Model> model = load_model(in->bytes(), args.in.c_str());
  if (!model.is_ok()) return fail(model.status());
  const ModelConfig& c = model->config;
  if (model->weight_type != WeightType::kF32) {
    return fail(Status::error(StatusCode::kInvalidArgument,
                              "%s is already int8 (%s): quantize its fp32 original",
                              args.in.c_str(), model_format_name(model->format)));
  }
  if (args.format == "llmcu") return quantize_to_llmcu(args, *model);

  Result<int32_t> group_size = choose_group_size(c, args.group_size);
  if (!group_size.is_ok()) {
    Status status = group_size.status();
    return fail(status.with_context(args.in.c_str()));
  }
  if (args.group_size == 0) {
    if (*group_size == kDefaultGroupSize) {
      fprintf(stderr, "group size %d\n", *group_size);
    } else {
      fprintf(stderr,
              "group size %d: the largest power of two up to %d that divides both dim %d and "
              "hidden_dim %d (each matrix row must hold whole groups)\n",
              *group_size, kDefaultGroupSize, c.dim, c.hidden_dim);
    }
  }

  QuantizeStats stats;
  Status status = write_atomically(args.out, [&](FILE* f, const std::string& tmp) -> Status {
    Result<QuantizeStats> written = write_llama2c_v2(*model, *group_size, write_to_file, f);
    if (!written.is_ok()) return written.status();
    stats = *written;
    if (stats.bytes_written != llama2c_v2_bytes(c, *group_size)) {
      return Status::error(StatusCode::kIoError, "%s: wrote %llu bytes, expected %llu", tmp.c_str(),
                           static_cast<unsigned long long>(stats.bytes_written),
                           static_cast<unsigned long long>(llama2c_v2_bytes(c, *group_size)));
    }
    return Status::ok();
  });
  if (!status.is_ok()) return fail(status);

  // What we wrote must load: read it back through the strict loader.
  Result<host::MappedFile> out = host::MappedFile::open(args.out);
  if (!out.is_ok()) return fail(out.status());
  Result<Model> check = load_model(out->bytes(), args.out.c_str());
  if (!check.is_ok()) return fail(check.status());

  printf("%s: %s, %zu bytes -> %s: %s, group size %d, %llu bytes (%.1f%%)\n", args.in.c_str(),
         model_format_name(model->format), model->file_bytes, args.out.c_str(),
         model_format_name(check->format), *group_size,
         static_cast<unsigned long long>(stats.bytes_written),
         100.0 * static_cast<double>(stats.bytes_written) / static_cast<double>(model->file_bytes));
  printf("%llu groups; largest weight error %.3g (%.3f of its group's scale)\n",
         static_cast<unsigned long long>(stats.groups), static_cast<double>(stats.max_abs_error),
         static_cast<double>(stats.max_error_in_scales));
  return kExitOk;
}

}  // namespace llmcu::cli
