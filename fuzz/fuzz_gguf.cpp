// The GGUF reader on arbitrary bytes. A file it accepts must describe only
// bytes inside the input: every metadata value, every string of every array
// and every tensor's first and last byte is read, so ASan reports anything
// that points past the end. Lookups must find every entry the index holds,
// and the model description and the ggml kernels must cope with whatever
// shapes and types the reader lets through.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "kernels/ref/ggml_blocks.h"
#include "llmcu/gguf.h"
#include "llmcu/gguf_model.h"

namespace {

using llmcu::GgmlType;
using llmcu::GgufType;

void touch_value(const llmcu::GgufValue& v) {
  llmcu::fuzz::touch_range(v.data, v.bytes);
  if (v.type != GgufType::kArray || v.element_type != GgufType::kString) return;
  uint64_t seen = 0;
  for (std::string_view s : llmcu::GgufArray(v).strings()) {
    llmcu::fuzz::touch_range(s.data(), s.size());
    ++seen;
  }
  if (seen != v.count) abort();
}

// Decodes the first row of tensors the kernels handle.
void decode_first_row(const llmcu::GgufTensor& t) {
  const uint64_t cols = t.dims[0];
  if (t.elements == 0 || cols > (1u << 20)) return;
  std::vector<float> row(static_cast<size_t>(cols));
  const auto n = static_cast<int32_t>(cols);
  switch (t.type) {
    case GgmlType::kF16: llmcu::kernels::ref::dequantize_row_f16(row.data(), t.data, n); break;
    case GgmlType::kQ8_0: llmcu::kernels::ref::dequantize_row_q8_0(row.data(), t.data, n); break;
    case GgmlType::kQ4_0: llmcu::kernels::ref::dequantize_row_q4_0(row.data(), t.data, n); break;
    default: break;
  }
}

void check_model(const llmcu::GgufFile& file) {
  llmcu::Result<llmcu::GgufModelInfo> info = llmcu::gguf_model_info(file);
  if (!info.is_ok()) {
    if (strncmp(info.status().message(), "fuzz.gguf: ", 11) != 0) abort();
    return;
  }
  const llmcu::GgufModelInfo& m = *info;
  if (m.token_embd == nullptr || m.output == nullptr || m.output_norm == nullptr) abort();
  if (m.dim % m.n_heads != 0 || m.n_heads % m.n_kv_heads != 0) abort();
  for (int32_t l = 0; l < m.n_layers; ++l) {
    const llmcu::GgufLayer layer = llmcu::gguf_layer(file, m, l);
    for (const llmcu::GgufTensor* t :
         {layer.attn_norm, layer.wq, layer.wk, layer.wv, layer.wo, layer.ffn_norm, layer.ffn_gate,
          layer.ffn_up, layer.ffn_down}) {
      if (t == nullptr) abort();
    }
    if (m.qkv_bias && (layer.bq == nullptr || layer.bk == nullptr || layer.bv == nullptr)) {
      abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes = llmcu::fuzz::exact_copy(data, size);
  (void)llmcu::is_gguf(bytes);
  llmcu::Result<size_t> need = llmcu::gguf_index_bytes(bytes, "fuzz.gguf");
  if (!need.is_ok()) {
    if (strncmp(need.status().message(), "fuzz.gguf: ", 11) != 0) abort();
    return 0;
  }
  // The index is bounded by the header's counts, which are bounded by the size.
  if (*need > 64 * size + 4096) abort();
  std::vector<uint8_t> memory(*need);
  llmcu::Arena arena(memory);
  llmcu::Result<llmcu::GgufFile> file = llmcu::gguf_open(bytes, "fuzz.gguf", arena);
  if (!file.is_ok()) {
    const char* message = file.status().message();
    if (strncmp(message, "fuzz.gguf: ", 11) != 0 || strlen(message) < 16) abort();
    return 0;
  }
  const llmcu::GgufFile& f = *file;
  if (f.file_bytes() != size || f.data_offset() % f.alignment() != 0) abort();
  for (const llmcu::GgufKeyValue& kv : f.metadata()) {
    touch_value(kv.value);
    if (f.find(kv.key) != &kv) abort();  // keys are unique
    (void)f.get_u32(kv.key);
    (void)f.get_f32(kv.key, 1.0f);
    (void)f.get_string(kv.key);
    (void)f.get_array(kv.key, kv.value.element_type);
  }
  for (const llmcu::GgufTensor& t : f.tensors()) {
    llmcu::fuzz::touch_range(t.data, t.bytes);
    if (f.find_tensor(t.name) != &t) abort();  // names are unique
    if (t.offset % f.alignment() != 0) abort();
    decode_first_row(t);
  }
  check_model(f);
  return 0;
}
