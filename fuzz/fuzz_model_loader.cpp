// The model loader on arbitrary bytes, every format it knows. A file it
// accepts must describe tensors that lie wholly inside the bytes: each one's
// first and last byte is read, so ASan reports any tensor that runs past the
// end. The memory plan of an accepted model must not fail in an unexpected way.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "llmcu/memory_plan.h"
#include "llmcu/model.h"

namespace {

using llmcu::Matrix;

void touch_matrix(const Matrix& m, int32_t layers) {
  if (m.base == nullptr) abort();
  for (int32_t l = 0; l < layers; ++l) llmcu::fuzz::touch_range(m.layer(l), m.bytes_per_layer());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes = llmcu::fuzz::exact_copy(data, size);
  llmcu::Result<llmcu::Model> model = llmcu::load_model(bytes, "fuzz.bin");
  if (!model.is_ok()) {
    // Every refusal names the file and says something.
    const char* message = model.status().message();
    if (strncmp(message, "fuzz.bin: ", 10) != 0 || strlen(message) < 15) abort();
    return 0;
  }
  const llmcu::ModelConfig& c = model->config;
  if (!llmcu::validate_config(c).is_ok()) abort();  // accepted, so the config must be valid
  if (model->file_bytes != size) abort();
  const llmcu::Weights& w = model->weights;
  touch_matrix(w.token_embedding, 1);
  touch_matrix(w.classifier, 1);
  for (const Matrix* m : {&w.wq, &w.wk, &w.wv, &w.wo, &w.w1, &w.w2, &w.w3}) {
    touch_matrix(*m, c.n_layers);
  }
  const size_t dim = static_cast<size_t>(c.dim);
  llmcu::fuzz::touch_range(w.rms_att.base, static_cast<size_t>(c.n_layers) * dim * sizeof(float));
  llmcu::fuzz::touch_range(w.rms_ffn.base, static_cast<size_t>(c.n_layers) * dim * sizeof(float));
  llmcu::fuzz::touch_range(w.rms_final, dim * sizeof(float));

  // Planning may refuse (a context too large to address) but must not crash.
  llmcu::Result<llmcu::MemoryPlan> plan = llmcu::plan_memory(*model, {});
  if (plan.is_ok() && plan->seq_len != c.seq_len) abort();
  (void)llmcu::max_seq_len_for(c, 1 << 20);
  return 0;
}
