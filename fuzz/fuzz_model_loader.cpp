// The model loader on arbitrary bytes, every format it knows (GGUF with the
// memory model_memory_bytes asks for, exactly that much). A file it accepts
// must describe tensors that lie wholly inside the bytes: each one's first
// and last byte is read, so ASan reports any tensor that runs past the end.
// The memory plan of an accepted model must not fail in an unexpected way.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "llmcu/memory_plan.h"
#include "llmcu/model.h"

namespace {

using llmcu::Matrix;

void touch_matrix(const Matrix& m, int32_t layers) {
  if (m.base == nullptr && m.layer_table == nullptr) abort();
  for (int32_t l = 0; l < layers; ++l) llmcu::fuzz::touch_range(m.layer(l), m.bytes_per_layer());
}

void touch_vectors(const llmcu::LayerVectors& v, int32_t layers, int32_t n) {
  for (int32_t l = 0; l < layers; ++l) {
    llmcu::fuzz::touch_range(v.layer(l), static_cast<size_t>(n) * sizeof(float));
  }
}

bool names_the_file(const llmcu::Status& status) {
  const char* message = status.message();
  return strncmp(message, "fuzz.bin: ", 10) == 0 && strlen(message) >= 15;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes = llmcu::fuzz::exact_copy(data, size);
  // Every refusal names the file and says something.
  llmcu::Result<size_t> need = llmcu::model_memory_bytes(bytes, "fuzz.bin");
  if (!need.is_ok()) {
    if (!names_the_file(need.status())) abort();
    return 0;
  }
  // Bounded by the header's counts, which are bounded by the size.
  if (*need > 64 * size + 4096) abort();
  std::vector<uint8_t> memory(*need);
  llmcu::Result<llmcu::Model> model = llmcu::load_model(bytes, "fuzz.bin", memory);
  if (!model.is_ok()) {
    if (!names_the_file(model.status())) abort();
    return 0;
  }
  if (model->memory_bytes > *need) abort();
  const llmcu::ModelConfig& c = model->config;
  if (!llmcu::validate_config(c).is_ok()) abort();  // accepted, so the config must be valid
  if (model->file_bytes != size) abort();
  const llmcu::Weights& w = model->weights;
  touch_matrix(w.token_embedding, 1);
  touch_matrix(w.classifier, 1);
  for (const Matrix* m : {&w.wq, &w.wk, &w.wv, &w.wo, &w.w1, &w.w2, &w.w3}) {
    touch_matrix(*m, c.n_layers);
  }
  touch_vectors(w.rms_att, c.n_layers, c.dim);
  touch_vectors(w.rms_ffn, c.n_layers, c.dim);
  llmcu::fuzz::touch_range(w.rms_final, static_cast<size_t>(c.dim) * sizeof(float));
  if (w.bq.present()) {
    touch_vectors(w.bq, c.n_layers, c.dim);
    touch_vectors(w.bk, c.n_layers, c.kv_dim());
    touch_vectors(w.bv, c.n_layers, c.kv_dim());
  }

  // Planning may refuse (a context too large to address) but must not crash.
  llmcu::Result<llmcu::MemoryPlan> plan = llmcu::plan_memory(*model, {});
  if (plan.is_ok() && plan->seq_len != c.seq_len) abort();
  (void)llmcu::max_seq_len_for(c, 1 << 20);
  (void)llmcu::max_seq_len_for(*model, 1 << 20);
  return 0;
}
