// llmcu gen-random OUT --shape S: a llama2.c checkpoint of a published shape
// (or any other) with random weights, for speed work without the real ones.
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <vector>

#include "cli.h"
#include "options.h"
#include "output_file.h"

namespace llmcu::cli {
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

// Each --shape field: more than any published model, small enough that no
// product of a few of them overflows 64 bits.
constexpr int64_t kMaxShapeField = 1 << 24;

// An empty string, or why `text` is not a shape.
std::string parse_shape(const std::string& text, ModelConfig* out) {
  for (const Shape& s : kShapes) {
    if (text == s.name) {
      *out = s.config;
      return std::string();
    }
  }
  static const char* const kFields[] = {"dim", "hidden", "layers", "heads",
                                        "kv_heads", "vocab", "seq_len"};
  int64_t v[7];
  size_t start = 0;
  for (int i = 0; i < 7; ++i) {
    const size_t comma = text.find(',', start);
    if ((comma == std::string::npos) != (i == 6)) {
      return "--shape: '" + text.substr(0, 64) +
             "' is neither 15M, 42M, 110M nor dim,hidden,layers,heads,kv_heads,vocab,seq_len";
    }
    const std::string field = text.substr(start, comma == std::string::npos ? comma : comma - start);
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
  std::string shape;  // 15M, 42M, 110M or dim,hidden,layers,heads,kv_heads,vocab,seq_len
  uint64_t seed = 1;
};

Outcome gen_random(const GenRandomArgs& args) {
  ModelConfig c;
  if (const std::string error = parse_shape(args.shape, &c); !error.empty()) {
    return Outcome::usage("%s", error.c_str());
  }
  if (Status s = validate_config(c); !s.is_ok()) return Outcome::usage("--shape: %s", s.message());
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
  CLI::App* cmd =
      app.add_subcommand("gen-random", "write a llama2.c version-0 checkpoint with random weights");
  cmd->add_option("out", args->out, "file to write")->required();
  cmd->add_option("--shape", args->shape,
                  "15M, 42M, 110M or dim,hidden,layers,heads,kv_heads,vocab,seq_len")
      ->required();
  add_uint64_option(cmd, "--seed", &args->seed, "random seed");
  return {cmd, [args] { return gen_random(*args); }};
}

}  // namespace llmcu::cli
