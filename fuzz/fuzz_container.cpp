// The device container (llmcu pack's output) on arbitrary bytes: the header
// parser, the full open with and without checksums, and the model and
// tokenizer it hands out. Whatever it accepts must lie inside the input, and
// the model inside it must load or be refused cleanly.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "llmcu/container.h"
#include "llmcu/model.h"
#include "llmcu/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes = llmcu::fuzz::exact_copy(data, size);
  (void)llmcu::parse_container_header(bytes, "fuzz.pak");
  for (bool verify : {false, true}) {
    llmcu::Result<llmcu::Container> c = llmcu::open_container(bytes, "fuzz.pak", verify);
    if (!c.is_ok()) {
      if (strncmp(c.status().message(), "fuzz.pak: ", 10) != 0) abort();
      continue;
    }
    llmcu::fuzz::touch_range(c->model.data(), c->model.size());
    llmcu::fuzz::touch_range(c->tokenizer.data(), c->tokenizer.size());
    llmcu::Result<llmcu::Model> model = llmcu::load_model(c->model, "model");
    if (model.is_ok()) {
      (void)llmcu::Tokenizer::count_tokens(c->tokenizer, "tokenizer");
    }
  }
  return 0;
}
