// llmcu gen-random OUT --shape S: a llama2.c checkpoint of a published shape
// (or any other) with random weights, for speed work without the real ones;
// --format gguf writes a GGUF file (random_gguf.h) of llama or qwen2.
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <vector>

#include "cli.h"
#include "options.h"
#include "output_file.h"
#include "random_gguf.h"

namespace llmcu::cli {
namespace {

struct Shape {
  const char* name;
  ModelConfig config;
  bool qwen2 = false;
  bool gguf_only = false;  // rms eps or rope theta other than llama2.c's
};

ModelConfig hf_config(ModelConfig c, float rms_eps, float rope_theta) {
  c.rms_eps = rms_eps;
  c.rope_theta = rope_theta;
  return c;
}

// ../shared/models/README.md: the published llama2.c TinyStories shapes;
// then SmolLM2-135M and Qwen2.5-0.5B as their config.json files give them
// (tied embeddings; context lengths as published).
const Shape kShapes[] = {
    {"15M", {288, 768, 6, 6, 6, 32000, 256, true}},
    {"42M", {512, 1376, 8, 8, 8, 32000, 1024, true}},
    {"110M", {768, 2048, 12, 12, 12, 32000, 1024, true}},
    {"smollm2-135m", hf_config({576, 1536, 30, 9, 3, 49152, 8192, true}, 1e-5f, 100000.0f), false,
     true},
    {"qwen2.5-0.5b", hf_config({896, 4864, 24, 14, 2, 151936, 32768, true}, 1e-6f, 1000000.0f),
     true, true},
};

const Shape* named_shape(const std::string& text) {
  for (const Shape& s : kShapes) {
    if (text == s.name) return &s;
  }
  return nullptr;
}

// Each --shape field: more than any published model, small enough that no
// product of a few of them overflows 64 bits.
constexpr int64_t kMaxShapeField = 1 << 24;

// An empty string, or why `text` is not a shape.
std::string parse_shape(const std::string& text, ModelConfig* out) {
  if (const Shape* s = named_shape(text)) {
    *out = s->config;
    return std::string();
  }
  static const char* const kFields[] = {"dim",      "hidden", "layers", "heads",
                                        "kv_heads", "vocab",  "seq_len"};
  int64_t v[7];
  size_t start = 0;
  for (int i = 0; i < 7; ++i) {
    const size_t comma = text.find(',', start);
    if ((comma == std::string::npos) != (i == 6)) {
      return "--shape: '" + text.substr(0, 64) +
             "' is neither 15M, 42M, 110M, smollm2-135m, qwen2.5-0.5b nor "
             "dim,hidden,layers,heads,kv_heads,vocab,seq_len";
    }
    const std::string field =
        text.substr(start, comma == std::string::npos ? comma : comma - start);
    const std::string error =
        parse_int(std::string("--shape ") + kFields[i], field, 1, kMaxShapeField, &v[i]);
    if (!error.empty()) return error;
    start = comma + 1;
  }
  *out = ModelConfig{static_cast<int32_t>(v[0]), static_cast<int32_t>(v[1]),
                     static_cast<int32_t>(v[2]), static_cast<int32_t>(v[3]),
                     static_cast<int32_t>(v[4]), static_cast<int32_t>(v[5]),
                     static_cast<int32_t>(v[6]), true};
  return std::string();
}

// Bytes of the version-0 checkpoint of `c`, or 0 if that overflows 64 bits.
uint64_t checkpoint_bytes(const ModelConfig& c) {
  const unsigned __int128 dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers;
  const unsigned __int128 kv_dim = c.kv_dim(), vocab = c.vocab_size;
  const unsigned __int128 rope = static_cast<unsigned __int128>(c.seq_len) * c.head_size() / 2;
  const unsigned __int128 floats = vocab * dim + layers * dim +
                                   layers * (2 * dim * dim + 2 * kv_dim * dim) + layers * dim +
                                   layers * 3 * hidden * dim + dim + 2 * rope;
  const unsigned __int128 bytes = 28 + floats * 4;
  return bytes > UINT64_MAX ? 0 : static_cast<uint64_t>(bytes);
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

struct GenRandomArgs {
  std::string out;
  std::string shape;  // a name of kShapes or dim,hidden,layers,heads,kv_heads,vocab,seq_len
  uint64_t seed = 1;
  std::string format = "llama2c";
  std::string type = "f32";   // --format gguf
  std::string arch;           // --format gguf: llama or qwen2 (default: the shape's)
  std::string tied = "auto";  // --format gguf: share the classifier with the embedding
};

GgmlType ggml_type_named(const std::string& name) {
  if (name == "f16") return GgmlType::kF16;
  if (name == "q8_0") return GgmlType::kQ8_0;
  if (name == "q4_0") return GgmlType::kQ4_0;
  return GgmlType::kF32;
}

Outcome gen_random_gguf(const GenRandomArgs& args, const ModelConfig& c, const Shape* shape) {
  RandomGgufSpec spec;
  spec.config = c;
  spec.qwen2 = args.arch.empty() ? shape != nullptr && shape->qwen2 : args.arch == "qwen2";
  if (shape == nullptr && spec.qwen2) {
    spec.config.rms_eps = 1e-6f;  // Qwen2's, with its rope theta
    spec.config.rope_theta = 1000000.0f;
  }
  if (args.tied != "auto") spec.config.shared_classifier = args.tied == "yes";
  spec.type = ggml_type_named(args.type);
  spec.seed = args.seed;
  spec.name = "random " + args.shape;
  // The fp32 checkpoint's size bounds the file's tensors (any type is at most
  // as large); the vocabulary adds about 16 bytes a token.
  const uint64_t fp32_bytes = checkpoint_bytes(spec.config);
  if (fp32_bytes == 0 || fp32_bytes > (uint64_t{1} << 50)) {
    return Outcome::usage("--shape %s: a file of more than a petabyte", args.shape.c_str());
  }
  GgufExportReport report;
  LLMCU_TRY(write_atomically(args.out, 0, [&](FILE* f, const std::string&) -> Status {
    LLMCU_TRY_ASSIGN(report, write_random_gguf(spec, f));
    return Status::ok();
  }));
  // Read it back through the loader: what we wrote must be a valid model.
  LLMCU_TRY_ASSIGN(std::unique_ptr<LoadedModel> written, load_model_file(args.out));
  const ModelConfig& w = written->model.config;
  printf(
      "%s: GGUF %s %s, dim %d, hidden %d, %d layers, %d heads, %d kv heads, vocab %d, "
      "context %d, rope theta %g, rms eps %g, %s classifier, %" PRIu64 " parameters, %" PRIu64
      " bytes\n",
      args.out.c_str(), spec.qwen2 ? "qwen2" : "llama", ggml_type_name(spec.type), w.dim,
      w.hidden_dim, w.n_layers, w.n_heads, w.n_kv_heads, w.vocab_size, w.seq_len,
      static_cast<double>(w.rope_theta), static_cast<double>(w.rms_eps),
      w.shared_classifier ? "tied" : "separate", written->model.parameter_count, report.bytes);
  for (const std::string& fallback : report.fallbacks) printf("  %s\n", fallback.c_str());
  return Outcome();
}

Outcome gen_random(const GenRandomArgs& args) {
  ModelConfig c;
  if (const std::string error = parse_shape(args.shape, &c); !error.empty()) {
    return Outcome::usage("%s", error.c_str());
  }
  if (Status s = validate_config(c); !s.is_ok()) return Outcome::usage("--shape: %s", s.message());
  const Shape* shape = named_shape(args.shape);
  if (args.format == "gguf") return gen_random_gguf(args, c, shape);
  if (shape != nullptr && shape->gguf_only) {
    return Outcome::usage("--shape %s: its rms eps and rope theta need --format gguf",
                          args.shape.c_str());
  }
  if (!args.arch.empty() || args.type != "f32" || args.tied != "auto") {
    return Outcome::usage("--arch, --type and --tied apply to --format gguf");
  }
  const uint64_t file_bytes = checkpoint_bytes(c);
  if (file_bytes == 0 || file_bytes > (uint64_t{1} << 50)) {
    return Outcome::usage("--shape %s: a checkpoint of more than a petabyte", args.shape.c_str());
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
  LLMCU_TRY(write_atomically(args.out, file_bytes, [&](FILE* f, const std::string&) -> Status {
    TensorWriter w(f);
    const bool ok =
        fwrite(header, sizeof(header), 1, f) == 1 && w.random(vocab * dim, rng, scale) &&
        w.constant(layers * dim, 1.0f) && w.random(layers * dim * dim, rng, scale) &&
        w.random(layers * kv_dim * dim, rng, scale) &&
        w.random(layers * kv_dim * dim, rng, scale) && w.random(layers * dim * dim, rng, scale) &&
        w.constant(layers * dim, 1.0f) && w.random(layers * hidden * dim, rng, scale) &&
        w.random(layers * dim * hidden, rng, scale) &&
        w.random(layers * hidden * dim, rng, scale) && w.constant(dim, 1.0f) &&
        w.constant(2 * rope, 0.0f);
    if (!ok) return Status::error(StatusCode::kIoError, "write failed: %s", strerror(errno));
    return Status::ok();
  }));
  // Read it back through the loader: what we wrote must be a valid checkpoint.
  LLMCU_TRY_ASSIGN(std::unique_ptr<LoadedModel> written, load_model_file(args.out));
  printf(
      "%s: dim %d, hidden %d, %d layers, %d heads, %d kv heads, vocab %d, seq_len %d, "
      "%" PRIu64 " parameters, %zu bytes\n",
      args.out.c_str(), c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size,
      c.seq_len, written->model.parameter_count, written->model.file_bytes);
  return Outcome();
}

}  // namespace

Registration register_gen_random(CLI::App& app) {
  auto args = std::make_shared<GenRandomArgs>();
  CLI::App* cmd = app.add_subcommand(
      "gen-random", "write a llama2.c version-0 checkpoint (or a GGUF) with random weights");
  cmd->add_option("out", args->out, "file to write")->required();
  cmd->add_option("--shape", args->shape,
                  "15M, 42M, 110M, smollm2-135m, qwen2.5-0.5b (GGUF only) or "
                  "dim,hidden,layers,heads,kv_heads,vocab,seq_len")
      ->required();
  add_uint64_option(cmd, "--seed", &args->seed, "random seed");
  cmd->add_option("--format", args->format, "llama2c (version 0) or gguf")
      ->check(CLI::IsMember({"llama2c", "gguf"}))
      ->default_val("llama2c");
  cmd->add_option("--type", args->type,
                  "--format gguf: f32, f16, q8_0 or q4_0 (as quantize --format gguf chooses "
                  "per tensor)")
      ->check(CLI::IsMember({"f32", "f16", "q8_0", "q4_0"}))
      ->default_val("f32");
  cmd->add_option("--arch", args->arch,
                  "--format gguf: llama or qwen2 (q/k/v biases, rotary halves, rms eps 1e-6, "
                  "rope theta 1e6); default: the shape's, else llama")
      ->check(CLI::IsMember({"llama", "qwen2"}));
  cmd->add_option("--tied", args->tied,
                  "--format gguf: yes (no output.weight), no, or auto (the shape's; yes)")
      ->check(CLI::IsMember({"auto", "yes", "no"}))
      ->default_val("auto");
  return {cmd, [args] { return gen_random(*args); }};
}

}  // namespace llmcu::cli
