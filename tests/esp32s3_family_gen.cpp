// The whole core built with one kernel family (LLMCU_KERNELS_ESP32S3 over the
// fake esp-dsp, or LLMCU_KERNELS_REF), generating greedily from stories260K
// converted in memory to llmcu files: int8 with group size 64 (64-byte
// aligned tensors, rows padded to whole groups: the S3 int8 vector path) and
// fp32. Nothing else on the host compiles kernels.h's ESP32-S3 branch, so
// this is also the check that it still builds.
//
// stdout: the int8 text, which must be the same for both families (the S3
// int8 matvec is ref's arithmetic). stderr: the fp32 text, which may differ
// after some tokens (esp-dsp's four-lane fp32 sum rounds differently).
// Exit 1 if the S3 build did not take the esp-dsp paths it should have.
//   esp32s3_family_gen_<family> MODEL TOKENIZER
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "llmcu/arena.h"
#include "llmcu/generator.h"
#include "llmcu/llmcu_format.h"

#if defined(LLMCU_KERNELS_ESP32S3)
#include "dsps_dotprod.h"
#endif

namespace {

using namespace llmcu;

std::vector<uint8_t> read_all(const char* path) {
  std::vector<uint8_t> bytes;
  FILE* f = fopen(path, "rb");
  if (f == nullptr) return bytes;
  uint8_t buffer[65536];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), f)) > 0)
    bytes.insert(bytes.end(), buffer, buffer + n);
  fclose(f);
  return bytes;
}

Status append(void* user, const uint8_t* data, size_t size) {
  auto* out = static_cast<std::vector<uint8_t>*>(user);
  out->insert(out->end(), data, data + size);
  return Status::ok();
}

// A copy starting on a 64-byte boundary and followed by 64 zero bytes, as the
// firmware's container places a model: aligned tensors, and the 16 bytes the
// esp-dsp int8 loop reads past the last row are there.
struct Placed {
  std::vector<uint8_t> storage;
  std::span<const uint8_t> bytes;
};
void place(const std::vector<uint8_t>& file, Placed* out) {
  out->storage.assign(file.size() + 2 * Arena::kAlignment, 0);
  const auto base = reinterpret_cast<uintptr_t>(out->storage.data());
  const size_t lead = (Arena::kAlignment - base % Arena::kAlignment) % Arena::kAlignment;
  memcpy(out->storage.data() + lead, file.data(), file.size());
  out->bytes = std::span<const uint8_t>(out->storage.data() + lead, file.size());
}

void collect(void* user, std::string_view piece) {
  static_cast<std::string*>(user)->append(piece);
}

bool generate(std::span<const uint8_t> model_bytes, const std::vector<uint8_t>& tokenizer,
              std::string* text) {
  Result<Model> model = load_model(model_bytes, "converted");
  if (!model.is_ok()) {
    fprintf(stderr, "%s\n", model.status().message());
    return false;
  }
  Result<MemoryPlan> plan = plan_memory(*model, {});
  if (!plan.is_ok()) return false;
  std::vector<uint8_t> arena(plan->arena_bytes + Arena::kAlignment);
  Result<Generator> g = Generator::create(*model, tokenizer, "tok", *plan, arena, nullptr);
  if (!g.is_ok()) {
    fprintf(stderr, "%s\n", g.status().message());
    return false;
  }
  GenerateOptions o;
  o.prompt = "Once upon a time";
  o.temperature = 0.0f;
  o.steps = 160;
  o.seed = 1;
  return g->generate(o, collect, text).is_ok();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MODEL TOKENIZER\n", argv[0]);
    return 2;
  }
  const std::vector<uint8_t> source = read_all(argv[1]);
  const std::vector<uint8_t> tokenizer = read_all(argv[2]);
  Result<Model> fp32 = load_model(source, argv[1]);
  if (!fp32.is_ok()) {
    fprintf(stderr, "%s\n", fp32.status().message());
    return 2;
  }
  std::vector<uint8_t> q8_file, f32_file;
  if (!write_llmcu(*fp32, WeightType::kQ8, 64, append, &q8_file).is_ok() ||
      !write_llmcu(*fp32, WeightType::kF32, 0, append, &f32_file).is_ok()) {
    fprintf(stderr, "conversion failed\n");
    return 2;
  }
  Placed q8, f32;
  place(q8_file, &q8);
  place(f32_file, &f32);

  std::string q8_text, f32_text;
#if defined(LLMCU_KERNELS_ESP32S3)
  fake_esp_dsp::calls = {};
#endif
  if (!generate(q8.bytes, tokenizer, &q8_text)) return 2;
#if defined(LLMCU_KERNELS_ESP32S3)
  const fake_esp_dsp::Calls q8_calls = fake_esp_dsp::calls;
  fake_esp_dsp::calls = {};
#endif
  if (!generate(f32.bytes, tokenizer, &f32_text)) return 2;
  printf("%s\n", q8_text.c_str());
  fprintf(stderr, "fp32: %s\n", f32_text.c_str());
#if defined(LLMCU_KERNELS_ESP32S3)
  const fake_esp_dsp::Calls f32_calls = fake_esp_dsp::calls;
  fprintf(stderr, "int8 model: %d esp-dsp int8 calls; fp32 model: %d esp-dsp fp32 calls\n",
          q8_calls.s8_vector, f32_calls.f32_vector);
  // Every int8 matvec row of the group-64 file is aligned: all must have gone
  // to esp-dsp, and so must the fp32 file's aligned rows.
  if (q8_calls.s8_vector == 0 || q8_calls.s8_fallback != 0 || f32_calls.f32_vector == 0 ||
      f32_calls.f32_fallback != 0) {
    fprintf(stderr, "the ESP32-S3 build did not take the esp-dsp paths\n");
    return 1;
  }
#endif
  return q8_text.size() > 100 && f32_text.size() > 100 ? 0 : 1;
}
