#include "gguf_export.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "gguf_writer.h"
#include "llmcu/ggml_rows.h"

namespace llmcu::cli {
namespace {

// Where a tensor's values come from: rows of `source_type` in the model's bytes.
struct SourceTensor {
  std::string name;
  std::vector<uint64_t> dims;  // ggml order
  GgmlType source_type = GgmlType::kF32;
  // Row r of `rows` rows of dims[0] values each: single tensors are one
  // block of memory.
  const uint8_t* data = nullptr;
  bool classifier = false;
};

uint64_t row_count(const std::vector<uint64_t>& dims) {
  uint64_t rows = 1;
  for (size_t d = 1; d < dims.size(); ++d) rows *= dims[d];
  return rows;
}

int type_slot(GgmlType type) {
  switch (type) {
    case GgmlType::kF16: return 1;
    case GgmlType::kQ8_0: return 2;
    case GgmlType::kQ4_0: return 3;
    default: return 0;
  }
}

// The tensors of a GGUF source, with the classifier marked.
Result<std::vector<SourceTensor>> gguf_sources(const GgufFile& file) {
  std::vector<SourceTensor> out;
  const bool tied = file.find_tensor("output.weight") == nullptr;
  for (const GgufTensor& t : file.tensors()) {
    if (t.type != GgmlType::kF32 && t.type != GgmlType::kF16) {
      return Status::error(StatusCode::kInvalidArgument,
                           "tensor '%.*s' is already %s: convert from the F32 or F16 original",
                           static_cast<int>(t.name.size()), t.name.data(), ggml_type_name(t.type))
          .with_context(file.name());
    }
    SourceTensor s;
    s.name = std::string(t.name);
    s.dims.assign(t.dims, t.dims + t.n_dims);
    s.source_type = t.type;
    s.data = t.data;
    s.classifier = t.name == "output.weight" || (tied && t.name == "token_embd.weight");
    out.push_back(std::move(s));
  }
  return out;
}

SourceTensor f32_source(std::string name, std::vector<uint64_t> dims, const void* data,
                        bool classifier = false) {
  SourceTensor s;
  s.name = std::move(name);
  s.dims = std::move(dims);
  s.data = static_cast<const uint8_t*>(data);
  s.classifier = classifier;
  return s;
}

// The tensors of a llama2.c or llmcu fp32 model, named as in GGUF.
std::vector<SourceTensor> llama2c_sources(const Model& m) {
  const ModelConfig& c = m.config;
  const Weights& w = m.weights;
  const uint64_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), vocab = c.vocab_size;
  std::vector<SourceTensor> out;
  out.push_back(
      f32_source("token_embd.weight", {dim, vocab}, w.token_embedding.f32(0), c.shared_classifier));
  out.push_back(f32_source("output_norm.weight", {dim}, w.rms_final));
  if (!c.shared_classifier) {
    out.push_back(f32_source("output.weight", {dim, vocab}, w.classifier.f32(0), true));
  }
  for (int32_t l = 0; l < c.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    out.push_back(f32_source(b + "attn_norm.weight", {dim}, w.rms_att.layer(l)));
    out.push_back(f32_source(b + "attn_q.weight", {dim, dim}, w.wq.f32(l)));
    out.push_back(f32_source(b + "attn_k.weight", {dim, kv}, w.wk.f32(l)));
    out.push_back(f32_source(b + "attn_v.weight", {dim, kv}, w.wv.f32(l)));
    out.push_back(f32_source(b + "attn_output.weight", {dim, dim}, w.wo.f32(l)));
    out.push_back(f32_source(b + "ffn_norm.weight", {dim}, w.rms_ffn.layer(l)));
    out.push_back(f32_source(b + "ffn_gate.weight", {dim, hidden}, w.w1.f32(l)));
    out.push_back(f32_source(b + "ffn_down.weight", {hidden, dim}, w.w2.f32(l)));
    out.push_back(f32_source(b + "ffn_up.weight", {dim, hidden}, w.w3.f32(l)));
  }
  return out;
}

// llama2.c's vocabulary as llama.cpp's converter writes it: ids 0-2 named
// <unk>, <s>, </s>; spaces as U+2581; byte pieces typed as bytes.
void write_llama2c_vocabulary(const Tokenizer& t, GgufWriter& out) {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  for (int32_t id = 0; id < t.vocab_size(); ++id) {
    const std::string_view piece = t.piece(id);
    std::string text;
    int32_t type = 1;  // normal
    if (id == 0) {
      text = "<unk>";
      type = 2;
    } else if (id == 1 || id == 2) {
      text = id == 1 ? "<s>" : "</s>";
      type = 3;
    } else {
      for (char ch : piece) text += ch == ' ' ? std::string("\xE2\x96\x81") : std::string(1, ch);
      if (piece.size() == 6 && piece.substr(0, 3) == "<0x" && piece[5] == '>') type = 6;
    }
    tokens.push_back(std::move(text));
    scores.push_back(t.score(id));
    types.push_back(type);
  }
  out.set_strings("tokenizer.ggml.tokens", tokens);
  out.set_f32s("tokenizer.ggml.scores", scores);
  out.set_i32s("tokenizer.ggml.token_type", types);
  out.set_string("tokenizer.ggml.model", "llama");
}

void write_llama2c_metadata(const Model& m, const Tokenizer& vocabulary, GgufWriter& out) {
  const ModelConfig& c = m.config;
  write_llama2c_vocabulary(vocabulary, out);
  out.set_string("general.architecture", "llama");
  out.set_string("general.name", "llama");
  out.set_u32("tokenizer.ggml.unknown_token_id", 0);
  out.set_u32("tokenizer.ggml.bos_token_id", 1);
  out.set_u32("tokenizer.ggml.eos_token_id", 2);
  out.set_u32("llama.context_length", static_cast<uint32_t>(c.seq_len));
  out.set_u32("llama.embedding_length", static_cast<uint32_t>(c.dim));
  out.set_u32("llama.feed_forward_length", static_cast<uint32_t>(c.hidden_dim));
  out.set_u32("llama.attention.head_count", static_cast<uint32_t>(c.n_heads));
  out.set_u32("llama.attention.head_count_kv", static_cast<uint32_t>(c.n_kv_heads));
  out.set_u32("llama.block_count", static_cast<uint32_t>(c.n_layers));
  out.set_u32("llama.rope.dimension_count", static_cast<uint32_t>(c.head_size()));
  out.set_f32("llama.attention.layer_norm_rms_epsilon", c.rms_eps);
}

}  // namespace

GgmlType choose_tensor_type(GgmlType file_type, uint32_t n_dims, uint64_t row_length,
                            bool classifier) {
  if (n_dims < 2 || file_type == GgmlType::kF32) return GgmlType::kF32;
  if (file_type == GgmlType::kF16) return GgmlType::kF16;
  GgmlType type = file_type;
  if (file_type == GgmlType::kQ4_0 && classifier) type = GgmlType::kQ8_0;
  if (!ggml_row_fits(type, static_cast<int64_t>(row_length))) type = GgmlType::kF16;
  return type;
}

uint32_t llama_file_type(GgmlType type) {
  switch (type) {
    case GgmlType::kF16: return 1;   // LLAMA_FTYPE_MOSTLY_F16
    case GgmlType::kQ4_0: return 2;  // LLAMA_FTYPE_MOSTLY_Q4_0
    case GgmlType::kQ8_0: return 7;  // LLAMA_FTYPE_MOSTLY_Q8_0
    default: return 0;               // LLAMA_FTYPE_ALL_F32
  }
}

Result<GgufExportReport> write_model_gguf(const Model& model, GgmlType file_type,
                                          const Tokenizer* vocabulary, FILE* f) {
  if (!ggml_row_type_supported(file_type)) {
    return Status::error(StatusCode::kInvalidArgument, "type %s: llmcu writes F32, F16, Q8_0, Q4_0",
                         ggml_type_name(file_type));
  }
  GgufWriter out;
  std::vector<SourceTensor> sources;
  if (model.gguf != nullptr) {
    LLMCU_TRY_ASSIGN(sources, gguf_sources(*model.gguf));
    for (const GgufKeyValue& kv : model.gguf->metadata()) out.copy(kv);
  } else {
    if (model.weight_type != WeightType::kF32) {
      return Status::error(StatusCode::kInvalidArgument,
                           "the model is already int8 (%s): convert its fp32 original",
                           model_format_name(model.format));
    }
    if (vocabulary == nullptr) {
      return Status::error(StatusCode::kInvalidArgument,
                           "a llama2.c model needs its tokenizer file for the GGUF vocabulary");
    }
    sources = llama2c_sources(model);
    write_llama2c_metadata(model, *vocabulary, out);
  }
  out.set_u32("general.quantization_version", 2);
  out.set_u32("general.file_type", llama_file_type(file_type));
  std::stable_sort(sources.begin(), sources.end(),
                   [](const SourceTensor& a, const SourceTensor& b) {
                     return llama_cpp_tensor_order(a.name, b.name);
                   });

  GgufExportReport report;
  for (const SourceTensor& s : sources) {
    const uint64_t cols = s.dims[0];
    const GgmlType type =
        choose_tensor_type(file_type, static_cast<uint32_t>(s.dims.size()), cols, s.classifier);
    if (type == GgmlType::kF16 && file_type != GgmlType::kF16) {
      report.fallbacks.push_back(s.name + ": " + ggml_type_name(type) + " (rows of " +
                                 std::to_string(cols) + " values)");
    }
    ++report.by_type[type_slot(type)];
    ++report.tensors;
    out.add_tensor(s.name, s.dims, type, [s, type, cols](TensorOut& o) -> Status {
      const uint64_t rows = row_count(s.dims);
      const size_t in_bytes = ggml_row_bytes(s.source_type, static_cast<int64_t>(cols));
      const size_t out_bytes = ggml_row_bytes(type, static_cast<int64_t>(cols));
      std::vector<float> values(cols);
      std::vector<uint8_t> encoded(out_bytes);
      for (uint64_t r = 0; r < rows; ++r) {
        const uint8_t* row = s.data + r * in_bytes;
        if (type == s.source_type) {
          LLMCU_TRY(o.put(row, in_bytes));
          continue;
        }
        decode_ggml_row(s.source_type, row, static_cast<int64_t>(cols), values.data());
        for (float v : values) {
          if (!(v - v == 0.0f)) {
            return Status::error(StatusCode::kInvalidFormat, "row %llu: a weight is not finite",
                                 static_cast<unsigned long long>(r));
          }
        }
        encode_ggml_row(type, values.data(), static_cast<int64_t>(cols), encoded.data());
        LLMCU_TRY(o.put(encoded.data(), out_bytes));
      }
      return Status::ok();
    });
  }
  LLMCU_TRY_ASSIGN(report.bytes, out.write(f));
  return report;
}

}  // namespace llmcu::cli
