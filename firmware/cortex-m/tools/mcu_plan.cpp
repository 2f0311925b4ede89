// Build-time memory plan for the Cortex-M image: runs the core's own
// plan_memory() on the model the image embeds and writes a header that sizes
// the image's static arena. It is compiled for the build host from the same
// core sources as the image (sizes are computed from fixed-width types, so
// the plan is the same on a 64-bit host and a 32-bit core; the image checks
// the plan again at run time anyway).
//
//   mcu_plan MODEL SEQ_LEN OUT_HEADER      (SEQ_LEN 0: the model's context)
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "llmcu/memory_plan.h"
#include "llmcu/model.h"
#include "llmcu/platform.h"

// The core links the platform facade; planning never calls it.
namespace llmcu::platform {
uint64_t now_us() {
  return 0;
}
uint64_t entropy_u64() {
  return 1;
}
}  // namespace llmcu::platform

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: mcu_plan MODEL SEQ_LEN OUT_HEADER\n");
    return 2;
  }
  const char* model_path = argv[1];
  FILE* in = fopen(model_path, "rb");
  if (in == nullptr) {
    fprintf(stderr, "mcu_plan: cannot open %s\n", model_path);
    return 1;
  }
  std::vector<uint8_t> bytes;
  uint8_t chunk[65536];
  for (size_t n; (n = fread(chunk, 1, sizeof chunk, in)) > 0;)
    bytes.insert(bytes.end(), chunk, chunk + n);
  fclose(in);

  llmcu::Result<llmcu::Model> model = llmcu::load_model(bytes, model_path);
  if (!model.is_ok()) {
    fprintf(stderr, "mcu_plan: %s\n", model.status().message());
    return 1;
  }
  llmcu::SessionOptions session;
  session.seq_len = static_cast<int32_t>(atol(argv[2]));
  llmcu::Result<llmcu::MemoryPlan> plan = llmcu::plan_memory(*model, session);
  if (!plan.is_ok()) {
    fprintf(stderr, "mcu_plan: %s\n", plan.status().message());
    return 1;
  }

  FILE* out = fopen(argv[3], "w");
  if (out == nullptr) {
    fprintf(stderr, "mcu_plan: cannot write %s\n", argv[3]);
    return 1;
  }
  fprintf(out,
          "// Generated at build time by firmware/cortex-m/tools/mcu_plan.cpp from\n"
          "// %s: the core's memory plan for the embedded model. Do not edit.\n"
          "#pragma once\n"
          "#define LLMCU_MCU_PLAN_SEQ_LEN %" PRId32
          "\n"
          "#define LLMCU_MCU_PLAN_MAX_PROMPT_BYTES %zu\n"
          "#define LLMCU_MCU_ARENA_BYTES %zu\n"
          "#define LLMCU_MCU_PLAN_KV_CACHE_BYTES %zu\n",
          model_path, plan->seq_len, plan->max_prompt_bytes, plan->arena_bytes, plan->kv_cache);
  if (fclose(out) != 0) return 1;
  printf("mcu_plan: %s at seq_len %" PRId32 ": arena %zu bytes (kv cache %zu)\n", model_path,
         plan->seq_len, plan->arena_bytes, plan->kv_cache);
  return 0;
}
