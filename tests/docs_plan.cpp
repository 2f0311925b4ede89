// Prints the memory plan of a model for options the `llmcu` command does not expose, such as
// the ESP32-S3 firmware's prompt budget (CONFIG_LLMCU_MAX_PROMPT_BYTES), one `key value` line
// each, for tools/readme_figures.py. The plan is the core's (plan_memory), as the firmware's is;
// tests/CMakeLists.txt builds this with the reference kernel family, whose buffers the
// firmware's families share (an x86 build plans eight positions' keys more for its tiles).
//
// usage: docs_plan MODEL [--seq-len N] [--max-prompt-bytes B] [--ram BYTES]
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "llmcu/memory_plan.h"
#include "llmcu/model.h"

namespace {

int usage() {
  fprintf(stderr, "usage: docs_plan MODEL [--seq-len N] [--max-prompt-bytes B] [--ram BYTES]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  llmcu::SessionOptions options;
  size_t ram = 0;
  for (int i = 2; i < argc; i += 2) {
    if (i + 1 >= argc) return usage();
    const unsigned long long value = strtoull(argv[i + 1], nullptr, 10);
    if (strcmp(argv[i], "--seq-len") == 0) {
      options.seq_len = static_cast<int32_t>(value);
    } else if (strcmp(argv[i], "--max-prompt-bytes") == 0) {
      options.max_prompt_bytes = static_cast<size_t>(value);
    } else if (strcmp(argv[i], "--ram") == 0) {
      ram = static_cast<size_t>(value);
    } else {
      return usage();
    }
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    fprintf(stderr, "%s: cannot open\n", argv[1]);
    return 1;
  }
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  llmcu::Result<llmcu::Model> model = llmcu::load_model(bytes, argv[1]);
  if (!model.is_ok()) {
    fprintf(stderr, "error: %s\n", model.status().message());
    return 1;
  }
  llmcu::Result<llmcu::MemoryPlan> plan = llmcu::plan_memory(*model, options);
  if (!plan.is_ok()) {
    fprintf(stderr, "error: %s\n", plan.status().message());
    return 1;
  }
  const llmcu::MemoryPlan& p = *plan;
  printf("seq_len %" PRId32 "\n", p.seq_len);
  printf("max_prompt_bytes %zu\n", p.max_prompt_bytes);
  printf("weights %zu\n", p.weight_bytes);
  printf("kv_cache %zu\n", p.kv_cache);
  printf("activations %zu\n", p.activations);
  printf("logits %zu\n", p.logits);
  printf("sampler %zu\n", p.sampler);
  printf("tokenizer_tables %zu\n", p.tokenizer_tables);
  printf("prompt_work %zu\n", p.prompt_work);
  printf("arena %zu\n", p.arena_bytes);
  printf("hot %zu\n", p.hot_bytes());
  if (ram != 0) {
    printf("longest %" PRId32 "\n", llmcu::max_seq_len_for((*model).config, ram, options));
  }
  return 0;
}
