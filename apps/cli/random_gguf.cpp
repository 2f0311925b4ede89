#include "random_gguf.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "gguf_writer.h"
#include "llmcu/ggml_rows.h"

namespace llmcu::cli {
namespace {

// xorshift64*: reproducible weights for a seed, with no library dependence
// (the same generator as the llama2.c files of gen-random).
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

constexpr int32_t kFirstPiece = 3 + 256;

void write_vocabulary(int32_t vocab_size, GgufWriter& out) {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  tokens.reserve(static_cast<size_t>(vocab_size));
  const char* specials[3] = {"<unk>", "<s>", "</s>"};
  for (int32_t id = 0; id < vocab_size; ++id) {
    std::string text;
    int32_t type = 1;  // normal
    if (id < 3) {
      text = specials[id];
      type = id == 0 ? 2 : 3;  // unknown, control
    } else if (id < kFirstPiece) {
      char byte[8];
      snprintf(byte, sizeof(byte), "<0x%02X>", id - 3);
      text = byte;
      type = 6;  // byte
    } else {
      // U+2581 (a leading space) and the piece number in letters: unique.
      text = "\xE2\x96\x81";
      for (int32_t n = id - kFirstPiece;; n = n / 26 - 1) {
        text += static_cast<char>('a' + n % 26);
        if (n < 26) break;
      }
    }
    tokens.push_back(std::move(text));
    scores.push_back(id < kFirstPiece ? 0.0f : -static_cast<float>(id - kFirstPiece));
    types.push_back(type);
  }
  out.set_string("tokenizer.ggml.model", "llama");
  out.set_strings("tokenizer.ggml.tokens", tokens);
  out.set_f32s("tokenizer.ggml.scores", scores);
  out.set_i32s("tokenizer.ggml.token_type", types);
  out.set_u32("tokenizer.ggml.unknown_token_id", 0);
  out.set_u32("tokenizer.ggml.bos_token_id", 1);
  out.set_u32("tokenizer.ggml.eos_token_id", 2);
}

void write_hyperparameters(const RandomGgufSpec& spec, GgufWriter& out) {
  const ModelConfig& c = spec.config;
  const std::string a = spec.qwen2 ? "qwen2" : "llama";
  out.set_string("general.architecture", a);
  out.set_string("general.name", spec.name);
  out.set_u32(a + ".context_length", static_cast<uint32_t>(c.seq_len));
  out.set_u32(a + ".embedding_length", static_cast<uint32_t>(c.dim));
  out.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(c.hidden_dim));
  out.set_u32(a + ".block_count", static_cast<uint32_t>(c.n_layers));
  out.set_u32(a + ".attention.head_count", static_cast<uint32_t>(c.n_heads));
  out.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(c.n_kv_heads));
  out.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(c.head_size()));
  out.set_f32(a + ".rope.freq_base", c.rope_theta);
  out.set_f32(a + ".attention.layer_norm_rms_epsilon", c.rms_eps);
  out.set_u32("general.quantization_version", 2);
  out.set_u32("general.file_type", llama_file_type(spec.type));
}

struct TensorPlan {
  std::string name;
  std::vector<uint64_t> dims;  // ggml order
  float scale;                 // 0: every value 1 (norms)
  bool classifier;
};

std::vector<TensorPlan> plan_tensors(const RandomGgufSpec& spec) {
  const ModelConfig& c = spec.config;
  const uint64_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), vocab = c.vocab_size;
  // Small uniform weights keep activations in range through many layers;
  // biases larger, so that leaving one out changes the logits visibly.
  const float w = 0.02f, bias = 0.5f;
  std::vector<TensorPlan> out;
  out.push_back({"token_embd.weight", {dim, vocab}, w, c.shared_classifier});
  out.push_back({"output_norm.weight", {dim}, 0.0f, false});
  if (!c.shared_classifier) out.push_back({"output.weight", {dim, vocab}, w, true});
  for (int32_t l = 0; l < c.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    out.push_back({b + "attn_norm.weight", {dim}, 0.0f, false});
    out.push_back({b + "attn_q.weight", {dim, dim}, w, false});
    out.push_back({b + "attn_k.weight", {dim, kv}, w, false});
    out.push_back({b + "attn_v.weight", {dim, kv}, w, false});
    if (spec.qwen2) {
      out.push_back({b + "attn_q.bias", {dim}, bias, false});
      out.push_back({b + "attn_k.bias", {kv}, bias, false});
      out.push_back({b + "attn_v.bias", {kv}, bias, false});
    }
    out.push_back({b + "attn_output.weight", {dim, dim}, w, false});
    out.push_back({b + "ffn_norm.weight", {dim}, 0.0f, false});
    out.push_back({b + "ffn_gate.weight", {dim, hidden}, w, false});
    out.push_back({b + "ffn_down.weight", {hidden, dim}, w, false});
    out.push_back({b + "ffn_up.weight", {dim, hidden}, w, false});
  }
  return out;
}

}  // namespace

Result<GgufExportReport> write_random_gguf(const RandomGgufSpec& spec, FILE* f) {
  const ModelConfig& c = spec.config;
  LLMCU_TRY(validate_config(c));
  if (c.vocab_size < kFirstPiece) {
    return Status::error(StatusCode::kInvalidArgument,
                         "vocab_size %d: a GGUF vocabulary of special and byte tokens needs %d",
                         static_cast<int>(c.vocab_size), static_cast<int>(kFirstPiece));
  }
  if (!ggml_row_type_supported(spec.type)) {
    return Status::error(StatusCode::kInvalidArgument, "type %s: llmcu writes F32, F16, Q8_0, Q4_0",
                         ggml_type_name(spec.type));
  }
  GgufWriter out;
  write_hyperparameters(spec, out);
  write_vocabulary(c.vocab_size, out);
  std::vector<TensorPlan> tensors = plan_tensors(spec);
  std::stable_sort(tensors.begin(), tensors.end(), [](const TensorPlan& a, const TensorPlan& b) {
    return llama_cpp_tensor_order(a.name, b.name);
  });
  // Every tensor draws from its own stream, so the values do not depend on the order.
  GgufExportReport report;
  uint64_t stream = 0;
  for (const TensorPlan& t : tensors) {
    const uint64_t cols = t.dims[0];
    const GgmlType type =
        choose_tensor_type(spec.type, static_cast<uint32_t>(t.dims.size()), cols, t.classifier);
    if (type == GgmlType::kF16 && spec.type != GgmlType::kF16) {
      report.fallbacks.push_back(t.name + ": F16 (rows of " + std::to_string(cols) + " values)");
    }
    const int slot = type == GgmlType::kF16    ? 1
                     : type == GgmlType::kQ8_0 ? 2
                     : type == GgmlType::kQ4_0 ? 3
                                               : 0;
    ++report.by_type[slot];
    ++report.tensors;
    const uint64_t seed = (spec.seed + 0x9E3779B97F4A7C15ull * ++stream) | 1;
    out.add_tensor(t.name, t.dims, type, [t, type, cols, seed](TensorOut& o) -> Status {
      Random rng{seed};
      const uint64_t rows = t.dims.size() > 1 ? t.dims[1] : 1;
      std::vector<float> values(cols);
      std::vector<uint8_t> encoded(ggml_row_bytes(type, static_cast<int64_t>(cols)));
      for (uint64_t r = 0; r < rows; ++r) {
        for (float& v : values) v = t.scale == 0.0f ? 1.0f : rng.uniform(t.scale);
        encode_ggml_row(type, values.data(), static_cast<int64_t>(cols), encoded.data());
        LLMCU_TRY(o.put(encoded.data(), encoded.size()));
      }
      return Status::ok();
    });
  }
  LLMCU_TRY_ASSIGN(report.bytes, out.write(f));
  return report;
}

}  // namespace llmcu::cli
